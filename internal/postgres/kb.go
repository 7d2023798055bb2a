package postgres

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"weak"

	"xinqiao/internal/xinqiao"

	"github.com/jackc/pgx/v5"
	"github.com/pgvector/pgvector-go"
)

// hnswMaxDim is the largest dimension pgvector's HNSW index takes for the
// vector type; larger vectors are searched exactly.
const hnswMaxDim = 2000

// efSearch is the HNSW candidate list size at query time (pgvector default
// 40); iterative scans extend it when filters drop candidates. Measured on
// 100k synthetic chunks of the local embedder with the eval's lang and band
// filters (BENCHMARKS.md): recall@10 against exact search 0.66 at 40 (5 ms),
// 0.79 at 100 (8.5 ms), 0.85 at 200 (15 ms), 0.89 at 400 (29 ms). The hashed
// n-gram vectors have many near-ties, so part of the "misses" are chunks as
// close as the exact ones; 100 is the compromise kept.
const efSearch = 100

const versionColumns = `v.doc_id, v.version, v.state, d.current_version = v.version, v.title, v.lang, v.kind,
	v.audience, v.topics, v.pinned_for, v.translation_of, v.body, v.hash, v.source, v.author, v.reviewer,
	v.reviewed_at, v.review_due, v.created_at, v.updated_at`

func scanVersion(row pgx.Row) (xinqiao.DocumentVersion, error) {
	var v xinqiao.DocumentVersion
	var reviewed, due *time.Time
	if err := row.Scan(&v.DocID, &v.Version, &v.State, &v.Current, &v.Title, &v.Lang, &v.Kind,
		&v.Audience, &v.Topics, &v.PinnedFor, &v.TranslationOf, &v.Body, &v.Hash, &v.Source, &v.Author, &v.Reviewer,
		&reviewed, &due, &v.CreatedAt, &v.UpdatedAt); err != nil {
		return v, err
	}
	if reviewed != nil {
		v.ReviewedAt = reviewed.UTC()
	}
	if due != nil {
		v.ReviewDue = due.UTC()
	}
	v.CreatedAt, v.UpdatedAt = v.CreatedAt.UTC(), v.UpdatedAt.UTC()
	return v, nil
}

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func list(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func validVersion(v xinqiao.DocumentVersion) error {
	switch {
	case v.DocID == "":
		return xinqiao.Errorf(xinqiao.EINVALID, "document id is missing")
	case v.Title == "":
		return xinqiao.Errorf(xinqiao.EINVALID, "title is missing")
	case v.Lang != "zh" && v.Lang != "en":
		return xinqiao.Errorf(xinqiao.EINVALID, "lang must be zh or en")
	case v.Kind != xinqiao.KindArticle && v.Kind != xinqiao.KindCard:
		return xinqiao.Errorf(xinqiao.EINVALID, "kind must be article or card")
	}
	return nil
}

func insertVersion(ctx context.Context, tx pgx.Tx, v xinqiao.DocumentVersion) error {
	const q = `INSERT INTO kb_versions (doc_id, version, state, title, lang, kind, audience, topics, pinned_for,
			translation_of, body, hash, source, author, reviewer, reviewed_at, review_due, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)`
	_, err := tx.Exec(ctx, q, v.DocID, v.Version, v.State, v.Title, v.Lang, v.Kind, list(v.Audience), list(v.Topics),
		list(v.PinnedFor), v.TranslationOf, v.Body, v.Hash, v.Source, v.Author, v.Reviewer, optTime(v.ReviewedAt),
		optTime(v.ReviewDue), v.CreatedAt, v.UpdatedAt)
	if isUnique(err) {
		return xinqiao.Errorf(xinqiao.ECONFLICT, "version %d of %s exists", v.Version, v.DocID)
	} else if err != nil {
		return fmt.Errorf("insert version: %w", err)
	}
	return nil
}

// ensureDocument creates the document row if missing, locks it, and returns
// its latest and current version numbers.
func ensureDocument(ctx context.Context, tx pgx.Tx, id, source string, now time.Time) (latest, current int, err error) {
	const ins = `INSERT INTO kb_documents (id, source, created_at, updated_at) VALUES ($1, $2, $3, $3) ON CONFLICT (id) DO NOTHING`
	if _, err := tx.Exec(ctx, ins, id, source, now); err != nil {
		return 0, 0, fmt.Errorf("insert document: %w", err)
	}
	const q = `SELECT latest_version, current_version FROM kb_documents WHERE id = $1 FOR UPDATE`
	if err := tx.QueryRow(ctx, q, id).Scan(&latest, &current); err != nil {
		return 0, 0, fmt.Errorf("load document: %w", err)
	}
	return latest, current, nil
}

// CreateDraft implements xinqiao.KnowledgeStore.
func (db *DB) CreateDraft(ctx context.Context, v xinqiao.DocumentVersion) (xinqiao.DocumentVersion, error) {
	if err := validVersion(v); err != nil {
		return v, err
	}
	err := db.tx(ctx, func(tx pgx.Tx) error {
		now := db.now().UTC().Truncate(time.Microsecond)
		latest, _, err := ensureDocument(ctx, tx, v.DocID, v.Source, now)
		if err != nil {
			return err
		}
		v.Version, v.State, v.Current = latest+1, xinqiao.StateDraft, false
		v.Reviewer, v.ReviewedAt = "", time.Time{}
		v.CreatedAt, v.UpdatedAt = now, now
		if err := insertVersion(ctx, tx, v); err != nil {
			return err
		}
		const q = `UPDATE kb_documents SET latest_version = $1, updated_at = $2 WHERE id = $3`
		if _, err := tx.Exec(ctx, q, v.Version, now, v.DocID); err != nil {
			return fmt.Errorf("update document: %w", err)
		}
		return nil
	})
	return v, err
}

// ImportApproved implements xinqiao.KnowledgeStore.
func (db *DB) ImportApproved(ctx context.Context, v xinqiao.DocumentVersion, chunks []xinqiao.Chunk) error {
	if err := validVersion(v); err != nil {
		return err
	}
	if v.Version <= 0 {
		return xinqiao.Errorf(xinqiao.EINVALID, "version must be positive")
	}
	return db.tx(ctx, func(tx pgx.Tx) error {
		now := db.now()
		latest, _, err := ensureDocument(ctx, tx, v.DocID, v.Source, now)
		if err != nil {
			return err
		}
		if v.Version <= latest {
			return xinqiao.Errorf(xinqiao.ECONFLICT, "%s: version %d is already stored with other content; give the changed document a higher version", v.DocID, v.Version)
		}
		v.State = xinqiao.StateApproved
		v.CreatedAt, v.UpdatedAt = now, now
		if err := insertVersion(ctx, tx, v); err != nil {
			return err
		}
		const q = `UPDATE kb_documents SET latest_version = $1, current_version = $1, retired = false, source = $2, updated_at = $3 WHERE id = $4`
		if _, err := tx.Exec(ctx, q, v.Version, v.Source, now, v.DocID); err != nil {
			return fmt.Errorf("update document: %w", err)
		}
		return replaceChunks(ctx, tx, v, chunks)
	})
}

// replaceChunks deletes the document's chunks and stores the new version's.
func replaceChunks(ctx context.Context, tx pgx.Tx, v xinqiao.DocumentVersion, chunks []xinqiao.Chunk) error {
	if _, err := tx.Exec(ctx, `DELETE FROM kb_chunks WHERE doc_id = $1`, v.DocID); err != nil {
		return fmt.Errorf("delete chunks: %w", err)
	}
	if len(chunks) == 0 {
		return nil
	}
	const q = `INSERT INTO kb_chunks (doc_id, version, ord, title, heading, text, context, lang, audience, kind, topics,
			tokens, tsv, embedding, embedder, dim) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13::tsvector, $14, $15, $16)`
	b := &pgx.Batch{}
	for i, c := range chunks {
		var emb *pgvector.Vector
		if c.Embedding != nil {
			e := pgvector.NewVector(c.Embedding)
			emb = &e
		}
		b.Queue(q, v.DocID, v.Version, i, v.Title, c.Heading, c.Text, c.Context, v.Lang, list(v.Audience), v.Kind,
			list(v.Topics), strings.Join(c.Tokens, " "), TSVector(c.Tokens), emb, c.Embedder, len(c.Embedding))
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("insert chunks: %w", err)
	}
	return nil
}

// TSVector renders tokens as a tsvector literal with positions. The literal
// is parsed by tsvector's input function, not by a text-search parser, so
// CJK tokens arrive exactly as the kb segmenter made them.
func TSVector(tokens []string) string {
	pos := map[string][]int{}
	var order []string
	for i, t := range tokens {
		if t == "" {
			continue
		}
		if _, ok := pos[t]; !ok {
			order = append(order, t)
		}
		p := i + 1
		if p > 16383 { // tsvector's largest position
			p = 16383
		}
		if len(pos[t]) < 256 { // tsvector keeps at most 256 positions per lexeme
			pos[t] = append(pos[t], p)
		}
	}
	var sb strings.Builder
	for _, t := range order {
		if sb.Len() > 0 {
			sb.WriteByte(' ')
		}
		sb.WriteString(quoteLexeme(t))
		for j, p := range pos[t] {
			if j == 0 {
				sb.WriteByte(':')
			} else {
				sb.WriteByte(',')
			}
			sb.WriteString(strconv.Itoa(p))
		}
	}
	return sb.String()
}

// quoteLexeme quotes a lexeme for a tsvector or tsquery literal.
func quoteLexeme(t string) string {
	t = strings.ReplaceAll(t, `\`, `\\`)
	return "'" + strings.ReplaceAll(t, "'", "''") + "'"
}

// tsQuery ORs the distinct tokens as a tsquery literal.
func tsQuery(tokens []string) string {
	seen := map[string]bool{}
	var parts []string
	for _, t := range tokens {
		if t == "" || seen[t] {
			continue
		}
		seen[t] = true
		parts = append(parts, quoteLexeme(t))
	}
	return strings.Join(parts, " | ")
}

func versionState(ctx context.Context, tx pgx.Tx, docID string, version int) (state, author string, current int, err error) {
	const q = `SELECT v.state, v.author, d.current_version FROM kb_versions v JOIN kb_documents d ON d.id = v.doc_id
		WHERE v.doc_id = $1 AND v.version = $2 FOR UPDATE`
	err = tx.QueryRow(ctx, q, docID, version).Scan(&state, &author, &current)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", "", 0, xinqiao.Errorf(xinqiao.ENOTFOUND, "version %d of %s not found", version, docID)
	} else if err != nil {
		return "", "", 0, fmt.Errorf("load version: %w", err)
	}
	return state, author, current, nil
}

func versionTx(ctx context.Context, tx pgx.Tx, docID string, version int) (xinqiao.DocumentVersion, error) {
	const q = `SELECT ` + versionColumns + ` FROM kb_versions v JOIN kb_documents d ON d.id = v.doc_id WHERE v.doc_id = $1 AND v.version = $2`
	v, err := scanVersion(tx.QueryRow(ctx, q, docID, version))
	if err != nil {
		return v, fmt.Errorf("reload version: %w", err)
	}
	return v, nil
}

// SubmitVersion implements xinqiao.KnowledgeStore.
func (db *DB) SubmitVersion(ctx context.Context, t xinqiao.Transition) (xinqiao.DocumentVersion, error) {
	var out xinqiao.DocumentVersion
	err := db.tx(ctx, func(tx pgx.Tx) error {
		state, _, _, err := versionState(ctx, tx, t.DocID, t.Version)
		if err != nil {
			return err
		}
		if state != xinqiao.StateDraft {
			return xinqiao.Errorf(xinqiao.ECONFLICT, "version %d is %s, only a draft can be submitted", t.Version, state)
		}
		const q = `UPDATE kb_versions SET state = 'review', updated_at = $1 WHERE doc_id = $2 AND version = $3`
		if _, err := tx.Exec(ctx, q, t.At, t.DocID, t.Version); err != nil {
			return fmt.Errorf("submit version: %w", err)
		}
		if _, err := tx.Exec(ctx, `UPDATE kb_documents SET updated_at = $1 WHERE id = $2`, t.At, t.DocID); err != nil {
			return fmt.Errorf("update document: %w", err)
		}
		out, err = versionTx(ctx, tx, t.DocID, t.Version)
		return err
	})
	return out, err
}

// ApproveVersion implements xinqiao.KnowledgeStore.
func (db *DB) ApproveVersion(ctx context.Context, t xinqiao.Transition, chunks []xinqiao.Chunk) (xinqiao.DocumentVersion, error) {
	var out xinqiao.DocumentVersion
	err := db.tx(ctx, func(tx pgx.Tx) error {
		state, author, current, err := versionState(ctx, tx, t.DocID, t.Version)
		if err != nil {
			return err
		}
		switch {
		case state != xinqiao.StateReview:
			return xinqiao.Errorf(xinqiao.ECONFLICT, "version %d is %s, only a version in review can be approved", t.Version, state)
		case author == t.Actor:
			return xinqiao.Errorf(xinqiao.EFORBIDDEN, "the author cannot approve their own version: another curator must")
		case t.Version < current:
			return xinqiao.Errorf(xinqiao.ECONFLICT, "version %d is older than the current version %d", t.Version, current)
		}
		if current > 0 {
			was, err := cardFields(ctx, tx, t.DocID, current)
			if err != nil {
				return err
			}
			next, err := cardFields(ctx, tx, t.DocID, t.Version)
			if err != nil {
				return err
			}
			if lost := xinqiao.LostSituations(was, next); len(lost) > 0 {
				if err := lockCards(ctx, tx); err != nil {
					return err
				}
				if err := lastChineseCard(ctx, tx, t.DocID, lost); err != nil {
					return err
				}
			}
		}
		const q = `UPDATE kb_versions SET state = 'approved', reviewer = $1, reviewed_at = $2, updated_at = $2,
				review_due = COALESCE(review_due, $3) WHERE doc_id = $4 AND version = $5`
		if _, err := tx.Exec(ctx, q, t.Actor, t.At, t.At.AddDate(1, 0, 0), t.DocID, t.Version); err != nil {
			return fmt.Errorf("approve version: %w", err)
		}
		const qd = `UPDATE kb_documents SET current_version = $1, retired = false, updated_at = $2 WHERE id = $3`
		if _, err := tx.Exec(ctx, qd, t.Version, t.At, t.DocID); err != nil {
			return fmt.Errorf("update document: %w", err)
		}
		if out, err = versionTx(ctx, tx, t.DocID, t.Version); err != nil {
			return err
		}
		return replaceChunks(ctx, tx, out, chunks)
	})
	return out, err
}

// cardFields loads what decides whether a version is a Chinese card and
// for which situations: its kind, language and pinned_for.
func cardFields(ctx context.Context, tx pgx.Tx, docID string, version int) (xinqiao.DocumentVersion, error) {
	v := xinqiao.DocumentVersion{DocID: docID, Version: version}
	const q = `SELECT kind, lang, pinned_for FROM kb_versions WHERE doc_id = $1 AND version = $2`
	if err := tx.QueryRow(ctx, q, docID, version).Scan(&v.Kind, &v.Lang, &v.PinnedFor); err != nil {
		return v, fmt.Errorf("load version: %w", err)
	}
	return v, nil
}

// lastChineseCard returns the ECONFLICT of xinqiao.LastCardError when no
// current Chinese card other than docID's is pinned for one of situations.
// The caller holds the retirement lock, so two transactions cannot each
// count on the other's card.
func lastChineseCard(ctx context.Context, tx pgx.Tx, docID string, situations []string) error {
	for _, sit := range situations {
		var others int
		const q = `SELECT count(*) FROM kb_documents d JOIN kb_versions o ON o.doc_id = d.id AND o.version = d.current_version
			WHERE d.id <> $1 AND o.kind = 'card' AND o.state = 'approved' AND o.lang = 'zh' AND $2 = ANY (o.pinned_for)`
		if err := tx.QueryRow(ctx, q, docID, sit).Scan(&others); err != nil {
			return fmt.Errorf("count cards: %w", err)
		}
		if others == 0 {
			return xinqiao.LastCardError(sit)
		}
	}
	return nil
}

// lockCards takes the transaction-long lock under which Chinese cards are
// retired or changed, one transaction at a time.
func lockCards(ctx context.Context, tx pgx.Tx) error {
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('xinqiao.kb.retire'))`); err != nil {
		return fmt.Errorf("lock cards: %w", err)
	}
	return nil
}

// RetireDocument implements xinqiao.KnowledgeStore.
func (db *DB) RetireDocument(ctx context.Context, t xinqiao.Transition) (retired bool, err error) {
	err = db.tx(ctx, func(tx pgx.Tx) error {
		// Card retirements take turns, so two curators retiring the last two
		// Chinese cards of a situation at once cannot both succeed.
		if err := lockCards(ctx, tx); err != nil {
			return err
		}
		var current, reqVersion int
		var reqBy string
		const q = `SELECT current_version, retire_requested_by, retire_requested_version FROM kb_documents WHERE id = $1 FOR UPDATE`
		err := tx.QueryRow(ctx, q, t.DocID).Scan(&current, &reqBy, &reqVersion)
		if errors.Is(err, pgx.ErrNoRows) {
			return xinqiao.Errorf(xinqiao.ENOTFOUND, "document %s not found", t.DocID)
		} else if err != nil {
			return fmt.Errorf("load document: %w", err)
		}
		if current == 0 {
			return xinqiao.Errorf(xinqiao.ECONFLICT, "document %s has no approved version to retire", t.DocID)
		}
		v, err := cardFields(ctx, tx, t.DocID, current)
		if err != nil {
			return err
		}
		if v.Kind == xinqiao.KindCard {
			if err := lastChineseCard(ctx, tx, t.DocID, xinqiao.ChineseSituations(v)); err != nil {
				return err
			}
			switch {
			case reqBy == "" || reqVersion != current:
				const qr = `UPDATE kb_documents SET retire_requested_by = $1, retire_requested_version = $2, retire_requested_at = $3 WHERE id = $4`
				if _, err := tx.Exec(ctx, qr, t.Actor, current, t.At, t.DocID); err != nil {
					return fmt.Errorf("request retirement: %w", err)
				}
				return nil
			case reqBy == t.Actor:
				return xinqiao.Errorf(xinqiao.EFORBIDDEN, "you asked to retire this card: another curator must confirm it")
			}
		}
		const qr2 = `UPDATE kb_versions SET state = 'retired', updated_at = $1 WHERE doc_id = $2 AND version = $3`
		if _, err := tx.Exec(ctx, qr2, t.At, t.DocID, current); err != nil {
			return fmt.Errorf("retire version: %w", err)
		}
		const qd = `UPDATE kb_documents SET current_version = 0, retired = true, updated_at = $1,
			retire_requested_by = '', retire_requested_version = 0, retire_requested_at = NULL WHERE id = $2`
		if _, err := tx.Exec(ctx, qd, t.At, t.DocID); err != nil {
			return fmt.Errorf("retire document: %w", err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM kb_chunks WHERE doc_id = $1`, t.DocID); err != nil {
			return fmt.Errorf("delete chunks: %w", err)
		}
		retired = true
		return nil
	})
	return retired, err
}

// documentQuery selects a document with the metadata of its newest version
// and the review date of its current one.
const documentQuery = `SELECT d.id, v.title, v.lang, v.kind, v.audience, v.topics, v.pinned_for, v.translation_of,
		d.current_version, d.latest_version, v.state, c.review_due, d.retired, d.updated_at, d.created_at, d.source
	FROM kb_documents d
	JOIN kb_versions v ON v.doc_id = d.id AND v.version = d.latest_version
	LEFT JOIN kb_versions c ON c.doc_id = d.id AND c.version = d.current_version`

func scanDocument(row pgx.Row) (xinqiao.Document, error) {
	var d xinqiao.Document
	var due *time.Time
	if err := row.Scan(&d.ID, &d.Title, &d.Lang, &d.Kind, &d.Audience, &d.Topics, &d.PinnedFor, &d.TranslationOf,
		&d.Current, &d.Latest, &d.LatestState, &due, &d.Retired, &d.UpdatedAt, &d.CreatedAt, &d.Source); err != nil {
		return d, err
	}
	if due != nil {
		d.ReviewDue = due.UTC()
	}
	d.UpdatedAt, d.CreatedAt = d.UpdatedAt.UTC(), d.CreatedAt.UTC()
	return d, nil
}

// Document implements xinqiao.KnowledgeStore.
func (db *DB) Document(ctx context.Context, id string) (xinqiao.Document, error) {
	const q = documentQuery + ` WHERE d.id = $1`
	d, err := scanDocument(db.pool.QueryRow(ctx, q, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return d, xinqiao.Errorf(xinqiao.ENOTFOUND, "document %s not found", id)
	} else if err != nil {
		return d, fmt.Errorf("load document: %w", err)
	}
	return d, nil
}

// Documents implements xinqiao.KnowledgeStore.
func (db *DB) Documents(ctx context.Context, f xinqiao.DocumentFilter) ([]xinqiao.Document, error) {
	const q = documentQuery + ` WHERE ($1 = '' OR v.lang = $1) AND ($2 = '' OR v.kind = $2) AND ($3 = '' OR v.state = $3) ORDER BY d.id`
	rows, err := db.pool.Query(ctx, q, f.Lang, f.Kind, f.State)
	if err != nil {
		return nil, fmt.Errorf("list documents: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (xinqiao.Document, error) { return scanDocument(r) })
	if err != nil {
		return nil, fmt.Errorf("list documents: %w", err)
	}
	return out, nil
}

func (db *DB) queryVersions(ctx context.Context, q string, args ...any) ([]xinqiao.DocumentVersion, error) {
	rows, err := db.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list versions: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (xinqiao.DocumentVersion, error) { return scanVersion(r) })
	if err != nil {
		return nil, fmt.Errorf("list versions: %w", err)
	}
	return out, nil
}

// Versions implements xinqiao.KnowledgeStore.
func (db *DB) Versions(ctx context.Context, docID string) ([]xinqiao.DocumentVersion, error) {
	const q = `SELECT ` + versionColumns + ` FROM kb_versions v JOIN kb_documents d ON d.id = v.doc_id
		WHERE v.doc_id = $1 ORDER BY v.version`
	vs, err := db.queryVersions(ctx, q, docID)
	if err == nil && len(vs) == 0 {
		err = xinqiao.Errorf(xinqiao.ENOTFOUND, "document %s not found", docID)
	}
	return vs, err
}

// Version implements xinqiao.KnowledgeStore.
func (db *DB) Version(ctx context.Context, docID string, version int) (xinqiao.DocumentVersion, error) {
	const q = `SELECT ` + versionColumns + ` FROM kb_versions v JOIN kb_documents d ON d.id = v.doc_id
		WHERE v.doc_id = $1 AND v.version = $2`
	v, err := scanVersion(db.pool.QueryRow(ctx, q, docID, version))
	if errors.Is(err, pgx.ErrNoRows) {
		return v, xinqiao.Errorf(xinqiao.ENOTFOUND, "version %d of %s not found", version, docID)
	} else if err != nil {
		return v, fmt.Errorf("load version: %w", err)
	}
	return v, nil
}

// CurrentCards implements xinqiao.KnowledgeStore.
func (db *DB) CurrentCards(ctx context.Context, lang string) ([]xinqiao.DocumentVersion, error) {
	const q = `SELECT ` + versionColumns + ` FROM kb_documents d JOIN kb_versions v ON v.doc_id = d.id AND v.version = d.current_version
		WHERE v.kind = 'card' AND v.state = 'approved' AND ($1 = '' OR v.lang = $1) ORDER BY d.id`
	return db.queryVersions(ctx, q, lang)
}

const chunkColumns = `c.id, c.doc_id, c.version, c.ord, c.title, c.heading, c.text, c.lang, c.audience, c.kind, c.topics, c.embedder, c.dim`

func scanChunk(row pgx.Row, extra ...any) (xinqiao.Chunk, error) {
	var c xinqiao.Chunk
	dest := append([]any{&c.ID, &c.DocID, &c.Version, &c.Ord, &c.Title, &c.Heading, &c.Text, &c.Lang, &c.Audience,
		&c.Kind, &c.Topics, &c.Embedder, &c.Dim}, extra...)
	err := row.Scan(dest...)
	return c, err
}

func chunkKind(f xinqiao.ChunkFilter) string {
	if f.Kind == "" {
		return xinqiao.KindArticle
	}
	return f.Kind
}

func collectScored(rows pgx.Rows) ([]xinqiao.ScoredChunk, error) {
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (xinqiao.ScoredChunk, error) {
		var sc xinqiao.ScoredChunk
		c, err := scanChunk(r, &sc.Score)
		sc.Chunk = c
		return sc, err
	})
}

// Keyword search bounds its work by the rarity of the query's tokens, as on
// SQLite: an OR tsquery ranks every chunk holding any token, so common
// bigrams (知道, 怎么, 我们) would make ts_rank score most of a large corpus
// (165 ms at 100k chunks). The frequencies come from the planner's
// statistics of the tsv column (pg_stats.most_common_elems, kept by ANALYZE
// and autovacuum; read at most once a minute): tokens are kept rarest first
// while their estimated chunk counts add up to keywordBudget, at most
// keywordMaxTerms of them, and always the rarest one. Tokens missing from
// the statistics are rarer than any listed and count as zero. Without
// statistics (a new or small table) every token is kept.
const (
	keywordBudget   = 2000 // estimated postings scored per query at most, beyond the rarest token
	keywordMaxTerms = 16   // query tokens kept at most when statistics exist
	termStatsTTL    = time.Minute
)

// termStats is a snapshot of the tsv column's most common lexemes.
type termStats struct {
	mu   sync.Mutex
	at   time.Time
	ok   bool           // statistics exist
	freq map[string]int // estimated chunks holding the lexeme
}

// termStatsByDB maps each open DB to its snapshot; it lives beside the DB
// so the knowledge store stays in this file, and the weak key and the
// cleanup drop a snapshot with its DB.
var termStatsByDB sync.Map // weak.Pointer[DB] → *termStats

func (db *DB) termFreqs(ctx context.Context) (map[string]int, bool, error) {
	key := weak.Make(db)
	v, loaded := termStatsByDB.LoadOrStore(key, &termStats{})
	if !loaded {
		runtime.AddCleanup(db, func(k weak.Pointer[DB]) { termStatsByDB.Delete(k) }, key)
	}
	ts := v.(*termStats)
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if !ts.at.IsZero() && time.Since(ts.at) < termStatsTTL {
		return ts.freq, ts.ok, nil
	}
	const q = `SELECT s.most_common_elems::text::text[], s.most_common_elem_freqs, c.reltuples
		FROM pg_stats s JOIN pg_class c ON c.oid = to_regclass(quote_ident(s.schemaname) || '.kb_chunks')
		WHERE s.schemaname = current_schema() AND s.tablename = 'kb_chunks' AND s.attname = 'tsv'`
	var elems []string
	var freqs []float32
	var rows float32
	err := db.pool.QueryRow(ctx, q).Scan(&elems, &freqs, &rows)
	ts.at, ts.ok, ts.freq = time.Now(), false, nil
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, false, nil
	} else if err != nil {
		return nil, false, fmt.Errorf("keyword statistics: %w", err)
	}
	if len(elems) == 0 || rows <= 0 || len(freqs) < len(elems) {
		return nil, false, nil
	}
	ts.freq = make(map[string]int, len(elems))
	for i, e := range elems {
		ts.freq[e] = int(freqs[i] * rows)
	}
	ts.ok = true
	return ts.freq, true, nil
}

// keywordTerms picks the query tokens worth scoring (see keywordBudget).
func (db *DB) keywordTerms(ctx context.Context, tokens []string) ([]string, error) {
	var distinct []string
	seen := map[string]bool{}
	for _, t := range tokens {
		if t != "" && !seen[t] {
			seen[t] = true
			distinct = append(distinct, t)
		}
	}
	df, ok, err := db.termFreqs(ctx)
	if err != nil || !ok {
		return distinct, err
	}
	sort.SliceStable(distinct, func(i, j int) bool { return df[distinct[i]] < df[distinct[j]] })
	var out []string
	sum := 0
	for _, t := range distinct {
		n := df[t]
		if len(out) > 0 && (sum+n > keywordBudget || len(out) == keywordMaxTerms) {
			break
		}
		out = append(out, t)
		sum += n
	}
	return out, nil
}

// SearchKeyword implements xinqiao.KnowledgeStore with ts_rank over the GIN
// index of the segmenter's tokens, for the rarer query tokens (see
// keywordBudget).
func (db *DB) SearchKeyword(ctx context.Context, tokens []string, f xinqiao.ChunkFilter) ([]xinqiao.ScoredChunk, error) {
	if f.K <= 0 {
		return nil, nil
	}
	terms, err := db.keywordTerms(ctx, tokens)
	if err != nil {
		return nil, err
	}
	query := tsQuery(terms)
	if query == "" {
		return nil, nil
	}
	const q = `SELECT ` + chunkColumns + `, ts_rank(c.tsv, query) AS score
		FROM kb_chunks c, CAST($1 AS tsquery) query
		WHERE c.tsv @@ query AND ($2 = '' OR c.lang = $2) AND ($3 = '' OR $3 = ANY (c.audience)) AND c.kind = $4
		ORDER BY score DESC, c.id LIMIT $5`
	rows, err := db.pool.Query(ctx, q, query, f.Lang, f.Band, chunkKind(f), f.K)
	if err != nil {
		return nil, fmt.Errorf("keyword search: %w", err)
	}
	out, err := collectScored(rows)
	if err != nil {
		return nil, fmt.Errorf("keyword search: %w", err)
	}
	return out, nil
}

// SearchVector implements xinqiao.KnowledgeStore. The query names the
// dimension in the cast and the WHERE clause so the planner uses that
// dimension's partial HNSW index; iterative scans keep going when the
// language and band filters drop candidates.
func (db *DB) SearchVector(ctx context.Context, vec []float32, f xinqiao.ChunkFilter) ([]xinqiao.ScoredChunk, error) {
	return db.SearchVectorEf(ctx, vec, f, efSearch)
}

// SearchVectorEf is SearchVector with a chosen HNSW candidate list size
// (at least f.K): for the benchmarks that weigh recall against latency.
func (db *DB) SearchVectorEf(ctx context.Context, vec []float32, f xinqiao.ChunkFilter, ef int) ([]xinqiao.ScoredChunk, error) {
	dim := len(vec)
	if f.K <= 0 || dim == 0 {
		return nil, nil
	}
	const tmpl = `SELECT ` + chunkColumns + `, 1 - (c.embedding::vector(%[1]d) <=> $1) AS score
		FROM kb_chunks c
		WHERE c.dim = %[1]d AND ($2 = '' OR c.lang = $2) AND ($3 = '' OR $3 = ANY (c.audience)) AND c.kind = $4
		ORDER BY c.embedding::vector(%[1]d) <=> $1 LIMIT $5`
	q := fmt.Sprintf(tmpl, dim) // dim is an int: nothing to inject
	var out []xinqiao.ScoredChunk
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		const set = `SELECT set_config('hnsw.iterative_scan', 'relaxed_order', true), set_config('hnsw.ef_search', $1, true)`
		if _, err := tx.Exec(ctx, set, strconv.Itoa(max(ef, f.K))); err != nil {
			return fmt.Errorf("configure hnsw: %w", err)
		}
		rows, err := tx.Query(ctx, q, pgvector.NewVector(vec), f.Lang, f.Band, chunkKind(f), f.K)
		if err != nil {
			return err
		}
		out, err = collectScored(rows)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("vector search: %w", err)
	}
	// relaxed_order may return neighbours slightly out of order.
	sort.SliceStable(out, func(i, j int) bool { return out[i].Score > out[j].Score })
	return out, nil
}

// SearchVectorExact is SearchVector without the HNSW index: the ground truth
// for the index's recall in benchmarks.
func (db *DB) SearchVectorExact(ctx context.Context, vec []float32, f xinqiao.ChunkFilter) ([]xinqiao.ScoredChunk, error) {
	var out []xinqiao.ScoredChunk
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT set_config('enable_indexscan', 'off', true)`); err != nil {
			return err
		}
		const tmpl = `SELECT ` + chunkColumns + `, 1 - (c.embedding::vector(%[1]d) <=> $1) AS score
			FROM kb_chunks c
			WHERE c.dim = %[1]d AND ($2 = '' OR c.lang = $2) AND ($3 = '' OR $3 = ANY (c.audience)) AND c.kind = $4
			ORDER BY c.embedding::vector(%[1]d) <=> $1 LIMIT $5`
		rows, err := tx.Query(ctx, fmt.Sprintf(tmpl, len(vec)), pgvector.NewVector(vec), f.Lang, f.Band, chunkKind(f), f.K)
		if err != nil {
			return err
		}
		out, err = collectScored(rows)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("exact vector search: %w", err)
	}
	return out, nil
}

// Chunks implements xinqiao.KnowledgeStore.
func (db *DB) Chunks(ctx context.Context, afterID int64, limit int) ([]xinqiao.Chunk, error) {
	const q = `SELECT ` + chunkColumns + `, c.context, c.tokens, c.embedding FROM kb_chunks c WHERE c.id > $1 ORDER BY c.id LIMIT $2`
	rows, err := db.pool.Query(ctx, q, afterID, limit)
	if err != nil {
		return nil, fmt.Errorf("list chunks: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (xinqiao.Chunk, error) {
		var tokens string
		var ctxText string
		var emb *pgvector.Vector
		c, err := scanChunk(r, &ctxText, &tokens, &emb)
		c.Context, c.Tokens = ctxText, strings.Fields(tokens)
		if emb != nil {
			c.Embedding = emb.Slice()
		}
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("list chunks: %w", err)
	}
	return out, nil
}

// SetEmbeddings implements xinqiao.KnowledgeStore.
func (db *DB) SetEmbeddings(ctx context.Context, embedder string, dim int, ids []int64, vecs [][]float32) error {
	if len(ids) != len(vecs) {
		return xinqiao.Errorf(xinqiao.EINVALID, "%d ids but %d vectors", len(ids), len(vecs))
	}
	return db.tx(ctx, func(tx pgx.Tx) error {
		b := &pgx.Batch{}
		for i, id := range ids {
			if len(vecs[i]) != dim {
				return xinqiao.Errorf(xinqiao.EINVALID, "vector of chunk %d has %d dimensions, want %d", id, len(vecs[i]), dim)
			}
			b.Queue(`UPDATE kb_chunks SET embedding = $1, embedder = $2, dim = $3 WHERE id = $4`,
				pgvector.NewVector(vecs[i]), embedder, dim, id)
		}
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return fmt.Errorf("set embeddings: %w", err)
		}
		return nil
	})
}

// EmbedderCounts implements xinqiao.KnowledgeStore.
func (db *DB) EmbedderCounts(ctx context.Context) ([]xinqiao.EmbedderCount, error) {
	const q = `SELECT embedder, dim, COUNT(*) FROM kb_chunks GROUP BY embedder, dim ORDER BY embedder, dim`
	rows, err := db.pool.Query(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("count embedders: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (xinqiao.EmbedderCount, error) {
		var e xinqiao.EmbedderCount
		err := r.Scan(&e.Embedder, &e.Dim, &e.Chunks)
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("count embedders: %w", err)
	}
	return out, nil
}

// EnsureVectorIndex implements xinqiao.KnowledgeStore: it creates, if
// missing, the HNSW index for vectors of dim, a partial expression index so
// that chunks of several embedders can coexist during a re-embed:
//
//   - the expression embedding::vector(dim) gives HNSW the fixed dimension
//     it needs; queries repeat it in ORDER BY to use the index;
//   - WHERE dim = <dim> keeps vectors of other dimensions out;
//   - vector_cosine_ops: cosine distance (<=>), what every embedder is
//     trained for; vectors are unit length anyway;
//   - m = 16: links per node (pgvector's default): recall ≥ 0.95 at 100k
//     chunks; more costs memory and build time;
//   - ef_construction = 64: candidate list while building (the default);
//     larger builds slower for little gain at our sizes.
//
// Several nodes may start at once: IF NOT EXISTS makes that safe.
func (db *DB) EnsureVectorIndex(ctx context.Context, dim int) error {
	if dim <= 0 {
		return xinqiao.Errorf(xinqiao.EINVALID, "vector dimension %d", dim)
	}
	if dim > hnswMaxDim {
		db.log.Warn("vectors too long for an HNSW index: searched exactly", "dim", dim, "max", hnswMaxDim)
		return nil
	}
	const tmpl = `CREATE INDEX IF NOT EXISTS kb_chunks_hnsw_%[1]d ON kb_chunks
		USING hnsw ((embedding::vector(%[1]d)) vector_cosine_ops) WITH (m = 16, ef_construction = 64) WHERE dim = %[1]d`
	if _, err := db.pool.Exec(ctx, fmt.Sprintf(tmpl, dim)); err != nil {
		return fmt.Errorf("create vector index for dim %d: %w", dim, err)
	}
	return nil
}

// CountGap implements xinqiao.KnowledgeStore.
func (db *DB) CountGap(ctx context.Context, day time.Time, topic, lang string) error {
	const q = `INSERT INTO kb_gaps (day, topic, lang, count) VALUES ($1::date, $2, $3, 1)
		ON CONFLICT (day, topic, lang) DO UPDATE SET count = kb_gaps.count + 1`
	if _, err := db.pool.Exec(ctx, q, day.Format(time.DateOnly), topic, lang); err != nil {
		return fmt.Errorf("count gap: %w", err)
	}
	return nil
}

// Gaps implements xinqiao.KnowledgeStore.
func (db *DB) Gaps(ctx context.Context, from, to time.Time) ([]xinqiao.GapTopic, error) {
	const q = `SELECT to_char(day, 'YYYY-MM-DD'), topic, lang, count FROM kb_gaps
		WHERE day BETWEEN $1::date AND $2::date ORDER BY count DESC, day DESC, topic`
	rows, err := db.pool.Query(ctx, q, from.Format(time.DateOnly), to.Format(time.DateOnly))
	if err != nil {
		return nil, fmt.Errorf("list gaps: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (xinqiao.GapTopic, error) {
		var g xinqiao.GapTopic
		err := r.Scan(&g.Day, &g.Topic, &g.Lang, &g.Count)
		return g, err
	})
	if err != nil {
		return nil, fmt.Errorf("list gaps: %w", err)
	}
	return out, nil
}

// ImportBulk stores new approved documents with their chunks in one
// transaction through COPY: the fast path for loading large synthetic
// corpora in benchmarks (100k chunks in seconds rather than minutes). Every
// document must be new; vs[i] goes with chunks[i]. Like ImportApproved it
// validates each version; unlike it, it does not replace anything.
func (db *DB) ImportBulk(ctx context.Context, vs []xinqiao.DocumentVersion, chunks [][]xinqiao.Chunk) error {
	if len(vs) != len(chunks) {
		return xinqiao.Errorf(xinqiao.EINVALID, "%d documents but %d chunk lists", len(vs), len(chunks))
	}
	now := db.now()
	docRows := make([][]any, 0, len(vs))
	verRows := make([][]any, 0, len(vs))
	var chunkRows [][]any
	for i, v := range vs {
		if err := validVersion(v); err != nil {
			return err
		}
		if v.Version <= 0 {
			return xinqiao.Errorf(xinqiao.EINVALID, "version must be positive")
		}
		docRows = append(docRows, []any{v.DocID, v.Version, v.Version, false, v.Source, now, now})
		verRows = append(verRows, []any{v.DocID, v.Version, xinqiao.StateApproved, v.Title, v.Lang, v.Kind, list(v.Audience),
			list(v.Topics), list(v.PinnedFor), v.TranslationOf, v.Body, v.Hash, v.Source, v.Author, v.Reviewer,
			optTime(v.ReviewedAt), optTime(v.ReviewDue), now, now})
		for j, c := range chunks[i] {
			var emb *pgvector.Vector
			if c.Embedding != nil {
				e := pgvector.NewVector(c.Embedding)
				emb = &e
			}
			chunkRows = append(chunkRows, []any{v.DocID, v.Version, j, v.Title, c.Heading, c.Text, c.Context, v.Lang,
				list(v.Audience), v.Kind, list(v.Topics), strings.Join(c.Tokens, " "), TSVector(c.Tokens), emb, c.Embedder,
				len(c.Embedding)})
		}
	}
	chunkCols := []string{"doc_id", "version", "ord", "title", "heading", "text", "context", "lang", "audience", "kind",
		"topics", "tokens", "tsv", "embedding", "embedder", "dim"}
	return db.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"kb_documents"}, []string{"id", "current_version", "latest_version",
			"retired", "source", "created_at", "updated_at"}, pgx.CopyFromRows(docRows)); err != nil {
			if isUnique(err) {
				return xinqiao.Errorf(xinqiao.ECONFLICT, "a document of the bulk import exists already")
			}
			return fmt.Errorf("copy documents: %w", err)
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"kb_versions"}, []string{"doc_id", "version", "state", "title", "lang",
			"kind", "audience", "topics", "pinned_for", "translation_of", "body", "hash", "source", "author", "reviewer",
			"reviewed_at", "review_due", "created_at", "updated_at"}, pgx.CopyFromRows(verRows)); err != nil {
			return fmt.Errorf("copy versions: %w", err)
		}
		// tsv goes through a staging table as text: COPY's binary format
		// needs a codec for tsvector, which pgx does not have.
		const stage = `CREATE TEMP TABLE kb_chunks_bulk (doc_id text, version int, ord int, title text, heading text,
			text text, context text, lang text, audience text[], kind text, topics text[], tokens text, tsv text,
			embedding vector, embedder text, dim int) ON COMMIT DROP`
		if _, err := tx.Exec(ctx, stage); err != nil {
			return fmt.Errorf("stage chunks: %w", err)
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"kb_chunks_bulk"}, chunkCols, pgx.CopyFromRows(chunkRows)); err != nil {
			return fmt.Errorf("copy chunks: %w", err)
		}
		cols := strings.Join(chunkCols, ", ")
		sel := strings.Replace(cols, "tsv", "tsv::tsvector", 1)
		if _, err := tx.Exec(ctx, `INSERT INTO kb_chunks (`+cols+`) SELECT `+sel+` FROM kb_chunks_bulk`); err != nil {
			return fmt.Errorf("insert chunks: %w", err)
		}
		return nil
	})
}
