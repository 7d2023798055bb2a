package sqlite

import (
	"context"
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"
	"weak"

	"xinqiao/internal/xinqiao"
)

// The knowledge store. Vectors are searched in process: the embeddings of
// the stored chunks are loaded once into memory and reloaded when the
// generation counter kept by triggers in kb_meta changes, so a `xinqiao kb
// sync` run by another process is seen by the server at its next search.

const versionColumns = `v.doc_id, v.version, v.state, d.current_version = v.version, v.title, v.lang, v.kind,
	v.audience, v.topics, v.pinned_for, v.translation_of, v.body, v.hash, v.source, v.author, v.reviewer,
	v.reviewed_at, v.review_due, v.created_at, v.updated_at`

func scanVersion(row interface{ Scan(...any) error }) (xinqiao.DocumentVersion, error) {
	var v xinqiao.DocumentVersion
	var audience, topics, pinned string
	var reviewed, due, created, updated int64
	if err := row.Scan(&v.DocID, &v.Version, &v.State, &v.Current, &v.Title, &v.Lang, &v.Kind,
		&audience, &topics, &pinned, &v.TranslationOf, &v.Body, &v.Hash, &v.Source, &v.Author, &v.Reviewer,
		&reviewed, &due, &created, &updated); err != nil {
		return v, err
	}
	if err := errors.Join(json.Unmarshal([]byte(audience), &v.Audience), json.Unmarshal([]byte(topics), &v.Topics),
		json.Unmarshal([]byte(pinned), &v.PinnedFor)); err != nil {
		return v, fmt.Errorf("decode version %s/%d: %w", v.DocID, v.Version, err)
	}
	v.ReviewedAt, v.ReviewDue = optMS(reviewed), optMS(due)
	v.CreatedAt, v.UpdatedAt = fromMS(created), fromMS(updated)
	return v, nil
}

// optMS is ms2 for optional times: the zero time is stored as 0.
func optMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return fromMS(v)
}

func toOptMS(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return ms2(t)
}

func jsonList(s []string) string {
	if s == nil {
		s = []string{}
	}
	b, _ := json.Marshal(s)
	return string(b)
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

func (db *DB) insertVersion(ctx context.Context, tx *sql.Tx, v xinqiao.DocumentVersion) error {
	const q = `INSERT INTO kb_versions (doc_id, version, state, title, lang, kind, audience, topics, pinned_for,
			translation_of, body, hash, source, author, reviewer, reviewed_at, review_due, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	_, err := tx.ExecContext(ctx, q, v.DocID, v.Version, v.State, v.Title, v.Lang, v.Kind, jsonList(v.Audience),
		jsonList(v.Topics), jsonList(v.PinnedFor), v.TranslationOf, v.Body, v.Hash, v.Source, v.Author, v.Reviewer,
		toOptMS(v.ReviewedAt), toOptMS(v.ReviewDue), ms2(v.CreatedAt), ms2(v.UpdatedAt))
	if isUnique(err) {
		return xinqiao.Errorf(xinqiao.ECONFLICT, "version %d of %s exists", v.Version, v.DocID)
	} else if err != nil {
		return fmt.Errorf("insert version: %w", err)
	}
	return nil
}

// ensureDocument creates the document row if missing and returns its latest
// and current version numbers.
func (db *DB) ensureDocument(ctx context.Context, tx *sql.Tx, id, source string, now time.Time) (latest, current int, err error) {
	const ins = `INSERT INTO kb_documents (id, source, created_at, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`
	if _, err := tx.ExecContext(ctx, ins, id, source, ms2(now), ms2(now)); err != nil {
		return 0, 0, fmt.Errorf("insert document: %w", err)
	}
	const q = `SELECT latest_version, current_version FROM kb_documents WHERE id = ?`
	if err := tx.QueryRowContext(ctx, q, id).Scan(&latest, &current); err != nil {
		return 0, 0, fmt.Errorf("load document: %w", err)
	}
	return latest, current, nil
}

// CreateDraft implements xinqiao.KnowledgeStore.
func (db *DB) CreateDraft(ctx context.Context, v xinqiao.DocumentVersion) (xinqiao.DocumentVersion, error) {
	if err := validVersion(v); err != nil {
		return v, err
	}
	err := db.tx(ctx, func(tx *sql.Tx) error {
		now := db.now()
		latest, _, err := db.ensureDocument(ctx, tx, v.DocID, v.Source, now)
		if err != nil {
			return err
		}
		v.Version, v.State, v.Current = latest+1, xinqiao.StateDraft, false
		v.Reviewer, v.ReviewedAt = "", time.Time{}
		v.CreatedAt, v.UpdatedAt = now.UTC().Truncate(time.Millisecond), now.UTC().Truncate(time.Millisecond)
		if err := db.insertVersion(ctx, tx, v); err != nil {
			return err
		}
		const q = `UPDATE kb_documents SET latest_version = ?, updated_at = ? WHERE id = ?`
		if _, err := tx.ExecContext(ctx, q, v.Version, ms2(now), v.DocID); err != nil {
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
	return db.tx(ctx, func(tx *sql.Tx) error {
		now := db.now()
		latest, _, err := db.ensureDocument(ctx, tx, v.DocID, v.Source, now)
		if err != nil {
			return err
		}
		if v.Version <= latest {
			return xinqiao.Errorf(xinqiao.ECONFLICT, "%s: version %d is already stored with other content; give the changed document a higher version", v.DocID, v.Version)
		}
		v.State = xinqiao.StateApproved
		v.CreatedAt, v.UpdatedAt = now, now
		if err := db.insertVersion(ctx, tx, v); err != nil {
			return err
		}
		const q = `UPDATE kb_documents SET latest_version = ?, current_version = ?, retired = 0, source = ?, updated_at = ? WHERE id = ?`
		if _, err := tx.ExecContext(ctx, q, v.Version, v.Version, v.Source, ms2(now), v.DocID); err != nil {
			return fmt.Errorf("update document: %w", err)
		}
		return db.replaceChunks(ctx, tx, v, chunks)
	})
}

// replaceChunks deletes the document's chunks and stores the new version's.
func (db *DB) replaceChunks(ctx context.Context, tx *sql.Tx, v xinqiao.DocumentVersion, chunks []xinqiao.Chunk) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM kb_chunks WHERE doc_id = ?`, v.DocID); err != nil {
		return fmt.Errorf("delete chunks: %w", err)
	}
	const q = `INSERT INTO kb_chunks (doc_id, version, ord, title, heading, text, context, lang, audience, kind, topics,
			tokens, embedding, embedder, dim) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	stmt, err := tx.PrepareContext(ctx, q)
	if err != nil {
		return fmt.Errorf("prepare chunk insert: %w", err)
	}
	defer stmt.Close()
	for i, c := range chunks {
		var blob []byte
		if c.Embedding != nil {
			blob = vecBlob(c.Embedding)
		}
		if _, err := stmt.ExecContext(ctx, v.DocID, v.Version, i, v.Title, c.Heading, c.Text, c.Context, v.Lang,
			bandList(v.Audience), v.Kind, jsonList(v.Topics), strings.Join(c.Tokens, " "), blob, c.Embedder,
			len(c.Embedding)); err != nil {
			return fmt.Errorf("insert chunk: %w", err)
		}
	}
	return nil
}

// bandList stores an audience as ",primary,junior," so that instr() finds
// ",junior," without matching part of another word.
func bandList(bands []string) string { return "," + strings.Join(bands, ",") + "," }

func parseBands(s string) []string {
	s = strings.Trim(s, ",")
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

func vecBlob(v []float32) []byte {
	b := make([]byte, 4*len(v))
	for i, f := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(f))
	}
	return b
}

func blobVec(b []byte) []float32 {
	v := make([]float32, len(b)/4)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return v
}

// transition loads a version's state and author inside tx.
func (db *DB) versionState(ctx context.Context, tx *sql.Tx, docID string, version int) (state, author string, current int, err error) {
	const q = `SELECT v.state, v.author, d.current_version FROM kb_versions v JOIN kb_documents d ON d.id = v.doc_id
		WHERE v.doc_id = ? AND v.version = ?`
	err = tx.QueryRowContext(ctx, q, docID, version).Scan(&state, &author, &current)
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", 0, xinqiao.Errorf(xinqiao.ENOTFOUND, "version %d of %s not found", version, docID)
	} else if err != nil {
		return "", "", 0, fmt.Errorf("load version: %w", err)
	}
	return state, author, current, nil
}

func (db *DB) versionTx(ctx context.Context, tx *sql.Tx, docID string, version int) (xinqiao.DocumentVersion, error) {
	const q = `SELECT ` + versionColumns + ` FROM kb_versions v JOIN kb_documents d ON d.id = v.doc_id WHERE v.doc_id = ? AND v.version = ?`
	v, err := scanVersion(tx.QueryRowContext(ctx, q, docID, version))
	if err != nil {
		return v, fmt.Errorf("reload version: %w", err)
	}
	return v, nil
}

// SubmitVersion implements xinqiao.KnowledgeStore.
func (db *DB) SubmitVersion(ctx context.Context, t xinqiao.Transition) (xinqiao.DocumentVersion, error) {
	var out xinqiao.DocumentVersion
	err := db.tx(ctx, func(tx *sql.Tx) error {
		state, _, _, err := db.versionState(ctx, tx, t.DocID, t.Version)
		if err != nil {
			return err
		}
		if state != xinqiao.StateDraft {
			return xinqiao.Errorf(xinqiao.ECONFLICT, "version %d is %s, only a draft can be submitted", t.Version, state)
		}
		const q = `UPDATE kb_versions SET state = 'review', updated_at = ? WHERE doc_id = ? AND version = ?`
		if _, err := tx.ExecContext(ctx, q, ms2(t.At), t.DocID, t.Version); err != nil {
			return fmt.Errorf("submit version: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE kb_documents SET updated_at = ? WHERE id = ?`, ms2(t.At), t.DocID); err != nil {
			return fmt.Errorf("update document: %w", err)
		}
		out, err = db.versionTx(ctx, tx, t.DocID, t.Version)
		return err
	})
	return out, err
}

// ApproveVersion implements xinqiao.KnowledgeStore.
func (db *DB) ApproveVersion(ctx context.Context, t xinqiao.Transition, chunks []xinqiao.Chunk) (xinqiao.DocumentVersion, error) {
	var out xinqiao.DocumentVersion
	err := db.tx(ctx, func(tx *sql.Tx) error {
		state, author, current, err := db.versionState(ctx, tx, t.DocID, t.Version)
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
			was, err := db.versionTx(ctx, tx, t.DocID, current)
			if err != nil {
				return err
			}
			next, err := db.versionTx(ctx, tx, t.DocID, t.Version)
			if err != nil {
				return err
			}
			if err := lastChineseCard(ctx, tx, t.DocID, xinqiao.LostSituations(was, next)); err != nil {
				return err
			}
		}
		const q = `UPDATE kb_versions SET state = 'approved', reviewer = ?, reviewed_at = ?, updated_at = ?,
				review_due = CASE WHEN review_due = 0 THEN ? ELSE review_due END
			WHERE doc_id = ? AND version = ?`
		if _, err := tx.ExecContext(ctx, q, t.Actor, ms2(t.At), ms2(t.At), ms2(t.At.AddDate(1, 0, 0)), t.DocID, t.Version); err != nil {
			return fmt.Errorf("approve version: %w", err)
		}
		const qd = `UPDATE kb_documents SET current_version = ?, retired = 0, updated_at = ? WHERE id = ?`
		if _, err := tx.ExecContext(ctx, qd, t.Version, ms2(t.At), t.DocID); err != nil {
			return fmt.Errorf("update document: %w", err)
		}
		if out, err = db.versionTx(ctx, tx, t.DocID, t.Version); err != nil {
			return err
		}
		return db.replaceChunks(ctx, tx, out, chunks)
	})
	return out, err
}

// lastChineseCard returns the ECONFLICT of xinqiao.LastCardError when no
// current Chinese card other than docID's is pinned for one of situations.
func lastChineseCard(ctx context.Context, tx *sql.Tx, docID string, situations []string) error {
	for _, sit := range situations {
		var others int
		const q = `SELECT count(*) FROM kb_documents d JOIN kb_versions o ON o.doc_id = d.id AND o.version = d.current_version
			WHERE d.id <> ? AND o.kind = 'card' AND o.state = 'approved' AND o.lang = 'zh'
				AND EXISTS (SELECT 1 FROM json_each(o.pinned_for) WHERE value = ?)`
		if err := tx.QueryRowContext(ctx, q, docID, sit).Scan(&others); err != nil {
			return fmt.Errorf("count cards: %w", err)
		}
		if others == 0 {
			return xinqiao.LastCardError(sit)
		}
	}
	return nil
}

// RetireDocument implements xinqiao.KnowledgeStore.
func (db *DB) RetireDocument(ctx context.Context, t xinqiao.Transition) (retired bool, err error) {
	err = db.tx(ctx, func(tx *sql.Tx) error {
		var current, reqVersion int
		var reqBy string
		const q = `SELECT current_version, retire_requested_by, retire_requested_version FROM kb_documents WHERE id = ?`
		err := tx.QueryRowContext(ctx, q, t.DocID).Scan(&current, &reqBy, &reqVersion)
		if errors.Is(err, sql.ErrNoRows) {
			return xinqiao.Errorf(xinqiao.ENOTFOUND, "document %s not found", t.DocID)
		} else if err != nil {
			return fmt.Errorf("load document: %w", err)
		}
		if current == 0 {
			return xinqiao.Errorf(xinqiao.ECONFLICT, "document %s has no approved version to retire", t.DocID)
		}
		v, err := db.versionTx(ctx, tx, t.DocID, current)
		if err != nil {
			return err
		}
		if v.Kind == xinqiao.KindCard {
			if err := lastChineseCard(ctx, tx, t.DocID, xinqiao.ChineseSituations(v)); err != nil {
				return err
			}
			switch {
			case reqBy == "" || reqVersion != current:
				const qr = `UPDATE kb_documents SET retire_requested_by = ?, retire_requested_version = ?, retire_requested_at = ? WHERE id = ?`
				if _, err := tx.ExecContext(ctx, qr, t.Actor, current, ms2(t.At), t.DocID); err != nil {
					return fmt.Errorf("request retirement: %w", err)
				}
				return nil
			case reqBy == t.Actor:
				return xinqiao.Errorf(xinqiao.EFORBIDDEN, "you asked to retire this card: another curator must confirm it")
			}
		}
		const qv = `UPDATE kb_versions SET state = 'retired', updated_at = ? WHERE doc_id = ? AND version = ?`
		if _, err := tx.ExecContext(ctx, qv, ms2(t.At), t.DocID, current); err != nil {
			return fmt.Errorf("retire version: %w", err)
		}
		const qd = `UPDATE kb_documents SET current_version = 0, retired = 1, updated_at = ?,
			retire_requested_by = '', retire_requested_version = 0, retire_requested_at = 0 WHERE id = ?`
		if _, err := tx.ExecContext(ctx, qd, ms2(t.At), t.DocID); err != nil {
			return fmt.Errorf("retire document: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM kb_chunks WHERE doc_id = ?`, t.DocID); err != nil {
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
		d.current_version, d.latest_version, v.state, COALESCE(c.review_due, 0), d.retired, d.updated_at, d.created_at, d.source
	FROM kb_documents d
	JOIN kb_versions v ON v.doc_id = d.id AND v.version = d.latest_version
	LEFT JOIN kb_versions c ON c.doc_id = d.id AND c.version = d.current_version`

func scanDocument(row interface{ Scan(...any) error }) (xinqiao.Document, error) {
	var d xinqiao.Document
	var audience, topics, pinned string
	var due, updated, created int64
	if err := row.Scan(&d.ID, &d.Title, &d.Lang, &d.Kind, &audience, &topics, &pinned, &d.TranslationOf,
		&d.Current, &d.Latest, &d.LatestState, &due, &d.Retired, &updated, &created, &d.Source); err != nil {
		return d, err
	}
	if err := errors.Join(json.Unmarshal([]byte(audience), &d.Audience), json.Unmarshal([]byte(topics), &d.Topics),
		json.Unmarshal([]byte(pinned), &d.PinnedFor)); err != nil {
		return d, fmt.Errorf("decode document %s: %w", d.ID, err)
	}
	d.ReviewDue, d.UpdatedAt, d.CreatedAt = optMS(due), fromMS(updated), fromMS(created)
	return d, nil
}

// Document implements xinqiao.KnowledgeStore.
func (db *DB) Document(ctx context.Context, id string) (xinqiao.Document, error) {
	const q = documentQuery + ` WHERE d.id = ?`
	d, err := scanDocument(db.r.QueryRowContext(ctx, q, id))
	if errors.Is(err, sql.ErrNoRows) {
		return d, xinqiao.Errorf(xinqiao.ENOTFOUND, "document %s not found", id)
	} else if err != nil {
		return d, fmt.Errorf("load document: %w", err)
	}
	return d, nil
}

// Documents implements xinqiao.KnowledgeStore.
func (db *DB) Documents(ctx context.Context, f xinqiao.DocumentFilter) ([]xinqiao.Document, error) {
	const q = documentQuery + ` WHERE (? = '' OR v.lang = ?) AND (? = '' OR v.kind = ?) AND (? = '' OR v.state = ?) ORDER BY d.id`
	rows, err := db.r.QueryContext(ctx, q, f.Lang, f.Lang, f.Kind, f.Kind, f.State, f.State)
	return collect(rows, err, "list documents", scanDocument)
}

func (db *DB) queryVersions(ctx context.Context, q string, args ...any) ([]xinqiao.DocumentVersion, error) {
	rows, err := db.r.QueryContext(ctx, q, args...)
	return collect(rows, err, "list versions", scanVersion)
}

// Versions implements xinqiao.KnowledgeStore.
func (db *DB) Versions(ctx context.Context, docID string) ([]xinqiao.DocumentVersion, error) {
	const q = `SELECT ` + versionColumns + ` FROM kb_versions v JOIN kb_documents d ON d.id = v.doc_id
		WHERE v.doc_id = ? ORDER BY v.version`
	vs, err := db.queryVersions(ctx, q, docID)
	if err == nil && len(vs) == 0 {
		err = xinqiao.Errorf(xinqiao.ENOTFOUND, "document %s not found", docID)
	}
	return vs, err
}

// Version implements xinqiao.KnowledgeStore.
func (db *DB) Version(ctx context.Context, docID string, version int) (xinqiao.DocumentVersion, error) {
	const q = `SELECT ` + versionColumns + ` FROM kb_versions v JOIN kb_documents d ON d.id = v.doc_id
		WHERE v.doc_id = ? AND v.version = ?`
	v, err := scanVersion(db.r.QueryRowContext(ctx, q, docID, version))
	if errors.Is(err, sql.ErrNoRows) {
		return v, xinqiao.Errorf(xinqiao.ENOTFOUND, "version %d of %s not found", version, docID)
	} else if err != nil {
		return v, fmt.Errorf("load version: %w", err)
	}
	return v, nil
}

// CurrentCards implements xinqiao.KnowledgeStore.
func (db *DB) CurrentCards(ctx context.Context, lang string) ([]xinqiao.DocumentVersion, error) {
	const q = `SELECT ` + versionColumns + ` FROM kb_documents d JOIN kb_versions v ON v.doc_id = d.id AND v.version = d.current_version
		WHERE v.kind = 'card' AND v.state = 'approved' AND (? = '' OR v.lang = ?) ORDER BY d.id`
	return db.queryVersions(ctx, q, lang, lang)
}

const chunkColumns = `c.id, c.doc_id, c.version, c.ord, c.title, c.heading, c.text, c.lang, c.audience, c.kind, c.topics, c.embedder, c.dim`

func scanChunk(row interface{ Scan(...any) error }, extra ...any) (xinqiao.Chunk, error) {
	var c xinqiao.Chunk
	var audience, topics string
	dest := append([]any{&c.ID, &c.DocID, &c.Version, &c.Ord, &c.Title, &c.Heading, &c.Text, &c.Lang, &audience,
		&c.Kind, &topics, &c.Embedder, &c.Dim}, extra...)
	if err := row.Scan(dest...); err != nil {
		return c, err
	}
	c.Audience = parseBands(audience)
	if err := json.Unmarshal([]byte(topics), &c.Topics); err != nil {
		return c, fmt.Errorf("decode chunk %d: %w", c.ID, err)
	}
	return c, nil
}

func chunkKind(f xinqiao.ChunkFilter) string {
	if f.Kind == "" {
		return xinqiao.KindArticle
	}
	return f.Kind
}

// Keyword search bounds its work by the rarity of the query's tokens. An
// FTS5 OR query scores every chunk holding any token, so a question with
// common bigrams (知道, 怎么, 我们) would score most of the corpus and grow
// with it. SearchKeyword looks up each token's document frequency in the
// fts5vocab table and keeps, rarest first, the tokens that together occur in
// at most keywordBudget chunks (always at least the rarest one, and at most
// keywordMaxTerms tokens). BM25 gives the dropped tokens little weight
// anyway (their IDF is low), so the ranking barely changes while the work
// stops growing with the corpus. On the vetted material (fewer chunks than
// the budget) only the cap on tokens can bind.
const (
	keywordBudget   = 2000 // postings scored per query at most, beyond the rarest token
	keywordMaxTerms = 16   // query tokens kept at most
)

// SearchKeyword implements xinqiao.KnowledgeStore with FTS5's BM25 over the
// rarest query tokens (see keywordBudget). It ranks ids and scores first,
// with the filters, and loads the columns of the K best only.
func (db *DB) SearchKeyword(ctx context.Context, tokens []string, f xinqiao.ChunkFilter) ([]xinqiao.ScoredChunk, error) {
	if f.K <= 0 {
		return nil, nil
	}
	terms, err := db.keywordTerms(ctx, tokens)
	if err != nil {
		return nil, err
	}
	match := ftsQuery(terms)
	if match == "" {
		return nil, nil
	}
	const q = `SELECT c.id, -bm25(kb_chunks_fts) FROM kb_chunks_fts JOIN kb_chunks c ON c.id = kb_chunks_fts.rowid
		WHERE kb_chunks_fts MATCH ? AND (? = '' OR c.lang = ?) AND (? = '' OR instr(c.audience, ?) > 0) AND c.kind = ?
		ORDER BY bm25(kb_chunks_fts) LIMIT ?`
	band := ""
	if f.Band != "" {
		band = "," + f.Band + ","
	}
	rows, err := db.r.QueryContext(ctx, q, match, f.Lang, f.Lang, band, band, chunkKind(f), f.K)
	if err != nil {
		return nil, fmt.Errorf("keyword search: %w", err)
	}
	var ids []int64
	var scores []float64
	for rows.Next() {
		var id int64
		var sc float64
		if err := rows.Scan(&id, &sc); err != nil {
			rows.Close()
			return nil, fmt.Errorf("keyword search: %w", err)
		}
		ids, scores = append(ids, id), append(scores, sc)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("keyword search: %w", err)
	}
	byID, err := db.chunksByID(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("keyword search: %w", err)
	}
	out := make([]xinqiao.ScoredChunk, 0, len(ids))
	for i, id := range ids {
		if c, ok := byID[id]; ok {
			out = append(out, xinqiao.ScoredChunk{Chunk: c, Score: scores[i]})
		}
	}
	return out, nil
}

// keywordTerms picks the query tokens worth scoring: those in the index,
// rarest first, within keywordBudget postings, at most keywordMaxTerms.
// Ties keep the query's order.
func (db *DB) keywordTerms(ctx context.Context, tokens []string) ([]string, error) {
	var distinct []string
	seen := map[string]bool{}
	for _, t := range tokens {
		t = strings.ReplaceAll(t, `"`, "")
		if t != "" && !seen[t] {
			seen[t] = true
			distinct = append(distinct, t)
		}
	}
	if len(distinct) == 0 {
		return nil, nil
	}
	marks := strings.TrimSuffix(strings.Repeat("?,", len(distinct)), ",")
	args := make([]any, len(distinct))
	for i, t := range distinct {
		args[i] = t
	}
	q := `SELECT term, doc FROM kb_chunks_vocab WHERE term IN (` + marks + `)`
	rows, err := db.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("keyword frequencies: %w", err)
	}
	defer rows.Close()
	df := map[string]int{}
	for rows.Next() {
		var term string
		var n int
		if err := rows.Scan(&term, &n); err != nil {
			return nil, fmt.Errorf("keyword frequencies: %w", err)
		}
		df[term] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("keyword frequencies: %w", err)
	}
	return pickTerms(distinct, df), nil
}

// pickTerms applies the budget of keywordTerms to known frequencies.
func pickTerms(distinct []string, df map[string]int) []string {
	var cands []string
	for _, t := range distinct {
		if df[t] > 0 {
			cands = append(cands, t)
		}
	}
	sort.SliceStable(cands, func(i, j int) bool { return df[cands[i]] < df[cands[j]] })
	var out []string
	sum := 0
	for _, t := range cands {
		n := df[t]
		if len(out) > 0 && (sum+n > keywordBudget || len(out) == keywordMaxTerms) {
			break
		}
		out = append(out, t)
		sum += n
	}
	return out
}

// chunksByID loads chunks by id.
func (db *DB) chunksByID(ctx context.Context, ids []int64) (map[int64]xinqiao.Chunk, error) {
	byID := make(map[int64]xinqiao.Chunk, len(ids))
	if len(ids) == 0 {
		return byID, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	q := `SELECT ` + chunkColumns + ` FROM kb_chunks c WHERE c.id IN (` + strings.TrimSuffix(strings.Repeat("?,", len(ids)), ",") + `)`
	rows, err := db.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		c, err := scanChunk(rows)
		if err != nil {
			return nil, err
		}
		byID[c.ID] = c
	}
	return byID, rows.Err()
}

// ftsQuery ORs the distinct tokens, each quoted as an FTS5 string.
func ftsQuery(tokens []string) string {
	seen := map[string]bool{}
	var parts []string
	for _, t := range tokens {
		t = strings.ReplaceAll(t, `"`, "")
		if t == "" || seen[t] {
			continue
		}
		seen[t] = true
		parts = append(parts, `"`+t+`"`)
	}
	return strings.Join(parts, " OR ")
}

// vecEntry is one chunk's vector and filter fields, held in memory.
type vecEntry struct {
	id       int64
	lang     string
	audience string
	kind     string
	vec      []float32
}

// vecCache holds the vectors of one generation of kb_chunks.
type vecCache struct {
	mu      sync.Mutex
	gen     int64
	loaded  bool
	entries []vecEntry
}

// vecCaches maps each open DB to its vector cache. It lives beside the DB
// rather than in it so the knowledge store stays in this file; the weak key
// and the cleanup drop a cache with its DB.
var vecCaches sync.Map // weak.Pointer[DB] → *vecCache

func (db *DB) vecCache() *vecCache {
	key := weak.Make(db)
	if c, ok := vecCaches.Load(key); ok {
		return c.(*vecCache)
	}
	c, loaded := vecCaches.LoadOrStore(key, &vecCache{})
	if !loaded {
		runtime.AddCleanup(db, func(k weak.Pointer[DB]) { vecCaches.Delete(k) }, key)
	}
	return c.(*vecCache)
}

func (db *DB) vectors(ctx context.Context) ([]vecEntry, error) {
	var gen int64
	if err := db.r.QueryRowContext(ctx, `SELECT gen FROM kb_meta`).Scan(&gen); err != nil {
		return nil, fmt.Errorf("read chunk generation: %w", err)
	}
	c := db.vecCache()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.loaded && c.gen == gen {
		return c.entries, nil
	}
	// Read the generation and the rows in one read transaction so they agree.
	tx, err := db.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("load vectors: %w", err)
	}
	defer tx.Rollback()
	if err := tx.QueryRowContext(ctx, `SELECT gen FROM kb_meta`).Scan(&gen); err != nil {
		return nil, fmt.Errorf("read chunk generation: %w", err)
	}
	rows, err := tx.QueryContext(ctx, `SELECT id, lang, audience, kind, embedding FROM kb_chunks WHERE embedding IS NOT NULL ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("load vectors: %w", err)
	}
	defer rows.Close()
	entries := make([]vecEntry, 0, len(c.entries))
	for rows.Next() {
		var e vecEntry
		var blob []byte
		if err := rows.Scan(&e.id, &e.lang, &e.audience, &e.kind, &blob); err != nil {
			return nil, fmt.Errorf("load vectors: %w", err)
		}
		e.vec = blobVec(blob)
		entries = append(entries, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load vectors: %w", err)
	}
	c.entries, c.gen, c.loaded = entries, gen, true
	return entries, nil
}

// vecHit is one scored entry of the in-process vector search.
type vecHit struct {
	i     int
	score float32
}

// parallelScan is the number of entries from which the vector scan is split
// across the CPUs: below it one goroutine is faster than starting several.
const parallelScan = 20000

// scanTop returns the k best entries that pass keep, best first: an exact
// scan, split across the CPUs for large caches (at 100k × 1024 floats the
// scan is the whole cost of the search).
func scanTop(entries []vecEntry, q []float32, k int, keep func(*vecEntry) bool) []vecHit {
	parts := 1
	if len(entries) >= parallelScan {
		parts = min(runtime.GOMAXPROCS(0), len(entries)/(parallelScan/2))
	}
	if parts <= 1 {
		return scanRange(entries, 0, len(entries), q, k, keep)
	}
	results := make([][]vecHit, parts)
	var wg sync.WaitGroup
	step := (len(entries) + parts - 1) / parts
	for p := range parts {
		wg.Go(func() {
			results[p] = scanRange(entries, p*step, min(len(entries), (p+1)*step), q, k, keep)
		})
	}
	wg.Wait()
	var all []vecHit
	for _, r := range results {
		all = append(all, r...)
	}
	// Best first; equal scores in entry order, as the single scan keeps them.
	sort.SliceStable(all, func(i, j int) bool {
		if all[i].score != all[j].score {
			return all[i].score > all[j].score
		}
		return all[i].i < all[j].i
	})
	return all[:min(k, len(all))]
}

// scanRange keeps the k best entries of entries[from:to], best first.
func scanRange(entries []vecEntry, from, to int, q []float32, k int, keep func(*vecEntry) bool) []vecHit {
	top := make([]vecHit, 0, k+1)
	for i := from; i < to; i++ {
		e := &entries[i]
		if !keep(e) {
			continue
		}
		s := dot(q, e.vec)
		if len(top) == k && s <= top[len(top)-1].score {
			continue
		}
		j := sort.Search(len(top), func(j int) bool { return top[j].score < s })
		top = append(top, vecHit{})
		copy(top[j+1:], top[j:])
		top[j] = vecHit{i, s}
		if len(top) > k {
			top = top[:k]
		}
	}
	return top
}

// SearchVector implements xinqiao.KnowledgeStore: exact cosine search over
// the cached vectors of the same dimension.
func (db *DB) SearchVector(ctx context.Context, vec []float32, f xinqiao.ChunkFilter) ([]xinqiao.ScoredChunk, error) {
	if f.K <= 0 || len(vec) == 0 {
		return nil, nil
	}
	entries, err := db.vectors(ctx)
	if err != nil {
		return nil, err
	}
	q := xinqiao.UnitVector(vec)
	band := ""
	if f.Band != "" {
		band = "," + f.Band + ","
	}
	kind := chunkKind(f)
	top := scanTop(entries, q, f.K, func(e *vecEntry) bool {
		return len(e.vec) == len(q) && e.kind == kind && (f.Lang == "" || e.lang == f.Lang) &&
			(band == "" || strings.Contains(e.audience, band))
	})
	if len(top) == 0 {
		return nil, nil
	}
	ids := make([]any, len(top))
	marks := make([]string, len(top))
	for j, h := range top {
		ids[j], marks[j] = entries[h.i].id, "?"
	}
	q2 := `SELECT ` + chunkColumns + ` FROM kb_chunks c WHERE c.id IN (` + strings.Join(marks, ",") + `)`
	rows, err := db.r.QueryContext(ctx, q2, ids...)
	if err != nil {
		return nil, fmt.Errorf("vector search: %w", err)
	}
	defer rows.Close()
	byID := map[int64]xinqiao.Chunk{}
	for rows.Next() {
		c, err := scanChunk(rows)
		if err != nil {
			return nil, fmt.Errorf("vector search: %w", err)
		}
		byID[c.ID] = c
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("vector search: %w", err)
	}
	out := make([]xinqiao.ScoredChunk, 0, len(top))
	for _, h := range top {
		if c, ok := byID[entries[h.i].id]; ok { // a chunk deleted since the cache was loaded is skipped
			out = append(out, xinqiao.ScoredChunk{Chunk: c, Score: float64(h.score)})
		}
	}
	return out, nil
}

func dot(a, b []float32) float32 {
	var s0, s1, s2, s3 float32
	n := len(a) &^ 3
	b = b[:len(a)]
	for i := 0; i < n; i += 4 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
		s2 += a[i+2] * b[i+2]
		s3 += a[i+3] * b[i+3]
	}
	for i := n; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return s0 + s1 + s2 + s3
}

// Chunks implements xinqiao.KnowledgeStore.
func (db *DB) Chunks(ctx context.Context, afterID int64, limit int) ([]xinqiao.Chunk, error) {
	const q = `SELECT ` + chunkColumns + `, c.context, c.tokens, c.embedding FROM kb_chunks c WHERE c.id > ? ORDER BY c.id LIMIT ?`
	rows, err := db.r.QueryContext(ctx, q, afterID, limit)
	if err != nil {
		return nil, fmt.Errorf("list chunks: %w", err)
	}
	defer rows.Close()
	var out []xinqiao.Chunk
	for rows.Next() {
		var tokens string
		var ctxText string
		var blob []byte
		c, err := scanChunk(rows, &ctxText, &tokens, &blob)
		if err != nil {
			return nil, fmt.Errorf("list chunks: %w", err)
		}
		c.Context, c.Tokens = ctxText, strings.Fields(tokens)
		if blob != nil {
			c.Embedding = blobVec(blob)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// SetEmbeddings implements xinqiao.KnowledgeStore.
func (db *DB) SetEmbeddings(ctx context.Context, embedder string, dim int, ids []int64, vecs [][]float32) error {
	if len(ids) != len(vecs) {
		return xinqiao.Errorf(xinqiao.EINVALID, "%d ids but %d vectors", len(ids), len(vecs))
	}
	return db.tx(ctx, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, `UPDATE kb_chunks SET embedding = ?, embedder = ?, dim = ? WHERE id = ?`)
		if err != nil {
			return fmt.Errorf("prepare: %w", err)
		}
		defer stmt.Close()
		for i, id := range ids {
			if len(vecs[i]) != dim {
				return xinqiao.Errorf(xinqiao.EINVALID, "vector of chunk %d has %d dimensions, want %d", id, len(vecs[i]), dim)
			}
			if _, err := stmt.ExecContext(ctx, vecBlob(vecs[i]), embedder, dim, id); err != nil {
				return fmt.Errorf("set embedding: %w", err)
			}
		}
		return nil
	})
}

// EmbedderCounts implements xinqiao.KnowledgeStore.
func (db *DB) EmbedderCounts(ctx context.Context) ([]xinqiao.EmbedderCount, error) {
	const q = `SELECT embedder, dim, COUNT(*) FROM kb_chunks GROUP BY embedder, dim ORDER BY embedder, dim`
	rows, err := db.r.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("count embedders: %w", err)
	}
	defer rows.Close()
	var out []xinqiao.EmbedderCount
	for rows.Next() {
		var e xinqiao.EmbedderCount
		if err := rows.Scan(&e.Embedder, &e.Dim, &e.Chunks); err != nil {
			return nil, fmt.Errorf("count embedders: %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// EnsureVectorIndex implements xinqiao.KnowledgeStore: SQLite searches
// vectors in process and needs no index.
func (db *DB) EnsureVectorIndex(ctx context.Context, dim int) error { return nil }

// CountGap implements xinqiao.KnowledgeStore.
func (db *DB) CountGap(ctx context.Context, day time.Time, topic, lang string) error {
	const q = `INSERT INTO kb_gaps (day, topic, lang, count) VALUES (?, ?, ?, 1)
		ON CONFLICT (day, topic, lang) DO UPDATE SET count = count + 1`
	if _, err := db.w.ExecContext(ctx, q, day.Format(time.DateOnly), topic, lang); err != nil {
		return fmt.Errorf("count gap: %w", err)
	}
	return nil
}

// Gaps implements xinqiao.KnowledgeStore.
func (db *DB) Gaps(ctx context.Context, from, to time.Time) ([]xinqiao.GapTopic, error) {
	const q = `SELECT day, topic, lang, count FROM kb_gaps WHERE day >= ? AND day <= ? ORDER BY count DESC, day DESC, topic`
	rows, err := db.r.QueryContext(ctx, q, from.Format(time.DateOnly), to.Format(time.DateOnly))
	if err != nil {
		return nil, fmt.Errorf("list gaps: %w", err)
	}
	defer rows.Close()
	var out []xinqiao.GapTopic
	for rows.Next() {
		var g xinqiao.GapTopic
		if err := rows.Scan(&g.Day, &g.Topic, &g.Lang, &g.Count); err != nil {
			return nil, fmt.Errorf("list gaps: %w", err)
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

// ImportBulk stores new approved documents with their chunks in one
// transaction with prepared statements: the fast path for loading large
// synthetic corpora in benchmarks. Every document must be new; vs[i] goes
// with chunks[i]. Like ImportApproved it validates each version; unlike it,
// it does not replace anything.
func (db *DB) ImportBulk(ctx context.Context, vs []xinqiao.DocumentVersion, chunks [][]xinqiao.Chunk) error {
	if len(vs) != len(chunks) {
		return xinqiao.Errorf(xinqiao.EINVALID, "%d documents but %d chunk lists", len(vs), len(chunks))
	}
	for _, v := range vs {
		if err := validVersion(v); err != nil {
			return err
		}
		if v.Version <= 0 {
			return xinqiao.Errorf(xinqiao.EINVALID, "version must be positive")
		}
	}
	return db.tx(ctx, func(tx *sql.Tx) error {
		now := db.now()
		docStmt, err := tx.PrepareContext(ctx, `INSERT INTO kb_documents (id, current_version, latest_version, source, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?)`)
		if err != nil {
			return fmt.Errorf("prepare document insert: %w", err)
		}
		defer docStmt.Close()
		const q = `INSERT INTO kb_chunks (doc_id, version, ord, title, heading, text, context, lang, audience, kind, topics,
				tokens, embedding, embedder, dim) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
		chunkStmt, err := tx.PrepareContext(ctx, q)
		if err != nil {
			return fmt.Errorf("prepare chunk insert: %w", err)
		}
		defer chunkStmt.Close()
		for i, v := range vs {
			if _, err := docStmt.ExecContext(ctx, v.DocID, v.Version, v.Version, v.Source, ms2(now), ms2(now)); isUnique(err) {
				return xinqiao.Errorf(xinqiao.ECONFLICT, "document %s exists already", v.DocID)
			} else if err != nil {
				return fmt.Errorf("insert document: %w", err)
			}
			v.State, v.CreatedAt, v.UpdatedAt = xinqiao.StateApproved, now, now
			if err := db.insertVersion(ctx, tx, v); err != nil {
				return err
			}
			for j, c := range chunks[i] {
				var blob []byte
				if c.Embedding != nil {
					blob = vecBlob(c.Embedding)
				}
				if _, err := chunkStmt.ExecContext(ctx, v.DocID, v.Version, j, v.Title, c.Heading, c.Text, c.Context, v.Lang,
					bandList(v.Audience), v.Kind, jsonList(v.Topics), strings.Join(c.Tokens, " "), blob, c.Embedder,
					len(c.Embedding)); err != nil {
					return fmt.Errorf("insert chunk: %w", err)
				}
			}
		}
		return nil
	})
}
