package kb

import (
	"io/fs"

	"xinqiao/internal/embed"
)

// Corpus returns the context text of every chunk of every well-formed
// document under dir of fsys: the corpus the local embedder learns its IDF
// weights from. Malformed documents are skipped (Sync reports them).
func Corpus(fsys fs.FS, dir string) ([]string, error) {
	files, err := markdownFiles(fsys, dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, f := range files {
		src, err := fs.ReadFile(fsys, f)
		if err != nil {
			continue
		}
		p, err := Parse(src)
		if err != nil {
			continue
		}
		for _, piece := range ChunkMarkdown(p.Title, p.Body) {
			out = append(out, piece.Context)
		}
	}
	return out, nil
}

// NewLocalEmbedder returns the local embedder with IDF weights learned from
// the documents under dir of fsys (the embedded knowledge in the server, so
// the weights, and the embedder's name, change only with that material).
func NewLocalEmbedder(fsys fs.FS, dir string) (*embed.Local, error) {
	corpus, err := Corpus(fsys, dir)
	if err != nil {
		return nil, err
	}
	return embed.NewLocal(corpus), nil
}
