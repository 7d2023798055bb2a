package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"xinqiao/internal/groupcommit"
	"xinqiao/internal/xinqiao"
)

// UpsertTerminal implements xinqiao.ConversationStore.
func (db *DB) UpsertTerminal(ctx context.Context, t xinqiao.Terminal) error {
	const q = `INSERT INTO terminals (code, school, place, band, created_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (code) DO UPDATE SET school = excluded.school, place = excluded.place, band = excluded.band`
	if _, err := db.w.ExecContext(ctx, q, t.Code, t.School, t.Place, t.Band, ms2(db.now())); err != nil {
		return fmt.Errorf("upsert terminal: %w", err)
	}
	return nil
}

// Terminal implements xinqiao.ConversationStore.
func (db *DB) Terminal(ctx context.Context, code string) (xinqiao.Terminal, error) {
	const q = `SELECT code, school, place, band, created_at FROM terminals WHERE code = ?`
	var t xinqiao.Terminal
	var created int64
	err := db.r.QueryRowContext(ctx, q, code).Scan(&t.Code, &t.School, &t.Place, &t.Band, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return t, xinqiao.Errorf(xinqiao.ENOTFOUND, "terminal %q is not registered", code)
	} else if err != nil {
		return t, fmt.Errorf("load terminal: %w", err)
	}
	t.CreatedAt = fromMS(created)
	return t, nil
}

// Terminals implements xinqiao.ConversationStore.
func (db *DB) Terminals(ctx context.Context) ([]xinqiao.Terminal, error) {
	const q = `SELECT code, school, place, band, created_at FROM terminals ORDER BY school, code`
	rows, err := db.r.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("list terminals: %w", err)
	}
	defer rows.Close()
	var out []xinqiao.Terminal
	for rows.Next() {
		var t xinqiao.Terminal
		var created int64
		if err := rows.Scan(&t.Code, &t.School, &t.Place, &t.Band, &created); err != nil {
			return nil, fmt.Errorf("scan terminal: %w", err)
		}
		t.CreatedAt = fromMS(created)
		out = append(out, t)
	}
	return out, rows.Err()
}

// CreateConversation implements xinqiao.ConversationStore.
func (db *DB) CreateConversation(ctx context.Context, c xinqiao.Conversation, s xinqiao.StudentSession) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		const qc = `INSERT INTO conversations (id, terminal, lang, band, mode, risk_level, last_seq, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?)`
		mode, level := c.Mode, c.RiskLevel
		if mode == "" {
			mode = xinqiao.ModeAI
		}
		if level == "" {
			level = "none"
		}
		if _, err := tx.ExecContext(ctx, qc, c.ID, nullString(c.Terminal), c.Lang, c.Band, mode, level,
			ms2(c.CreatedAt), ms2(c.CreatedAt)); err != nil {
			if isForeignKey(err) {
				return xinqiao.Errorf(xinqiao.EINVALID, "terminal %q is not registered", c.Terminal)
			} else if isUnique(err) {
				return xinqiao.Errorf(xinqiao.ECONFLICT, "conversation exists")
			}
			return fmt.Errorf("insert conversation: %w", err)
		}
		const qs = `INSERT INTO student_sessions (token_hash, conversation_id, created_at, expires_at) VALUES (?, ?, ?, ?)`
		if _, err := tx.ExecContext(ctx, qs, s.TokenHash, c.ID, ms2(s.CreatedAt), ms2(s.ExpiresAt)); err != nil {
			return fmt.Errorf("insert student session: %w", err)
		}
		return nil
	})
}

// Conversation implements xinqiao.ConversationStore.
func (db *DB) Conversation(ctx context.Context, id string) (xinqiao.Conversation, error) {
	var c xinqiao.Conversation
	var state sql.NullString
	var created, updated int64
	err := db.rs.conversation.QueryRowContext(ctx, id).Scan(&c.ID, &c.Terminal, &c.School, &c.Place, &c.Lang, &c.Band,
		&c.Mode, &c.RiskLevel, &state, &c.LastSeq, &created, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return c, xinqiao.Errorf(xinqiao.ENOTFOUND, "conversation not found")
	} else if err != nil {
		return c, fmt.Errorf("load conversation: %w", err)
	}
	if state.Valid {
		c.RiskState = json.RawMessage(state.String)
	}
	c.CreatedAt, c.UpdatedAt = fromMS(created), fromMS(updated)
	return c, nil
}

// StudentSession implements xinqiao.ConversationStore.
func (db *DB) StudentSession(ctx context.Context, tokenHash string) (xinqiao.StudentSession, error) {
	var s xinqiao.StudentSession
	var created, expires int64
	err := db.rs.studentSession.QueryRowContext(ctx, tokenHash).Scan(&s.TokenHash, &s.ConversationID, &created, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return s, xinqiao.Errorf(xinqiao.ENOTFOUND, "session not found")
	} else if err != nil {
		return s, fmt.Errorf("load student session: %w", err)
	}
	s.CreatedAt, s.ExpiresAt = fromMS(created), fromMS(expires)
	return s, nil
}

const messageColumns = `id, conversation_id, seq, COALESCE(client_id, ''), role, author, text, risk, sources, ai_generated, created_at`

func scanMessage(row interface{ Scan(...any) error }) (xinqiao.Message, error) {
	var m xinqiao.Message
	var risk, sources sql.NullString
	var created int64
	if err := row.Scan(&m.ID, &m.ConversationID, &m.Seq, &m.ClientID, &m.Role, &m.Author, &m.Text, &risk, &sources,
		&m.AIGenerated, &created); err != nil {
		return m, err
	}
	if risk.Valid {
		m.Risk = new(xinqiao.RiskMark)
		if err := json.Unmarshal([]byte(risk.String), m.Risk); err != nil {
			return m, fmt.Errorf("decode risk of message %d: %w", m.ID, err)
		}
	}
	if sources.Valid {
		if err := json.Unmarshal([]byte(sources.String), &m.Sources); err != nil {
			return m, fmt.Errorf("decode sources of message %d: %w", m.ID, err)
		}
	}
	m.CreatedAt = fromMS(created)
	return m, nil
}

func jsonText(v any, isNil bool) (sql.NullString, error) {
	if isNil {
		return sql.NullString{}, nil
	}
	b, err := json.Marshal(v)
	return sql.NullString{String: string(b), Valid: true}, err
}

// AppendMessage implements xinqiao.ConversationStore.
func (db *DB) AppendMessage(ctx context.Context, nm xinqiao.NewMessage) (xinqiao.Message, bool, error) {
	r, err := db.appends.Do(ctx, appendReq{nm: nm})
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

// appendBatch bounds the appends one transaction takes. One worker: SQLite
// has one writer, and the appends that arrive while it commits form the next
// batch.
const appendBatch = 64

func (db *DB) newAppender() *groupcommit.Committer[appendReq, appendRes] {
	return groupcommit.New(1, appendBatch, groupcommit.Funcs[appendReq, appendRes]{
		Batch:  db.appendBatch,
		Single: db.appendOne,
	})
}

// appendOne stores one message in a transaction of its own.
func (db *DB) appendOne(ctx context.Context, r appendReq) (appendRes, error) {
	var res appendRes
	err := db.tx(ctx, func(tx *sql.Tx) error {
		var err error
		res, err = db.appendInTx(ctx, tx, r)
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
func (db *DB) appendBatch(ctx context.Context, rs []appendReq) ([]appendRes, error) {
	out := make([]appendRes, len(rs))
	err := db.tx(ctx, func(tx *sql.Tx) error {
		for i, r := range rs {
			res, err := db.appendInTx(ctx, tx, r)
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
// errDuplicate, having written nothing: the write transaction holds
// SQLite's one write lock, so no concurrent resend can come between the
// check and the insert.
func (db *DB) appendInTx(ctx context.Context, tx *sql.Tx, r appendReq) (appendRes, error) {
	nm, t := r.nm, r.t
	risk, err := jsonText(nm.Risk, nm.Risk == nil)
	if err != nil {
		return appendRes{}, err
	}
	sources, err := jsonText(nm.Sources, len(nm.Sources) == 0)
	if err != nil {
		return appendRes{}, err
	}
	if nm.ClientID != "" {
		m, err := scanMessage(tx.StmtContext(ctx, db.ws.dupMessage).QueryRowContext(ctx, nm.ConversationID, nm.ClientID))
		if err == nil {
			res := appendRes{msg: m}
			pt, err := scanTurn(tx.StmtContext(ctx, db.ws.pendingTurn).QueryRowContext(ctx, nm.ConversationID, m.Seq))
			if err == nil {
				res.turn = &pt
			} else if !errors.Is(err, sql.ErrNoRows) {
				return appendRes{}, fmt.Errorf("check pending turn: %w", err)
			}
			return res, errDuplicate
		} else if !errors.Is(err, sql.ErrNoRows) {
			return appendRes{}, fmt.Errorf("check client id: %w", err)
		}
	}
	now := db.now()
	var seq int64
	var mode string
	err = tx.StmtContext(ctx, db.ws.bumpSeq).QueryRowContext(ctx, ms2(now), nm.ConversationID).Scan(&seq, &mode)
	if errors.Is(err, sql.ErrNoRows) {
		return appendRes{}, xinqiao.Errorf(xinqiao.ENOTFOUND, "conversation not found")
	} else if err != nil {
		return appendRes{}, fmt.Errorf("bump seq: %w", err)
	}
	if nm.RequireMode != "" && mode != nm.RequireMode {
		return appendRes{}, xinqiao.Errorf(xinqiao.ECONFLICT, "conversation is in mode %s, not %s", mode, nm.RequireMode)
	}
	if t.AIOnly && mode != xinqiao.ModeAI {
		t.Kind = "" // a counselor has the conversation and reads the message live
	}
	if nm.Completes > 0 {
		res, err := tx.StmtContext(ctx, db.ws.completeTurn).ExecContext(ctx, nm.ConversationID, nm.Completes)
		if err != nil {
			return appendRes{}, fmt.Errorf("complete turn: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return appendRes{}, xinqiao.Errorf(xinqiao.ECONFLICT, "the turn of message %d is no longer pending", nm.Completes)
		}
		if len(nm.Covers) > 0 {
			const qm = `DELETE FROM pending_turns WHERE conversation_id = ? AND seq IN (SELECT value FROM json_each(?))`
			if _, err := tx.ExecContext(ctx, qm, nm.ConversationID, seqList(nm.Covers)); err != nil {
				return appendRes{}, fmt.Errorf("complete merged turns: %w", err)
			}
		}
	}
	m, err := scanMessage(tx.StmtContext(ctx, db.ws.insertMessage).QueryRowContext(ctx, nm.ConversationID, seq, nullString(nm.ClientID), nm.Role,
		nm.Author, nm.Text, risk, sources, boolInt(nm.AIGenerated), ms2(now)))
	if err != nil {
		return appendRes{}, fmt.Errorf("insert message: %w", err)
	}
	if nm.ConversationRisk != "" {
		if _, err := tx.StmtContext(ctx, db.ws.recordRisk).ExecContext(ctx, nm.ConversationRisk,
			nullString(string(nm.ConversationRiskState)), nm.ConversationID); err != nil {
			return appendRes{}, fmt.Errorf("record risk: %w", err)
		}
	}
	res := appendRes{msg: m, created: true}
	if t.Kind != "" {
		pt := xinqiao.PendingTurn{ConversationID: nm.ConversationID, Seq: seq, ClientID: nm.ClientID, Kind: t.Kind,
			Level: t.Level, Categories: orEmpty(t.Categories), Rules: orEmpty(t.Rules), Attempts: 1,
			CreatedAt: fromMS(ms2(now)), LeaseUntil: fromMS(ms2(t.LeaseUntil))}
		cats, _ := json.Marshal(pt.Categories)
		rules, _ := json.Marshal(pt.Rules)
		if _, err := tx.StmtContext(ctx, db.ws.insertTurn).ExecContext(ctx, pt.ConversationID, pt.Seq, pt.ClientID, pt.Kind, pt.Level,
			string(cats), string(rules), ms2(now), ms2(t.LeaseUntil)); err != nil {
			return appendRes{}, fmt.Errorf("record pending turn: %w", err)
		}
		res.turn = &pt
	}
	return res, nil
}

// writerStmts are the append path's statements, prepared once on the
// writer connection when the store opens: SQLite parses them once, not on
// every append (tx.StmtContext reuses the connection's prepared statement).
type writerStmts struct {
	dupMessage, pendingTurn, bumpSeq, completeTurn, insertMessage, recordRisk, insertTurn *sql.Stmt
}

// readerStmts are the hot reads of every student message, prepared once on
// the read pool (database/sql prepares each on a connection the first time
// that connection runs it, then reuses it).
//
// A LIMIT bound as a plain parameter makes SQLite re-prepare the statement
// whenever the bound value changes (the planner reads it), so the limit is
// bound through a CAST, which the planner does not look into.
type readerStmts struct {
	conversation, studentSession, messages *sql.Stmt
}

func (db *DB) prepareReader(ctx context.Context) error {
	return prepareAll(ctx, db.r, []stmtText{
		{&db.rs.conversation, `SELECT c.id, COALESCE(c.terminal, ''), COALESCE(t.school, ''), COALESCE(t.place, ''), c.lang, c.band,
			c.mode, c.risk_level, c.risk_state, c.last_seq, c.created_at, c.updated_at
			FROM conversations c LEFT JOIN terminals t ON t.code = c.terminal WHERE c.id = ?`},
		{&db.rs.studentSession, `SELECT token_hash, conversation_id, created_at, expires_at FROM student_sessions WHERE token_hash = ?`},
		{&db.rs.messages, `SELECT ` + messageColumns + ` FROM messages WHERE conversation_id = ? AND seq > ? ORDER BY seq LIMIT CAST(? AS INTEGER)`},
	})
}

// stmtText is a statement to prepare and where to keep it.
type stmtText struct {
	st **sql.Stmt
	q  string
}

// prepareAll prepares each statement on pool.
func prepareAll(ctx context.Context, pool *sql.DB, ss []stmtText) error {
	for _, p := range ss {
		st, err := pool.PrepareContext(ctx, p.q)
		if err != nil {
			return fmt.Errorf("prepare %q: %w", p.q, err)
		}
		*p.st = st
	}
	return nil
}

func (db *DB) prepareWriter(ctx context.Context) error {
	return prepareAll(ctx, db.w.DB, []stmtText{
		{&db.ws.dupMessage, `SELECT ` + messageColumns + ` FROM messages WHERE conversation_id = ? AND client_id = ?`},
		{&db.ws.pendingTurn, `SELECT ` + turnColumns + ` FROM pending_turns WHERE conversation_id = ? AND seq = ?`},
		{&db.ws.bumpSeq, `UPDATE conversations SET last_seq = last_seq + 1, updated_at = ? WHERE id = ? RETURNING last_seq, mode`},
		{&db.ws.completeTurn, `DELETE FROM pending_turns WHERE conversation_id = ? AND seq = ?`},
		{&db.ws.insertMessage, `INSERT INTO messages (conversation_id, seq, client_id, role, author, text, risk, sources, ai_generated, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING ` + messageColumns},
		{&db.ws.recordRisk, `UPDATE conversations SET risk_level = ?, risk_state = ? WHERE id = ?`},
		{&db.ws.insertTurn, `INSERT INTO pending_turns (conversation_id, seq, client_id, kind, level, categories, rules, attempts, created_at, lease_until)
			VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?)`},
	})
}

const turnColumns = `conversation_id, seq, client_id, kind, level, categories, rules, attempts, created_at, lease_until`

func scanTurn(row interface{ Scan(...any) error }) (xinqiao.PendingTurn, error) {
	var t xinqiao.PendingTurn
	var cats, rules string
	var created, lease int64
	if err := row.Scan(&t.ConversationID, &t.Seq, &t.ClientID, &t.Kind, &t.Level, &cats, &rules, &t.Attempts, &created, &lease); err != nil {
		return t, err
	}
	if err := json.Unmarshal([]byte(cats), &t.Categories); err != nil {
		return t, fmt.Errorf("decode categories of turn %d: %w", t.Seq, err)
	}
	if err := json.Unmarshal([]byte(rules), &t.Rules); err != nil {
		return t, fmt.Errorf("decode rules of turn %d: %w", t.Seq, err)
	}
	t.Categories, t.Rules = orEmpty(t.Categories), orEmpty(t.Rules)
	t.CreatedAt, t.LeaseUntil = fromMS(created), fromMS(lease)
	return t, nil
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// ClaimStaleTurns implements xinqiao.ConversationStore: the write
// transaction moves the lease before any other caller can see it ended.
func (db *DB) ClaimStaleTurns(ctx context.Context, now, leaseUntil time.Time, limit int) ([]xinqiao.PendingTurn, error) {
	const q = `UPDATE pending_turns SET lease_until = ?, attempts = attempts + 1
		WHERE (conversation_id, seq) IN (
			SELECT conversation_id, seq FROM pending_turns WHERE lease_until <= ? ORDER BY created_at, seq LIMIT ?)
		RETURNING ` + turnColumns
	rows, err := db.w.QueryContext(ctx, q, ms2(leaseUntil), ms2(now), limit)
	out, err := collect(rows, err, "claim stale turns", scanTurn)
	if err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].CreatedAt.Before(out[j].CreatedAt) || (out[i].CreatedAt.Equal(out[j].CreatedAt) && out[i].Seq < out[j].Seq)
	})
	return out, nil
}

// ClaimTurn implements xinqiao.ConversationStore.
func (db *DB) ClaimTurn(ctx context.Context, conversationID string, seq int64, now, leaseUntil time.Time) (xinqiao.PendingTurn, bool, error) {
	const q = `UPDATE pending_turns SET lease_until = ?, attempts = attempts + 1
		WHERE conversation_id = ? AND seq = ? AND lease_until <= ? RETURNING ` + turnColumns
	t, err := scanTurn(db.w.QueryRowContext(ctx, q, ms2(leaseUntil), conversationID, seq, ms2(now)))
	if errors.Is(err, sql.ErrNoRows) {
		return t, false, nil
	} else if err != nil {
		return t, false, fmt.Errorf("claim turn: %w", err)
	}
	return t, true, nil
}

// ReleaseTurn implements xinqiao.ConversationStore.
func (db *DB) ReleaseTurn(ctx context.Context, conversationID string, seq int64, now time.Time) error {
	const q = `UPDATE pending_turns SET lease_until = ? WHERE conversation_id = ? AND seq = ? AND lease_until > ?`
	if _, err := db.w.ExecContext(ctx, q, ms2(now), conversationID, seq, ms2(now)); err != nil {
		return fmt.Errorf("release turn: %w", err)
	}
	return nil
}

// RenewTurns implements xinqiao.ConversationStore.
func (db *DB) RenewTurns(ctx context.Context, conversationID string, seqs []int64, leaseUntil time.Time) error {
	if len(seqs) == 0 {
		return nil
	}
	const q = `UPDATE pending_turns SET lease_until = ?
		WHERE conversation_id = ? AND seq IN (SELECT value FROM json_each(?)) AND lease_until < ?`
	if _, err := db.w.ExecContext(ctx, q, ms2(leaseUntil), conversationID, seqList(seqs), ms2(leaseUntil)); err != nil {
		return fmt.Errorf("renew turns: %w", err)
	}
	return nil
}

// seqList encodes seqs as a JSON array, for json_each.
func seqList(seqs []int64) string {
	b, _ := json.Marshal(seqs)
	return string(b)
}

// CompleteTurn implements xinqiao.ConversationStore.
func (db *DB) CompleteTurn(ctx context.Context, conversationID string, seq int64) (bool, error) {
	const q = `DELETE FROM pending_turns WHERE conversation_id = ? AND seq = ?`
	res, err := db.w.ExecContext(ctx, q, conversationID, seq)
	if err != nil {
		return false, fmt.Errorf("complete turn: %w", err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// errDuplicate rolls back a seq bump when the client id was seen before.
var errDuplicate = errors.New("duplicate client id")

// Messages implements xinqiao.ConversationStore.
func (db *DB) Messages(ctx context.Context, conversationID string, afterSeq int64, limit int) ([]xinqiao.Message, error) {
	rows, err := db.rs.messages.QueryContext(ctx, conversationID, afterSeq, limit)
	return collect(rows, err, "list messages", scanMessage)
}

// SetRisk implements xinqiao.ConversationStore.
func (db *DB) SetRisk(ctx context.Context, conversationID, level string, state json.RawMessage) error {
	const q = `UPDATE conversations SET risk_level = ?, risk_state = ?, updated_at = ? WHERE id = ?`
	return db.updateConversation(ctx, q, level, nullString(string(state)), ms2(db.now()), conversationID)
}

// SetMode implements xinqiao.ConversationStore.
func (db *DB) SetMode(ctx context.Context, conversationID, mode string) error {
	const q = `UPDATE conversations SET mode = ?, updated_at = ? WHERE id = ?`
	return db.updateConversation(ctx, q, mode, ms2(db.now()), conversationID)
}

func (db *DB) updateConversation(ctx context.Context, q string, args ...any) error {
	res, err := db.w.ExecContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("update conversation: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return xinqiao.Errorf(xinqiao.ENOTFOUND, "conversation not found")
	}
	return nil
}
