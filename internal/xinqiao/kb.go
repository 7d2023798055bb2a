package xinqiao

import (
	"context"
	"math"
	"time"
)

// States of a document version. A version moves draft → review → approved;
// the document's current approved version is the only one retrieved; retiring
// the document retires that version and nothing of it is retrieved again.
// Superseded versions keep the state approved (they were approved, and
// answers cited them) but are not current.
const (
	StateDraft    = "draft"
	StateReview   = "review"
	StateApproved = "approved"
	StateRetired  = "retired"
)

// Kinds of knowledge documents. Articles are retrieved by search; cards are
// fixed replies pinned to a situation (e.g. medium_risk) and never appear as
// ordinary search hits.
const (
	KindArticle = "article"
	KindCard    = "card"
)

// Document is one knowledge document: its identity and the metadata of its
// newest version, with pointers to the live and the newest version.
type Document struct {
	ID            string    `json:"id"`
	Title         string    `json:"title"`
	Lang          string    `json:"lang"`
	Kind          string    `json:"kind"`
	Audience      []string  `json:"audience"`
	Topics        []string  `json:"topics"`
	PinnedFor     []string  `json:"pinned_for,omitempty"`
	TranslationOf string    `json:"translation_of,omitempty"`
	Current       int       `json:"current"`          // the approved version retrieved now; 0 when none
	Latest        int       `json:"latest"`           // the newest version, whatever its state
	LatestState   string    `json:"latest_state"`     // the state of the newest version
	ReviewDue     time.Time `json:"review_due"`       // of the current version; zero when none
	Retired       bool      `json:"retired"`          // the document was taken out of retrieval
	UpdatedAt     time.Time `json:"updated_at"`       // last change of any version
	CreatedAt     time.Time `json:"created_at"`       // first version stored
	Source        string    `json:"source,omitempty"` // file the document was imported from, if any
}

// DueForReview reports whether the current version's review date has passed
// at now: the curator pages flag such documents.
func (d Document) DueForReview(now time.Time) bool {
	return d.Current > 0 && !d.ReviewDue.IsZero() && !now.Before(d.ReviewDue)
}

// DocumentVersion is one immutable text of a document with its workflow
// state. The body is the Markdown without front matter; Hash is the SHA-256
// of the whole source (front matter included) and makes imports idempotent.
type DocumentVersion struct {
	DocID         string    `json:"doc_id"`
	Version       int       `json:"version"`
	State         string    `json:"state"`
	Current       bool      `json:"current"` // this is the document's retrieved version
	Title         string    `json:"title"`
	Lang          string    `json:"lang"`
	Kind          string    `json:"kind"`
	Audience      []string  `json:"audience"`
	Topics        []string  `json:"topics"`
	PinnedFor     []string  `json:"pinned_for,omitempty"`
	TranslationOf string    `json:"translation_of,omitempty"`
	Body          string    `json:"body"`
	Hash          string    `json:"hash"`
	Source        string    `json:"source,omitempty"`
	Author        string    `json:"author"`             // staff id, or "git" for imported material
	Reviewer      string    `json:"reviewer,omitempty"` // staff id, or the reviewed_by of imported material
	ReviewedAt    time.Time `json:"reviewed_at"`
	ReviewDue     time.Time `json:"review_due"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

// Chunk is a retrievable piece of a document's current approved version: a
// section or a few paragraphs. Lang, Audience and Kind are copied from the
// version so search filters without joins. Context is what was embedded and
// tokenised: the title and heading followed by the text.
type Chunk struct {
	ID        int64     `json:"id"`
	DocID     string    `json:"doc_id"`
	Version   int       `json:"version"`
	Ord       int       `json:"ord"`
	Title     string    `json:"title"`
	Heading   string    `json:"heading,omitempty"`
	Text      string    `json:"text"`
	Context   string    `json:"-"`
	Lang      string    `json:"lang"`
	Audience  []string  `json:"audience"`
	Kind      string    `json:"kind"`
	Topics    []string  `json:"topics"`
	Tokens    []string  `json:"-"` // keyword tokens of Context, from the kb segmenter
	Embedding []float32 `json:"-"`
	Embedder  string    `json:"embedder"`
	Dim       int       `json:"dim"`
}

// ScoredChunk is a chunk returned by one retriever with its raw score:
// cosine similarity for vector search, the engine's keyword rank for keyword
// search (higher is better for both).
type ScoredChunk struct {
	Chunk
	Score float64 `json:"score"`
}

// ChunkFilter narrows a chunk search. Empty fields do not filter. Cards are
// excluded unless Kind asks for them.
type ChunkFilter struct {
	Lang string // "zh" or "en"
	Band string // primary, junior or senior: chunks whose audience includes it
	Kind string // default KindArticle
	K    int    // how many to return
}

// EmbedderCount says how many stored chunks one embedder produced.
type EmbedderCount struct {
	Embedder string `json:"embedder"`
	Dim      int    `json:"dim"`
	Chunks   int    `json:"chunks"`
}

// GapTopic counts the student questions of one day that no vetted material
// answered confidently, under a coarse topic label. No text and no identity
// is kept.
type GapTopic struct {
	Day   string `json:"day"` // YYYY-MM-DD in Zone
	Topic string `json:"topic"`
	Lang  string `json:"lang"`
	Count int    `json:"count"`
}

// DocumentFilter narrows a document listing. Empty fields do not filter.
type DocumentFilter struct {
	Lang  string
	Kind  string
	State string // the state of the newest version
}

// LastCardError is the ECONFLICT error of retiring the last current Chinese
// card pinned for a situation.
func LastCardError(situation string) error {
	return Errorf(ECONFLICT, "this is the last Chinese card for %s: approve a replacement before retiring it", situation)
}

// ChineseSituations returns the situations a Chinese card is pinned for, or
// nothing for any other version.
func ChineseSituations(v DocumentVersion) []string {
	if v.Kind != KindCard || v.Lang != "zh" {
		return nil
	}
	return v.PinnedFor
}

// LostSituations returns the situations the Chinese card was is pinned for
// that its replacement next is not: approving next must not leave one of
// them without a Chinese card.
func LostSituations(was, next DocumentVersion) []string {
	keep := map[string]bool{}
	for _, s := range ChineseSituations(next) {
		keep[s] = true
	}
	var out []string
	for _, s := range ChineseSituations(was) {
		if !keep[s] {
			out = append(out, s)
		}
	}
	return out
}

// Transition is a change of a version's state by a staff member.
type Transition struct {
	DocID   string
	Version int
	Actor   string // staff id
	At      time.Time
}

// KnowledgeStore persists knowledge documents, every version of them, the
// chunks of the current approved versions, and the gap counts. The workflow
// rules (states, two-person approval) are enforced here, in the transaction
// that changes the state, so no surface can skip them.
type KnowledgeStore interface {
	// CreateDraft stores v as a new draft: version 1 of a new document when
	// v.DocID is unknown, else the document's newest version plus one.
	// It returns the stored version.
	CreateDraft(ctx context.Context, v DocumentVersion) (DocumentVersion, error)
	// ImportApproved stores vetted material reviewed outside the service (git
	// review counts as the second person) as the document's current approved
	// version, with the version number it carries, and replaces the
	// document's chunks with chunks. A version number not above the newest
	// stored one is ECONFLICT.
	ImportApproved(ctx context.Context, v DocumentVersion, chunks []Chunk) error
	// SubmitVersion moves a draft to review.
	SubmitVersion(ctx context.Context, t Transition) (DocumentVersion, error)
	// ApproveVersion moves a version in review to approved and makes it
	// current, replacing the document's chunks with chunks in the same
	// transaction. The author approving their own version is EFORBIDDEN; a
	// version not in review is ECONFLICT.
	ApproveVersion(ctx context.Context, t Transition, chunks []Chunk) (DocumentVersion, error)
	// RetireDocument retires the current version and deletes the document's
	// chunks: nothing of it is retrieved again. A document with no current
	// version is ECONFLICT. A card (the replies pinned for a crisis or
	// medium risk) takes two curators, like approval: the first call records
	// t.Actor's request and returns retired=false; the same curator again is
	// EFORBIDDEN; another curator's call retires it (retired=true). The last
	// current Chinese card pinned for a situation is never retired
	// (ECONFLICT): a replacement is approved first. Both checks are made in
	// the retiring transaction, and approving a version that would take the
	// last Chinese card of a situation away (another kind, language or
	// pinned_for) is ECONFLICT the same way.
	RetireDocument(ctx context.Context, t Transition) (retired bool, err error)
	// Document returns a document or ENOTFOUND.
	Document(ctx context.Context, id string) (Document, error)
	// Documents lists documents ordered by id.
	Documents(ctx context.Context, f DocumentFilter) ([]Document, error)
	// Versions returns every version of a document, oldest first.
	Versions(ctx context.Context, docID string) ([]DocumentVersion, error)
	// Version returns one version or ENOTFOUND.
	Version(ctx context.Context, docID string, version int) (DocumentVersion, error)
	// CurrentCards returns the current approved cards (kind card) of a
	// language ("" for all), for pinned replies.
	CurrentCards(ctx context.Context, lang string) ([]DocumentVersion, error)

	// SearchVector returns the chunks nearest to vec by cosine similarity,
	// among chunks embedded with the same dimension.
	SearchVector(ctx context.Context, vec []float32, f ChunkFilter) ([]ScoredChunk, error)
	// SearchKeyword returns the chunks best matching any of tokens (from the
	// kb segmenter), ranked by the engine (BM25 or ts_rank).
	SearchKeyword(ctx context.Context, tokens []string, f ChunkFilter) ([]ScoredChunk, error)
	// Chunks pages through every stored chunk in id order, with its context,
	// tokens and vector: for re-embedding and the in-process search index.
	Chunks(ctx context.Context, afterID int64, limit int) ([]Chunk, error)
	// SetEmbeddings replaces the vectors of the given chunks (same order),
	// recording the embedder's name and dimension.
	SetEmbeddings(ctx context.Context, embedder string, dim int, ids []int64, vecs [][]float32) error
	// EmbedderCounts says which embedders produced the stored chunks.
	EmbedderCounts(ctx context.Context) ([]EmbedderCount, error)
	// EnsureVectorIndex prepares the nearest-neighbour index for vectors of
	// dim (an HNSW index on PostgreSQL; nothing on SQLite).
	EnsureVectorIndex(ctx context.Context, dim int) error

	// CountGap adds one unanswered question to the count of topic on the
	// date day has in its own location (callers pass a time in Zone).
	CountGap(ctx context.Context, day time.Time, topic, lang string) error
	// Gaps returns the counts of the dates from..to (inclusive, each read
	// in its own location), the largest first.
	Gaps(ctx context.Context, from, to time.Time) ([]GapTopic, error)
}

// UnitVector returns v scaled to unit length (v itself when it is zero), so
// that a dot product of two such vectors is their cosine similarity. Every
// embedding is stored and searched this way.
func UnitVector(v []float32) []float32 {
	var n float64
	for _, f := range v {
		n += float64(f) * float64(f)
	}
	if n == 0 {
		return v
	}
	inv := float32(1 / math.Sqrt(n))
	out := make([]float32, len(v))
	for i, f := range v {
		out[i] = f * inv
	}
	return out
}
