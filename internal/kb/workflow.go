package kb

import (
	"context"
	"strings"
	"time"

	"xinqiao/internal/xinqiao"
)

// Service is the curator workflow over the store: drafts, review,
// two-person approval, retirement, and diffs between versions. The store
// enforces the rules in its transactions; the service builds the chunks an
// approval publishes.
type Service struct {
	st    Store
	emb   xinqiao.Embedder
	now   func() time.Time
	index *Index
}

// UpdateIndex makes approvals and retirements reload x at once and tell the
// other nodes (x may be nil).
func (s *Service) UpdateIndex(x *Index) { s.index = x }

// NewService returns the workflow service. now may be nil (time.Now).
func NewService(st Store, emb xinqiao.Embedder, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{st: st, emb: emb, now: now}
}

// Draft is what a curator writes: either Markdown with front matter (as in
// the knowledge folder; review fields are ignored) or the fields and body.
type Draft struct {
	Markdown string `json:"markdown,omitempty"`

	ID        string   `json:"id,omitempty"` // empty: a new document, id made from the time
	Title     string   `json:"title,omitempty"`
	Lang      string   `json:"lang,omitempty"`
	Kind      string   `json:"kind,omitempty"`
	Audience  []string `json:"audience,omitempty"`
	Topics    []string `json:"topics,omitempty"`
	PinnedFor []string `json:"pinned_for,omitempty"`
	// TranslationOf is the id of the document this one translates.
	TranslationOf string `json:"translation_of,omitempty"`
	ReviewDue     string `json:"review_due,omitempty"` // YYYY-MM-DD
	Body          string `json:"body,omitempty"`
}

// CreateDraft stores a new draft version by author (a staff id): a new
// document, or the next version of an existing one.
func (s *Service) CreateDraft(ctx context.Context, author string, d Draft) (xinqiao.DocumentVersion, error) {
	var p Parsed
	if d.Markdown != "" {
		var err error
		if p, err = Parse([]byte(d.Markdown)); err != nil {
			return xinqiao.DocumentVersion{}, err
		}
	} else {
		if d.ID == "" {
			d.ID = "doc-" + xinqiao.NewID()[:10]
		}
		p = Parsed{FrontMatter: FrontMatter{ID: d.ID, Title: strings.TrimSpace(d.Title), Lang: d.Lang, Kind: d.Kind,
			Audience: d.Audience, Topics: d.Topics, PinnedFor: d.PinnedFor, TranslationOf: d.TranslationOf, Version: 1, ReviewDue: d.ReviewDue},
			Body: strings.TrimSpace(d.Body)}
		if err := p.check(); err != nil {
			return xinqiao.DocumentVersion{}, err
		}
		p.Hash = hashText(p.Title + "\n" + p.Body)
	}
	v := p.Version()
	v.Author, v.Reviewer, v.ReviewedAt = author, "", time.Time{}
	return s.st.CreateDraft(ctx, v)
}

// Submit puts a draft up for review.
func (s *Service) Submit(ctx context.Context, actor, docID string, version int) (xinqiao.DocumentVersion, error) {
	return s.st.SubmitVersion(ctx, xinqiao.Transition{DocID: docID, Version: version, Actor: actor, At: s.now()})
}

// Approve publishes a version in review: its chunks are embedded and
// replace the document's in the same transaction as the state change. The
// author cannot approve their own version (EFORBIDDEN).
func (s *Service) Approve(ctx context.Context, actor, docID string, version int) (xinqiao.DocumentVersion, error) {
	v, err := s.st.Version(ctx, docID, version)
	if err != nil {
		return v, err
	}
	if v.State != xinqiao.StateReview {
		return v, xinqiao.Errorf(xinqiao.ECONFLICT, "version %d is %s, only a version in review can be approved", version, v.State)
	}
	if v.Author == actor {
		return v, xinqiao.Errorf(xinqiao.EFORBIDDEN, "the author cannot approve their own version: another curator must")
	}
	chunks, err := BuildChunks(ctx, s.emb, v)
	if err != nil {
		return v, err
	}
	out, err := s.st.ApproveVersion(ctx, xinqiao.Transition{DocID: docID, Version: version, Actor: actor, At: s.now()}, chunks)
	if err == nil {
		s.index.Changed(ctx)
	}
	return out, err
}

// Retire takes a document out of retrieval. A card needs a second curator:
// the first call only records the request (retired=false); see
// xinqiao.KnowledgeStore.RetireDocument.
func (s *Service) Retire(ctx context.Context, actor, docID string) (retired bool, err error) {
	retired, err = s.st.RetireDocument(ctx, xinqiao.Transition{DocID: docID, Actor: actor, At: s.now()})
	if err != nil {
		return false, err
	}
	if retired {
		s.index.Changed(ctx)
	}
	return retired, nil
}

// Diff returns a line diff of the bodies (with the title line) of two
// versions of a document.
func (s *Service) Diff(ctx context.Context, docID string, from, to int) ([]DiffLine, error) {
	a, err := s.st.Version(ctx, docID, from)
	if err != nil {
		return nil, err
	}
	b, err := s.st.Version(ctx, docID, to)
	if err != nil {
		return nil, err
	}
	return LineDiff("# "+a.Title+"\n"+a.Body, "# "+b.Title+"\n"+b.Body), nil
}

// DiffLine is one line of a diff: Op is ' ' (kept), '-' (removed) or '+'
// (added).
type DiffLine struct {
	Op   string `json:"op"`
	Text string `json:"text"`
}

// LineDiff diffs two texts line by line with a longest common subsequence:
// plenty for documents of a few hundred lines.
func LineDiff(a, b string) []DiffLine {
	x, y := strings.Split(a, "\n"), strings.Split(b, "\n")
	n, m := len(x), len(y)
	lcs := make([][]int32, n+1)
	for i := range lcs {
		lcs[i] = make([]int32, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if x[i] == y[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var out []DiffLine
	i, j := 0, 0
	for i < n && j < m {
		switch {
		case x[i] == y[j]:
			out = append(out, DiffLine{" ", x[i]})
			i++
			j++
		case lcs[i+1][j] >= lcs[i][j+1]:
			out = append(out, DiffLine{"-", x[i]})
			i++
		default:
			out = append(out, DiffLine{"+", y[j]})
			j++
		}
	}
	for ; i < n; i++ {
		out = append(out, DiffLine{"-", x[i]})
	}
	for ; j < m; j++ {
		out = append(out, DiffLine{"+", y[j]})
	}
	return out
}

// Preview is what the curator's editor shows for a draft before it is
// stored: the parsed metadata, the chunks and a problem, if any.
type Preview struct {
	Version xinqiao.DocumentVersion `json:"version"`
	Chunks  []Piece                 `json:"chunks"`
}

// PreviewChunks cuts a version's body into the chunks approval would store.
func PreviewChunks(v xinqiao.DocumentVersion) []Piece { return ChunkMarkdown(v.Title, v.Body) }

// DueForReview returns the documents whose current version's review date
// has passed.
func (s *Service) DueForReview(ctx context.Context) ([]xinqiao.Document, error) {
	docs, err := s.st.Documents(ctx, xinqiao.DocumentFilter{})
	if err != nil {
		return nil, err
	}
	now := s.now()
	var out []xinqiao.Document
	for _, d := range docs {
		if d.DueForReview(now) {
			out = append(out, d)
		}
	}
	return out, nil
}
