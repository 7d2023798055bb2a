// Package knowledge holds the vetted material of xinqiao: the Markdown documents
// under zh/ and en/, the pinned reply cards under cards/, and the hotline registry
// hotlines.json. README.md (the curators' guide) lies outside those folders and is
// not embedded, so it can never be ingested as a document.
package knowledge

import (
	"embed"
	"io/fs"
	"path"
	"sort"
)

// FS holds the documents (zh/*.md, en/*.md, cards/*.md) and hotlines.json.
//
//go:embed zh en cards hotlines.json
var FS embed.FS

// HotlinesFile is the name of the hotline registry inside FS.
const HotlinesFile = "hotlines.json"

// DocDirs are the folders of FS that hold documents; every *.md file in them is one
// document. Cards are documents with "kind: card" in their front matter.
var DocDirs = []string{"zh", "en", "cards"}

// DocumentPaths lists every document in FS (paths like "zh/sleep-zh.md"), sorted.
func DocumentPaths() ([]string, error) {
	var out []string
	for _, dir := range DocDirs {
		err := fs.WalkDir(FS, dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && path.Ext(p) == ".md" {
				out = append(out, p)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	sort.Strings(out)
	return out, nil
}
