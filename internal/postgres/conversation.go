package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"xinqiao/internal/groupcommit"
	"xinqiao/internal/xinqiao"

	"github.com/jackc/pgx/v5"
)

// UpsertTerminal implements xinqiao.ConversationStore.
func (db *DB) UpsertTerminal(ctx context.Context, t xinqiao.Terminal) error {
	const q = `INSERT INTO terminals (code, school, place, band, created_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (code) DO UPDATE SET school = excluded.school, place = excluded.place, band = excluded.band`
	if _, err := db.pool.Exec(ctx, q, t.Code, t.School, t.Place, t.Band, db.now()); err != nil {
		return fmt.Errorf("upsert terminal: %w", err)
	}
	return nil
}

// Terminal implements xinqiao.ConversationStore.
func (db *DB) Terminal(ctx context.Context, code string) (xinqiao.Terminal, error) {
	const q = `SELECT code, school, place, band, created_at FROM terminals WHERE code = $1`
	var t xinqiao.Terminal
	err := db.pool.QueryRow(ctx, q, code).Scan(&t.Code, &t.School, &t.Place, &t.Band, &t.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return t, xinqiao.Errorf(xinqiao.ENOTFOUND, "terminal %q is not registered", code)
	} else if err != nil {
		return t, fmt.Errorf("load terminal: %w", err)
	}
	t.CreatedAt = t.CreatedAt.UTC()
	return t, nil
}

// Terminals implements xinqiao.ConversationStore.
func (db *DB) Terminals(ctx context.Context) ([]xinqiao.Terminal, error) {
	const q = `SELECT code, school, place, band, created_at FROM terminals ORDER BY school, code`
	rows, err := db.pool.Query(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("list terminals: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (xinqiao.Terminal, error) {
		var t xinqiao.Terminal
		err := r.Scan(&t.Code, &t.School, &t.Place, &t.Band, &t.CreatedAt)
		t.CreatedAt = t.CreatedAt.UTC()
		return t, err
	})
	if err != nil {
		return nil, fmt.Errorf("scan terminals: %w", err)
	}
	return out, nil
}

// CreateConversation implements xinqiao.ConversationStore.
func (db *DB) CreateConversation(ctx context.Context, c xinqiao.Conversation, s xinqiao.StudentSession) error {
	return db.tx(ctx, func(tx pgx.Tx) error {
		const qc = `INSERT INTO conversations (id, terminal, lang, band, mode, risk_level, last_seq, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, 0, $7, $7)`
		mode, level := c.Mode, c.RiskLevel
		if mode == "" {
			mode = xinqiao.ModeAI
		}
		if level == "" {
			level = "none"
		}
		if _, err := tx.Exec(ctx, qc, c.ID, nullString(c.Terminal), c.Lang, c.Band, mode, level, c.CreatedAt); err != nil {
			if isForeignKey(err) {
				return xinqiao.Errorf(xinqiao.EINVALID, "terminal %q is not registered", c.Terminal)
			} else if isUnique(err) {
				return xinqiao.Errorf(xinqiao.ECONFLICT, "conversation exists")
			}
			return fmt.Errorf("insert conversation: %w", err)
		}
		const qs = `INSERT INTO student_sessions (token_hash, conversation_id, created_at, expires_at) VALUES ($1, $2, $3, $4)`
		if _, err := tx.Exec(ctx, qs, s.TokenHash, c.ID, s.CreatedAt, s.ExpiresAt); err != nil {
			return fmt.Errorf("insert student session: %w", err)
		}
		return nil
	})
}

// Conversation implements xinqiao.ConversationStore.
func (db *DB) Conversation(ctx context.Context, id string) (xinqiao.Conversation, error) {
	const q = `SELECT c.id, COALESCE(c.terminal, ''), COALESCE(t.school, ''), COALESCE(t.place, ''), c.lang, c.band,
			c.mode, c.risk_level, c.risk_state, c.last_seq, c.created_at, c.updated_at
		FROM conversations c LEFT JOIN terminals t ON t.code = c.terminal WHERE c.id = $1`
	var c xinqiao.Conversation
	var state []byte
	err := db.pool.QueryRow(ctx, q, id).Scan(&c.ID, &c.Terminal, &c.School, &c.Place, &c.Lang, &c.Band,
		&c.Mode, &c.RiskLevel, &state, &c.LastSeq, &c.CreatedAt, &c.UpdatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return c, xinqiao.Errorf(xinqiao.ENOTFOUND, "conversation not found")
	} else if err != nil {
		return c, fmt.Errorf("load conversation: %w", err)
	}
	if state != nil {
		c.RiskState = json.RawMessage(state)
	}
	c.CreatedAt, c.UpdatedAt = c.CreatedAt.UTC(), c.UpdatedAt.UTC()
	return c, nil
}

// StudentSession implements xinqiao.ConversationStore.
func (db *DB) StudentSession(ctx context.Context, tokenHash string) (xinqiao.StudentSession, error) {
	const q = `SELECT token_hash, conversation_id, created_at, expires_at FROM student_sessions WHERE token_hash = $1`
	var s xinqiao.StudentSession
	err := db.pool.QueryRow(ctx, q, tokenHash).Scan(&s.TokenHash, &s.ConversationID, &s.CreatedAt, &s.ExpiresAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return s, xinqiao.Errorf(xinqiao.ENOTFOUND, "session not found")
	} else if err != nil {
		return s, fmt.Errorf("load student session: %w", err)
	}
	s.CreatedAt, s.ExpiresAt = s.CreatedAt.UTC(), s.ExpiresAt.UTC()
	return s, nil
}

const messageColumns = `id, conversation_id, seq, COALESCE(client_id, ''), role, author, text, risk, sources, ai_generated, created_at`

func scanMessage(row pgx.Row) (xinqiao.Message, error) {
	var m xinqiao.Message
	var risk, sources []byte
	if err := row.Scan(&m.ID, &m.ConversationID, &m.Seq, &m.ClientID, &m.Role, &m.Author, &m.Text, &risk, &sources,
		&m.AIGenerated, &m.CreatedAt); err != nil {
		return m, err
	}
	if risk != nil {
		m.Risk = new(xinqiao.RiskMark)
		if err := json.Unmarshal(risk, m.Risk); err != nil {
			return m, fmt.Errorf("decode risk of message %d: %w", m.ID, err)
		}
	}
	if sources != nil {
		if err := json.Unmarshal(sources, &m.Sources); err != nil {
			return m, fmt.Errorf("decode sources of message %d: %w", m.ID, err)
		}
	}
	m.CreatedAt = m.CreatedAt.UTC()
	return m, nil
}

// jsonb returns v's JSON for a JSONB parameter, or nil (SQL NULL) when isNil.
func jsonb(v any, isNil bool) (any, error) {
	if isNil {
		return nil, nil
	}
	b, err := json.Marshal(v)
	return string(b), err
}

// errDuplicate rolls back a seq bump when the client id was seen before.
var errDuplicate = errors.New("duplicate client id")

// AppendMessage implements xinqiao.ConversationStore. Answers, notices and
// counselors' messages commit on their own, on the pool: only students'
// messages are grouped, so an ack never waits behind a batch of answers.
func (db *DB) AppendMessage(ctx context.Context, nm xinqiao.NewMessage) (xinqiao.Message, bool, error) {
	r, err := db.appendOne(ctx, appendReq{nm: nm})
	return r.msg, r.created, err
}

// AppendStudentMessage implements xinqiao.ConversationStore. Concurrent
// appends share transactions (group commit, see newAppender).
func (db *DB) AppendStudentMessage(ctx context.Context, nm xinqiao.NewMessage, t xinqiao.NewTurn) (xinqiao.Message, *xinqiao.PendingTurn, bool, error) {
	r, err := db.appends.Do(ctx, appendReq{nm: nm, t: t})
	return r.msg, r.turn, r.created, err
}

// AppendStats reports the group commit of appends: batches, the appends
// they held, and the appends waiting now.
func (db *DB) AppendStats() groupcommit.Stats { return db.appends.Stats() }

// appendReq is one append waiting for its batch; appendRes is its result.
type appendReq struct {
	nm xinqiao.NewMessage
	t  xinqiao.NewTurn
}

type appendRes struct {
	msg     xinqiao.Message
	turn    *xinqiao.PendingTurn
	created bool
}

// Group commit: appendWorkers batches in flight at once (the next ones
// gather while these wait on their commits; PostgreSQL flushes concurrent
// commits together), each of at most appendBatch appends.
const (
	appendWorkers = 4
	appendBatch   = 64
)

func (db *DB) newAppender() *groupcommit.Committer[appendReq, appendRes] {
	return groupcommit.New(appendWorkers, appendBatch, groupcommit.Funcs[appendReq, appendRes]{
		Batch:  db.appendBatch,
		Single: db.appendOne,
	})
}

// appendOne stores one message in a transaction of its own.
func (db *DB) appendOne(ctx context.Context, r appendReq) (appendRes, error) {
	var res appendRes
	err := db.tx(ctx, func(tx pgx.Tx) error {
		var err error
		res, err = db.appendInTx(ctx, tx, r, true)
		return err
	})
	if errors.Is(err, errDuplicate) {
		return res, nil
	}
	if err != nil {
		return appendRes{}, err
	}
	return res, nil
}

// appendBatch stores every message of a batch in one transaction, or none.
// Rows are written in conversation order (arrival order within one), so
// two nodes' batches lock conversation rows in the same order and cannot
// deadlock each other.
func (db *DB) appendBatch(ctx context.Context, rs []appendReq) ([]appendRes, error) {
	order := make([]int, len(rs))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return rs[order[a]].nm.ConversationID < rs[order[b]].nm.ConversationID })
	out := make([]appendRes, len(rs))
	err := db.tx(ctx, func(tx pgx.Tx) error {
		for _, i := range order {
			res, err := db.appendInTx(ctx, tx, rs[i], false)
			if err != nil && !errors.Is(err, errDuplicate) {
				return err
			}
			out[i] = res
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// appendInTx stores a message, its pending turn and the conversation's risk
// in tx. A client id seen before returns the stored message with
// errDuplicate. Alone (lockFirst), the seq bump comes first: it locks the
// conversation row, so the client_id check after it cannot race with a
// concurrent resend, and errDuplicate rolls the bump back. In a batch the
// check comes first, so a duplicate bumps nothing and its batch-mates
// commit; a resend racing in another transaction then breaks the unique
// index on insert, and the batch is retried row by row.
func (db *DB) appendInTx(ctx context.Context, tx pgx.Tx, r appendReq, lockFirst bool) (appendRes, error) {
	nm, t := r.nm, r.t
	risk, err := jsonb(nm.Risk, nm.Risk == nil)
	if err != nil {
		return appendRes{}, err
	}
	sources, err := jsonb(nm.Sources, len(nm.Sources) == 0)
	if err != nil {
		return appendRes{}, err
	}
	now := db.now()
	var seq int64
	var mode string
	bump := func() error {
		// The conversation's new risk rides on the seq bump (one round trip
		// less); a refused append rolls both back.
		const q = `UPDATE conversations SET last_seq = last_seq + 1, updated_at = $2,
				risk_level = COALESCE($3, risk_level), risk_state = CASE WHEN $3::text IS NULL THEN risk_state ELSE $4::jsonb END
			WHERE id = $1 RETURNING last_seq, mode`
		var st any
		if len(nm.ConversationRiskState) > 0 {
			st = string(nm.ConversationRiskState)
		}
		err := tx.QueryRow(ctx, q, nm.ConversationID, now, nullString(nm.ConversationRisk), st).Scan(&seq, &mode)
		if errors.Is(err, pgx.ErrNoRows) {
			return xinqiao.Errorf(xinqiao.ENOTFOUND, "conversation not found")
		} else if err != nil {
			return fmt.Errorf("bump seq: %w", err)
		}
		return nil
	}
	if lockFirst {
		if err := bump(); err != nil {
			return appendRes{}, err
		}
	}
	if nm.ClientID != "" {
		const dup = `SELECT ` + messageColumns + ` FROM messages WHERE conversation_id = $1 AND client_id = $2`
		m, err := scanMessage(tx.QueryRow(ctx, dup, nm.ConversationID, nm.ClientID))
		if err == nil {
			res := appendRes{msg: m}
			const qt = `SELECT ` + turnColumns + ` FROM pending_turns WHERE conversation_id = $1 AND seq = $2`
			pt, err := scanTurn(tx.QueryRow(ctx, qt, nm.ConversationID, m.Seq))
			if err == nil {
				res.turn = &pt
			} else if !errors.Is(err, pgx.ErrNoRows) {
				return appendRes{}, fmt.Errorf("check pending turn: %w", err)
			}
			return res, errDuplicate
		} else if !errors.Is(err, pgx.ErrNoRows) {
			return appendRes{}, fmt.Errorf("check client id: %w", err)
		}
	}
	if !lockFirst {
		if err := bump(); err != nil {
			return appendRes{}, err
		}
	}
	if nm.RequireMode != "" && mode != nm.RequireMode {
		return appendRes{}, xinqiao.Errorf(xinqiao.ECONFLICT, "conversation is in mode %s, not %s", mode, nm.RequireMode)
	}
	if t.AIOnly && mode != xinqiao.ModeAI {
		t.Kind = "" // a counselor has the conversation and reads the message live
	}
	// The rest needs no answer before the next statement is sent: one
	// pipelined round trip, read back in order.
	var b pgx.Batch
	if nm.Completes > 0 {
		b.Queue(`DELETE FROM pending_turns WHERE conversation_id = $1 AND seq = $2`, nm.ConversationID, nm.Completes)
		if len(nm.Covers) > 0 {
			b.Queue(`DELETE FROM pending_turns WHERE conversation_id = $1 AND seq = ANY($2)`, nm.ConversationID, nm.Covers)
		}
	}
	const ins = `INSERT INTO messages (conversation_id, seq, client_id, role, author, text, risk, sources, ai_generated, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING ` + messageColumns
	b.Queue(ins, nm.ConversationID, seq, nullString(nm.ClientID), nm.Role, nm.Author, nm.Text, risk, sources, nm.AIGenerated, now)
	var pt xinqiao.PendingTurn
	if t.Kind != "" {
		pt = xinqiao.PendingTurn{ConversationID: nm.ConversationID, Seq: seq, ClientID: nm.ClientID, Kind: t.Kind,
			Level: t.Level, Categories: orEmpty(t.Categories), Rules: orEmpty(t.Rules), Attempts: 1,
			CreatedAt: now.UTC().Truncate(time.Microsecond), LeaseUntil: t.LeaseUntil.UTC().Truncate(time.Microsecond)}
		cats, _ := json.Marshal(pt.Categories)
		rules, _ := json.Marshal(pt.Rules)
		const qt = `INSERT INTO pending_turns (conversation_id, seq, client_id, kind, level, categories, rules, attempts, created_at, lease_until)
			VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8, $9)`
		b.Queue(qt, pt.ConversationID, pt.Seq, pt.ClientID, pt.Kind, pt.Level, string(cats), string(rules), now, t.LeaseUntil)
	}
	br := tx.SendBatch(ctx, &b)
	res, err := func() (appendRes, error) {
		if nm.Completes > 0 {
			tag, err := br.Exec()
			if err != nil {
				return appendRes{}, fmt.Errorf("complete turn: %w", err)
			}
			if tag.RowsAffected() == 0 {
				return appendRes{}, xinqiao.Errorf(xinqiao.ECONFLICT, "the turn of message %d is no longer pending", nm.Completes)
			}
			if len(nm.Covers) > 0 {
				if _, err := br.Exec(); err != nil {
					return appendRes{}, fmt.Errorf("complete merged turns: %w", err)
				}
			}
		}
		m, err := scanMessage(br.QueryRow())
		if err != nil {
			return appendRes{}, fmt.Errorf("insert message: %w", err)
		}
		res := appendRes{msg: m, created: true}
		if t.Kind != "" {
			if _, err := br.Exec(); err != nil {
				return appendRes{}, fmt.Errorf("record pending turn: %w", err)
			}
			res.turn = &pt
		}
		return res, nil
	}()
	if cerr := br.Close(); err == nil && cerr != nil {
		return appendRes{}, fmt.Errorf("append message: %w", cerr)
	}
	return res, err
}

const turnColumns = `conversation_id, seq, client_id, kind, level, categories, rules, attempts, created_at, lease_until`

func scanTurn(row pgx.Row) (xinqiao.PendingTurn, error) {
	var t xinqiao.PendingTurn
	var cats, rules []byte
	if err := row.Scan(&t.ConversationID, &t.Seq, &t.ClientID, &t.Kind, &t.Level, &cats, &rules, &t.Attempts, &t.CreatedAt, &t.LeaseUntil); err != nil {
		return t, err
	}
	if err := json.Unmarshal(cats, &t.Categories); err != nil {
		return t, fmt.Errorf("decode categories of turn %d: %w", t.Seq, err)
	}
	if err := json.Unmarshal(rules, &t.Rules); err != nil {
		return t, fmt.Errorf("decode rules of turn %d: %w", t.Seq, err)
	}
	t.Categories, t.Rules = orEmpty(t.Categories), orEmpty(t.Rules)
	t.CreatedAt, t.LeaseUntil = t.CreatedAt.UTC(), t.LeaseUntil.UTC()
	return t, nil
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// ClaimStaleTurns implements xinqiao.ConversationStore: SKIP LOCKED lets
// every node sweep at once, and each turn is leased to exactly one of them.
func (db *DB) ClaimStaleTurns(ctx context.Context, now, leaseUntil time.Time, limit int) ([]xinqiao.PendingTurn, error) {
	const q = `WITH stale AS (
			SELECT conversation_id, seq FROM pending_turns WHERE lease_until <= $1
			ORDER BY created_at, seq LIMIT $3 FOR UPDATE SKIP LOCKED)
		UPDATE pending_turns p SET lease_until = $2, attempts = p.attempts + 1
		FROM stale WHERE p.conversation_id = stale.conversation_id AND p.seq = stale.seq
		RETURNING p.conversation_id, p.seq, p.client_id, p.kind, p.level, p.categories, p.rules, p.attempts, p.created_at, p.lease_until`
	rows, err := db.pool.Query(ctx, q, now, leaseUntil, limit)
	if err != nil {
		return nil, fmt.Errorf("claim stale turns: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (xinqiao.PendingTurn, error) { return scanTurn(r) })
	if err != nil {
		return nil, fmt.Errorf("scan turns: %w", err)
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].CreatedAt.Before(out[j].CreatedAt) || (out[i].CreatedAt.Equal(out[j].CreatedAt) && out[i].Seq < out[j].Seq)
	})
	return out, nil
}

// ClaimTurn implements xinqiao.ConversationStore.
func (db *DB) ClaimTurn(ctx context.Context, conversationID string, seq int64, now, leaseUntil time.Time) (xinqiao.PendingTurn, bool, error) {
	const q = `UPDATE pending_turns SET lease_until = $4, attempts = attempts + 1
		WHERE conversation_id = $1 AND seq = $2 AND lease_until <= $3 RETURNING ` + turnColumns
	t, err := scanTurn(db.pool.QueryRow(ctx, q, conversationID, seq, now, leaseUntil))
	if errors.Is(err, pgx.ErrNoRows) {
		return t, false, nil
	} else if err != nil {
		return t, false, fmt.Errorf("claim turn: %w", err)
	}
	return t, true, nil
}

// ReleaseTurn implements xinqiao.ConversationStore.
func (db *DB) ReleaseTurn(ctx context.Context, conversationID string, seq int64, now time.Time) error {
	const q = `UPDATE pending_turns SET lease_until = $3 WHERE conversation_id = $1 AND seq = $2 AND lease_until > $3`
	if _, err := db.pool.Exec(ctx, q, conversationID, seq, now); err != nil {
		return fmt.Errorf("release turn: %w", err)
	}
	return nil
}

// RenewTurns implements xinqiao.ConversationStore.
func (db *DB) RenewTurns(ctx context.Context, conversationID string, seqs []int64, leaseUntil time.Time) error {
	if len(seqs) == 0 {
		return nil
	}
	const q = `UPDATE pending_turns SET lease_until = $3 WHERE conversation_id = $1 AND seq = ANY($2) AND lease_until < $3`
	if _, err := db.pool.Exec(ctx, q, conversationID, seqs, leaseUntil); err != nil {
		return fmt.Errorf("renew turns: %w", err)
	}
	return nil
}

// CompleteTurn implements xinqiao.ConversationStore.
func (db *DB) CompleteTurn(ctx context.Context, conversationID string, seq int64) (bool, error) {
	const q = `DELETE FROM pending_turns WHERE conversation_id = $1 AND seq = $2`
	tag, err := db.pool.Exec(ctx, q, conversationID, seq)
	if err != nil {
		return false, fmt.Errorf("complete turn: %w", err)
	}
	return tag.RowsAffected() > 0, nil
}

// Messages implements xinqiao.ConversationStore.
func (db *DB) Messages(ctx context.Context, conversationID string, afterSeq int64, limit int) ([]xinqiao.Message, error) {
	const q = `SELECT ` + messageColumns + ` FROM messages WHERE conversation_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`
	rows, err := db.pool.Query(ctx, q, conversationID, afterSeq, limit)
	if err != nil {
		return nil, fmt.Errorf("list messages: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (xinqiao.Message, error) { return scanMessage(r) })
	if err != nil {
		return nil, fmt.Errorf("scan messages: %w", err)
	}
	return out, nil
}

// SetRisk implements xinqiao.ConversationStore.
func (db *DB) SetRisk(ctx context.Context, conversationID, level string, state json.RawMessage) error {
	const q = `UPDATE conversations SET risk_level = $2, risk_state = $3, updated_at = $4 WHERE id = $1`
	var st any
	if len(state) > 0 {
		st = string(state)
	}
	return db.updateConversation(ctx, q, conversationID, level, st, db.now())
}

// SetMode implements xinqiao.ConversationStore.
func (db *DB) SetMode(ctx context.Context, conversationID, mode string) error {
	const q = `UPDATE conversations SET mode = $2, updated_at = $3 WHERE id = $1`
	return db.updateConversation(ctx, q, conversationID, mode, db.now())
}

func (db *DB) updateConversation(ctx context.Context, q string, args ...any) error {
	tag, err := db.pool.Exec(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("update conversation: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return xinqiao.Errorf(xinqiao.ENOTFOUND, "conversation not found")
	}
	return nil
}
