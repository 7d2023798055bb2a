package kb

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"
	"time"

	"xinqiao/internal/kb/seg"
	"xinqiao/internal/xinqiao"
)

// Store is the part of the store the knowledge base uses.
type Store = xinqiao.KnowledgeStore

// BuildChunks cuts a version into chunks, with keyword tokens and vectors
// from emb, ready to store. It is what approval and import store, and what
// the curator's chunk view shows.
func BuildChunks(ctx context.Context, emb xinqiao.Embedder, v xinqiao.DocumentVersion) ([]xinqiao.Chunk, error) {
	pieces := ChunkMarkdown(v.Title, v.Body)
	texts := make([]string, len(pieces))
	for i, p := range pieces {
		texts[i] = p.Context
	}
	vecs, err := embedChecked(ctx, emb, texts)
	if err != nil {
		return nil, err
	}
	out := make([]xinqiao.Chunk, len(pieces))
	for i, p := range pieces {
		out[i] = xinqiao.Chunk{
			DocID: v.DocID, Version: v.Version, Ord: i, Title: v.Title, Heading: p.Heading, Text: p.Text,
			Context: p.Context, Lang: v.Lang, Audience: v.Audience, Kind: v.Kind, Topics: v.Topics,
			Tokens: seg.Tokens(p.Context), Embedding: vecs[i], Embedder: emb.Name(), Dim: emb.Dim(),
		}
	}
	return out, nil
}

// embedChecked embeds texts and checks the count and dimension of what came
// back, so a misbehaving endpoint cannot store wrong vectors.
func embedChecked(ctx context.Context, emb xinqiao.Embedder, texts []string) ([][]float32, error) {
	if len(texts) == 0 {
		return nil, nil
	}
	vecs, err := emb.Embed(ctx, texts)
	if err != nil {
		return nil, fmt.Errorf("embed with %s: %w", emb.Name(), err)
	}
	if len(vecs) != len(texts) {
		return nil, fmt.Errorf("embed with %s: got %d vectors for %d texts", emb.Name(), len(vecs), len(texts))
	}
	for _, v := range vecs {
		if len(v) != emb.Dim() {
			return nil, fmt.Errorf("embed with %s: got a vector of %d dimensions, want %d", emb.Name(), len(v), emb.Dim())
		}
	}
	return vecs, nil
}

// SyncFailure is a document that could not be imported, and why.
type SyncFailure struct {
	File   string `json:"file"`
	Reason string `json:"reason"`
}

// SyncReport sums up an import.
type SyncReport struct {
	Added     []string      `json:"added"`     // new documents, imported as approved
	Updated   []string      `json:"updated"`   // documents with a new approved version
	Drafts    []string      `json:"drafts"`    // documents without a review record, stored as drafts
	Unchanged int           `json:"unchanged"` // content hash already stored: nothing done
	Failed    []SyncFailure `json:"failed"`
}

// String is the summary printed at the end of `xinqiao kb sync`.
func (r SyncReport) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "added %d, updated %d, drafts %d, unchanged %d, failed %d\n",
		len(r.Added), len(r.Updated), len(r.Drafts), r.Unchanged, len(r.Failed))
	for _, f := range r.Failed {
		fmt.Fprintf(&b, "  failed %s: %s\n", f.File, f.Reason)
	}
	return b.String()
}

// Sync imports every Markdown document under dir of fsys (README.md and
// hidden files excluded). It is idempotent: a document whose exact content
// (by SHA-256) is stored is skipped without embedding. A document whose
// front matter records a review (reviewed_by, reviewed_at) is imported as
// the current approved version with the version number it carries (the
// git review was the second person); one without is stored as a draft for
// the curator workflow. A malformed document is reported in the summary
// with its file name and the reason, and the others still import. Progress
// goes to progress (nil: none). The error is for failures of the whole run
// (store unreachable, embedder mismatch); per-document failures are in the
// report.
func Sync(ctx context.Context, st Store, emb xinqiao.Embedder, fsys fs.FS, dir string, progress io.Writer) (SyncReport, error) {
	var rep SyncReport
	if err := CheckEmbedder(ctx, st, emb); err != nil {
		return rep, err
	}
	if err := st.EnsureVectorIndex(ctx, emb.Dim()); err != nil {
		return rep, err
	}
	files, err := markdownFiles(fsys, dir)
	if err != nil {
		return rep, err
	}
	bar := newProgress(progress, len(files))
	seen := map[string]string{}
	for i, file := range files {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		bar.step(i, file)
		err := syncFile(ctx, st, emb, fsys, file, seen, &rep)
		if err != nil {
			if code := xinqiao.ErrorCode(err); code == xinqiao.EINTERNAL || code == xinqiao.EUNAVAILABLE {
				// The store or the embedder failed: the next file would too.
				bar.done()
				return rep, fmt.Errorf("sync %s: %w", file, err)
			}
			rep.Failed = append(rep.Failed, SyncFailure{File: file, Reason: xinqiao.ErrorMessage(err)})
		}
	}
	bar.done()
	return rep, nil
}

func syncFile(ctx context.Context, st Store, emb xinqiao.Embedder, fsys fs.FS, file string, seen map[string]string, rep *SyncReport) error {
	src, err := fs.ReadFile(fsys, file)
	if err != nil {
		return xinqiao.Errorf(xinqiao.EINVALID, "cannot read: %v", err)
	}
	p, err := Parse(src)
	if err != nil {
		return err
	}
	if other, dup := seen[p.ID]; dup {
		return xinqiao.Errorf(xinqiao.EINVALID, "id %s is also used by %s", p.ID, other)
	}
	seen[p.ID] = file
	doc, err := st.Document(ctx, p.ID)
	exists := err == nil
	if err != nil && xinqiao.ErrorCode(err) != xinqiao.ENOTFOUND {
		return err
	}
	if exists {
		vs, err := st.Versions(ctx, p.ID)
		if err != nil {
			return err
		}
		for _, v := range vs {
			if v.Hash == p.Hash {
				rep.Unchanged++
				return nil
			}
		}
	}
	v := p.Version()
	v.Source, v.Author = file, "git"
	if !p.Reviewed() {
		v.Reviewer, v.ReviewedAt = "", time.Time{}
		if _, err := st.CreateDraft(ctx, v); err != nil {
			return err
		}
		rep.Drafts = append(rep.Drafts, p.ID)
		return nil
	}
	if exists && v.Version <= doc.Latest {
		return xinqiao.Errorf(xinqiao.ECONFLICT, "%s changed but its version %d is not above the stored version %d: raise version in the front matter",
			p.ID, v.Version, doc.Latest)
	}
	chunks, err := BuildChunks(ctx, emb, v)
	if err != nil {
		return err
	}
	if err := st.ImportApproved(ctx, v, chunks); err != nil {
		return err
	}
	if exists {
		rep.Updated = append(rep.Updated, p.ID)
	} else {
		rep.Added = append(rep.Added, p.ID)
	}
	return nil
}

func markdownFiles(fsys fs.FS, dir string) ([]string, error) {
	var files []string
	err := fs.WalkDir(fsys, dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if p != dir && strings.HasPrefix(name, ".") {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if !d.IsDir() && path.Ext(name) == ".md" && !strings.EqualFold(name, "README.md") {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list documents in %s: %w", dir, err)
	}
	sort.Strings(files)
	return files, nil
}

// progress draws a one-line counter with a bar, rewritten in place.
type progress struct {
	w     io.Writer
	total int
}

func newProgress(w io.Writer, total int) *progress { return &progress{w, total} }

func (p *progress) step(i int, file string) {
	if p.w == nil || p.total == 0 {
		return
	}
	const width = 30
	n := (i + 1) * width / p.total
	fmt.Fprintf(p.w, "\r[%s%s] %d/%d %-40.40s", strings.Repeat("#", n), strings.Repeat(".", width-n), i+1, p.total, file)
}

func (p *progress) done() {
	if p.w != nil && p.total > 0 {
		fmt.Fprintln(p.w)
	}
}

// CheckEmbedder checks that every stored chunk was embedded by emb (same
// name and dimension). On a mismatch it returns an EUNAVAILABLE error that
// says to run `xinqiao kb reembed`; the embedded default calls Reembed
// instead (see Prepare).
func CheckEmbedder(ctx context.Context, st Store, emb xinqiao.Embedder) error {
	counts, err := st.EmbedderCounts(ctx)
	if err != nil {
		return err
	}
	for _, c := range counts {
		if c.Embedder != emb.Name() || c.Dim != emb.Dim() {
			return xinqiao.Errorf(xinqiao.EUNAVAILABLE,
				"%d knowledge chunks were embedded with %q (dim %d) but the configured embedder is %q (dim %d): run `xinqiao kb reembed`",
				c.Chunks, c.Embedder, c.Dim, emb.Name(), emb.Dim())
		}
	}
	return nil
}

// Reembed embeds every stored chunk again with emb, in batches, and
// records emb's name and dimension on each: what `xinqiao kb reembed` runs
// after a change of embedding model. It returns the number of chunks.
func Reembed(ctx context.Context, st Store, emb xinqiao.Embedder, progress io.Writer) (int, error) {
	if err := st.EnsureVectorIndex(ctx, emb.Dim()); err != nil {
		return 0, err
	}
	const batch = 64
	var after int64
	n := 0
	for {
		chunks, err := st.Chunks(ctx, after, batch)
		if err != nil {
			return n, err
		}
		if len(chunks) == 0 {
			break
		}
		ids := make([]int64, len(chunks))
		texts := make([]string, len(chunks))
		for i, c := range chunks {
			ids[i], texts[i] = c.ID, c.Context
		}
		vecs, err := embedChecked(ctx, emb, texts)
		if err != nil {
			return n, err
		}
		if err := st.SetEmbeddings(ctx, emb.Name(), emb.Dim(), ids, vecs); err != nil {
			return n, err
		}
		n += len(chunks)
		after = ids[len(ids)-1]
		if progress != nil {
			fmt.Fprintf(progress, "\rre-embedded %d chunks", n)
		}
	}
	if progress != nil && n > 0 {
		fmt.Fprintln(progress)
	}
	return n, nil
}

// Prepare readies the knowledge base at start: it checks the stored
// vectors against emb and, on a mismatch, re-embeds them when autoReembed
// is set (the embedded default: a few hundred chunks, seconds with the local
// embedder) or returns CheckEmbedder's error (production: re-embedding
// through a paid endpoint is an operator's decision, `xinqiao kb reembed`);
// then it imports fsys (nil: nothing) and returns the import report.
func Prepare(ctx context.Context, st Store, emb xinqiao.Embedder, fsys fs.FS, autoReembed bool, progress io.Writer) (SyncReport, error) {
	if err := CheckEmbedder(ctx, st, emb); err != nil {
		if !autoReembed || xinqiao.ErrorCode(err) != xinqiao.EUNAVAILABLE {
			return SyncReport{}, err
		}
		if _, err := Reembed(ctx, st, emb, progress); err != nil {
			return SyncReport{}, fmt.Errorf("re-embed knowledge: %w", err)
		}
	}
	if err := st.EnsureVectorIndex(ctx, emb.Dim()); err != nil {
		return SyncReport{}, err
	}
	if fsys == nil {
		return SyncReport{}, nil
	}
	return Sync(ctx, st, emb, fsys, ".", progress)
}
