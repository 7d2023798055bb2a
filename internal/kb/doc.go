// Package kb is the knowledge base service: it parses the vetted Markdown
// documents (YAML front matter), cuts them into chunks sized for Chinese
// text, imports a folder idempotently (Sync), re-embeds when the model
// changes (Reembed), searches with vector and keyword retrieval fused by
// reciprocal rank fusion (Searcher), serves pinned cards (Searcher.Card),
// counts unanswered questions by topic, and runs the curator workflow
// (Service: drafts, review, two-person approval, retirement, diffs).
//
// Start-up in the server, in order:
//
//	emb := ...                                      // embed.NewLocal(corpus) or the OpenAI embedder
//	err := kb.CheckEmbedder(ctx, st, emb, auto, w)  // auto re-embed in the embedded default
//	rep, err := kb.Sync(ctx, st, emb, knowledge.FS, ".", w)
//	s := kb.NewSearcher(st, emb, kb.Options{})
package kb

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"

	"xinqiao/internal/xinqiao"

	"gopkg.in/yaml.v3"
)

// FrontMatter is the YAML header of a knowledge document.
type FrontMatter struct {
	ID            string   `yaml:"id"`
	Title         string   `yaml:"title"`
	Lang          string   `yaml:"lang"`
	Kind          string   `yaml:"kind"`
	Audience      []string `yaml:"audience"`
	Topics        []string `yaml:"topics"`
	PinnedFor     []string `yaml:"pinned_for"`
	TranslationOf string   `yaml:"translation_of"`
	Version       int      `yaml:"version"`
	ReviewedBy    string   `yaml:"reviewed_by"`
	ReviewedAt    string   `yaml:"reviewed_at"`
	ReviewDue     string   `yaml:"review_due"`
}

// Parsed is a document read from Markdown.
type Parsed struct {
	FrontMatter
	Body       string
	Hash       string    // SHA-256 of the whole source
	ReviewedAt time.Time // zero when not reviewed
	ReviewDue  time.Time
}

// Reviewed reports whether the front matter records a review: such a
// document in the vetted folder imports as approved.
func (p Parsed) Reviewed() bool { return p.ReviewedBy != "" && !p.ReviewedAt.IsZero() }

// Version returns the document as a domain version (state and author are
// the caller's).
func (p Parsed) Version() xinqiao.DocumentVersion {
	return xinqiao.DocumentVersion{
		DocID: p.ID, Version: p.FrontMatter.Version, Title: p.Title, Lang: p.Lang, Kind: p.Kind,
		Audience: p.Audience, Topics: p.Topics, PinnedFor: p.PinnedFor, TranslationOf: p.TranslationOf,
		Body: p.Body, Hash: p.Hash, Reviewer: p.ReviewedBy, ReviewedAt: p.ReviewedAt, ReviewDue: p.ReviewDue,
	}
}

// Parse reads a Markdown document with front matter and checks it. Errors
// are xinqiao EINVALID errors whose message says what to fix.
func Parse(src []byte) (Parsed, error) {
	var p Parsed
	sum := sha256.Sum256(src)
	p.Hash = hex.EncodeToString(sum[:])
	text := strings.ReplaceAll(string(bytes.TrimPrefix(src, []byte("\ufeff"))), "\r\n", "\n")
	if !strings.HasPrefix(text, "---\n") {
		return p, xinqiao.Errorf(xinqiao.EINVALID, "no front matter: the file must start with a line ---")
	}
	head, body, ok := strings.Cut(text[4:], "\n---")
	if !ok {
		return p, xinqiao.Errorf(xinqiao.EINVALID, "front matter is not closed by a line ---")
	}
	if i := strings.IndexByte(body, '\n'); i >= 0 {
		body = body[i+1:]
	} else {
		body = ""
	}
	if err := yaml.Unmarshal([]byte(head), &p.FrontMatter); err != nil {
		return p, xinqiao.Errorf(xinqiao.EINVALID, "front matter: %v", err)
	}
	p.Body = strings.TrimSpace(body)
	if err := p.check(); err != nil {
		return p, err
	}
	return p, nil
}

func (p *Parsed) check() error {
	fm := &p.FrontMatter
	if fm.Kind == "" {
		fm.Kind = xinqiao.KindArticle
	}
	bad := func(format string, args ...any) error { return xinqiao.Errorf(xinqiao.EINVALID, format, args...) }
	switch {
	case fm.ID == "":
		return bad("front matter: id is missing")
	case strings.ContainsAny(fm.ID, " /\\?#%"):
		return bad("front matter: id %q must not contain spaces or / \\ ? # %%", fm.ID)
	case fm.Title == "":
		return bad("front matter: title is missing")
	case fm.Lang != "zh" && fm.Lang != "en":
		return bad("front matter: lang is %q, want zh or en", fm.Lang)
	case fm.Kind != xinqiao.KindArticle && fm.Kind != xinqiao.KindCard:
		return bad("front matter: kind is %q, want article or card", fm.Kind)
	case len(fm.Audience) == 0:
		return bad("front matter: audience is missing (primary, junior, senior)")
	case len(fm.Topics) == 0:
		return bad("front matter: topics is missing")
	case fm.Version <= 0:
		return bad("front matter: version must be a positive number")
	case fm.Kind == xinqiao.KindCard && len(fm.PinnedFor) == 0:
		return bad("front matter: a card needs pinned_for")
	case p.Body == "":
		return bad("the document has no text after the front matter")
	}
	for _, a := range fm.Audience {
		if !slices.Contains([]string{xinqiao.BandPrimary, xinqiao.BandJunior, xinqiao.BandSenior}, a) {
			return bad("front matter: audience %q, want primary, junior or senior", a)
		}
	}
	var err error
	if p.ReviewedAt, err = parseDate(fm.ReviewedAt); err != nil {
		return bad("front matter: reviewed_at %q is not a date (YYYY-MM-DD)", fm.ReviewedAt)
	}
	if p.ReviewDue, err = parseDate(fm.ReviewDue); err != nil {
		return bad("front matter: review_due %q is not a date (YYYY-MM-DD)", fm.ReviewDue)
	}
	if (fm.ReviewedBy == "") != (fm.ReviewedAt == "") {
		return bad("front matter: reviewed_by and reviewed_at go together")
	}
	return nil
}

func parseDate(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{time.DateOnly, time.RFC3339} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("bad date %q", s)
}

func hashText(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
