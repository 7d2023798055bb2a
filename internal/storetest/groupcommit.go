package storetest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"xinqiao/internal/groupcommit"
	"xinqiao/internal/postgres"
	"xinqiao/internal/sqlite"
	"xinqiao/internal/xinqiao"

	"github.com/jackc/pgx/v5"
)

func init() {
	register("GroupCommit", func(t *testing.T, open func(tb testing.TB) xinqiao.Store) {
		t.Run("ManyConversationsGetDenseSeqs", func(t *testing.T) { testGroupManyConversations(t, open(t)) })
		t.Run("ResendsInOneBatch", func(t *testing.T) { testGroupResends(t, open(t)) })
		t.Run("FailingRowSparesItsBatch", func(t *testing.T) { testGroupFailingRow(t, open(t)) })
		t.Run("CancelledCallerSparesItsBatch", func(t *testing.T) { testGroupCancelled(t, open(t)) })
		t.Run("OutageFailsEveryCaller", func(t *testing.T) { testGroupOutage(t, open(t)) })
	})
}

// appendStats is what both engines report about their group commit.
type appendStats interface {
	AppendStats() groupcommit.Stats
}

func statsOf(t *testing.T, s xinqiao.Store) groupcommit.Stats {
	t.Helper()
	as, ok := s.(appendStats)
	if !ok {
		t.Fatalf("%s store does not report AppendStats", s.Engine())
	}
	return as.AppendStats()
}

// append is one student append's request and what it got back.
type groupAppend struct {
	nm      xinqiao.NewMessage
	msg     xinqiao.Message
	turn    *xinqiao.PendingTurn
	created bool
	err     error
}

func newStudentMessage(convID, clientID, text string) xinqiao.NewMessage {
	return xinqiao.NewMessage{ConversationID: convID, ClientID: clientID, Role: xinqiao.RoleStudent, Text: text,
		ConversationRisk: "low", ConversationRiskState: []byte(`{"level":"low"}`)}
}

// appendAll runs every append at once, each from its own goroutine as each
// socket does, and waits for all of them.
func appendAll(ctx context.Context, s xinqiao.Store, as []*groupAppend) {
	appendAllCounted(ctx, s, as, new(atomic.Int64))
}

// appendAllCounted is appendAll counting the appends that have returned.
func appendAllCounted(ctx context.Context, s xinqiao.Store, as []*groupAppend, returned *atomic.Int64) {
	var wg sync.WaitGroup
	for _, a := range as {
		wg.Go(func() {
			a.msg, a.turn, a.created, a.err = s.AppendStudentMessage(ctx, a.nm,
				xinqiao.NewTurn{Kind: xinqiao.TurnAnswer, Level: "low", LeaseUntil: time.Now().Add(time.Minute)})
			returned.Add(1)
		})
	}
	wg.Wait()
}

// startAll starts the appends and returns once every one of them is inside
// the store's group commit (waiting for a batch or in one) or has returned;
// wait collects them. An append that needs none of the held rows (to a
// conversation that does not exist) can be taken by a worker of its own and
// return before the last of the others arrives.
func startAll(t *testing.T, ctx context.Context, s xinqiao.Store, as []*groupAppend) (wait func()) {
	t.Helper()
	before := statsOf(t, s).Pending
	var returned atomic.Int64
	done := make(chan struct{})
	go func() { appendAllCounted(ctx, s, as, &returned); close(done) }()
	// returned is read before Pending: a call that returns in between is
	// counted in neither (and the loop goes round again), never in both.
	arrived := func() int64 { r := returned.Load(); return r + statsOf(t, s).Pending - before }
	deadline := time.Now().Add(20 * time.Second)
	for arrived() < int64(len(as)) {
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d appends reached the group commit or returned", arrived(), len(as))
		}
		time.Sleep(2 * time.Millisecond)
	}
	return func() { <-done }
}

// holdWrites makes the store's appends wait until release is called, as a
// long transaction of another client would: on SQLite another connection
// holds the write lock, on PostgreSQL it holds the conversations' rows.
// A test that fails before release still lets go at its cleanup, so the
// schema's drop does not wait on the lock for ever.
func holdWrites(t *testing.T, s xinqiao.Store, convIDs ...string) (release func()) {
	t.Helper()
	release = sync.OnceFunc(holdWritesOf(t, s, convIDs...))
	t.Cleanup(release)
	return release
}

func holdWritesOf(t *testing.T, s xinqiao.Store, convIDs ...string) (release func()) {
	t.Helper()
	ctx := context.Background()
	switch db := s.(type) {
	case *sqlite.DB:
		other, err := sql.Open("sqlite", "file:"+db.Path()+"?_pragma=busy_timeout(10000)")
		if err != nil {
			t.Fatal(err)
		}
		conn, err := other.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := conn.ExecContext(ctx, `BEGIN IMMEDIATE`); err != nil {
			t.Fatalf("take the write lock: %v", err)
		}
		return func() {
			conn.ExecContext(ctx, `ROLLBACK`)
			conn.Close()
			other.Close()
		}
	case *postgres.DB:
		conn, err := pgx.ConnectConfig(ctx, db.Pool().Config().ConnConfig.Copy())
		if err != nil {
			t.Fatal(err)
		}
		tx, err := conn.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec(ctx, `SELECT id FROM conversations WHERE id = ANY($1) FOR UPDATE`, convIDs); err != nil {
			t.Fatalf("lock conversations: %v", err)
		}
		return func() {
			tx.Rollback(ctx)
			conn.Close(ctx)
		}
	}
	t.Fatalf("no way to hold the writes of a %s store", s.Engine())
	return nil
}

// checkStored asserts that every acknowledged append is stored as its
// caller was told, and that each conversation's seqs are 1..n with no gap.
func checkStored(t *testing.T, s xinqiao.Store, as []*groupAppend) {
	t.Helper()
	ctx := context.Background()
	byConv := map[string][]*groupAppend{}
	for _, a := range as {
		if a.err == nil {
			byConv[a.nm.ConversationID] = append(byConv[a.nm.ConversationID], a)
		}
	}
	for id, group := range byConv {
		ms, err := s.Messages(ctx, id, 0, 1000)
		if err != nil {
			t.Fatal(err)
		}
		for i, m := range ms {
			if m.Seq != int64(i+1) {
				t.Fatalf("conversation %s: message %d has seq %d (seqs must be dense)", id, i, m.Seq)
			}
		}
		c, err := s.Conversation(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if c.LastSeq != int64(len(ms)) {
			t.Fatalf("conversation %s: last_seq %d with %d messages stored", id, c.LastSeq, len(ms))
		}
		for _, a := range group {
			if a.msg.Seq < 1 || a.msg.Seq > int64(len(ms)) {
				t.Fatalf("%s acked with seq %d, only %d stored", a.nm.ClientID, a.msg.Seq, len(ms))
			}
			got := ms[a.msg.Seq-1]
			if got.ClientID != a.nm.ClientID || got.Text != a.nm.Text || got.ID != a.msg.ID {
				t.Fatalf("%s acked as seq %d (id %d) but seq %d holds %q %q (id %d)",
					a.nm.ClientID, a.msg.Seq, a.msg.ID, got.Seq, got.ClientID, got.Text, got.ID)
			}
		}
	}
}

func testGroupManyConversations(t *testing.T, s xinqiao.Store) {
	const convs, perConv = 25, 16
	var as []*groupAppend
	for range convs {
		c, _ := NewConversation(t, s, "")
		for j := range perConv {
			id := fmt.Sprintf("m%02d", j)
			as = append(as, &groupAppend{nm: newStudentMessage(c.ID, id, "text "+id)})
		}
	}
	before := statsOf(t, s)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	appendAll(ctx, s, as)
	for _, a := range as {
		if a.err != nil || !a.created || a.turn == nil || a.turn.Seq != a.msg.Seq {
			t.Fatalf("%s: created %v, turn %+v, err %v", a.nm.ClientID, a.created, a.turn, a.err)
		}
	}
	checkStored(t, s, as)
	// Within one conversation the seqs follow no particular order of the
	// callers, but each caller's own seq is the one its message holds
	// (checkStored), and they are 1..perConv.
	after := statsOf(t, s)
	batches, rows := after.Batches-before.Batches, after.Rows-before.Rows
	if rows != int64(len(as)) {
		t.Fatalf("group commit counted %d appends, want %d", rows, len(as))
	}
	if batches >= rows {
		t.Fatalf("%d concurrent appends took %d transactions: nothing was grouped", rows, batches)
	}
	t.Logf("%d appends in %d transactions", rows, batches)
}

func testGroupResends(t *testing.T, s xinqiao.Store) {
	c1, _ := NewConversation(t, s, "")
	c2, _ := NewConversation(t, s, "")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// One message already stored: its resend arrives in the batch too.
	stored := &groupAppend{nm: newStudentMessage(c1.ID, "old", "stored before")}
	appendAll(ctx, s, []*groupAppend{stored})
	if stored.err != nil {
		t.Fatal(stored.err)
	}
	var as []*groupAppend
	for i := range 6 {
		for _, c := range []string{c1.ID, c2.ID} {
			id := fmt.Sprintf("r%d", i)
			as = append(as, &groupAppend{nm: newStudentMessage(c, id, "text "+id)},
				&groupAppend{nm: newStudentMessage(c, id, "text "+id)}, // the page's resend of it
			)
		}
	}
	as = append(as, &groupAppend{nm: newStudentMessage(c1.ID, "old", "stored before")})
	release := holdWrites(t, s, c1.ID, c2.ID)
	before := statsOf(t, s)
	wait := startAll(t, ctx, s, as)
	release()
	wait()
	after := statsOf(t, s)
	t.Logf("%d appends in %d transactions", after.Rows-before.Rows, after.Batches-before.Batches)
	// The held workers each took what was there; the rest waited together
	// and went in the batches behind them: on average two appends or more
	// a transaction whatever the engine's number of workers.
	if b := after.Batches - before.Batches; 2*b > int64(len(as)) {
		t.Fatalf("%d appends waiting together took %d transactions", len(as), b)
	}
	created := map[string]*groupAppend{}
	for _, a := range as {
		if a.err != nil {
			t.Fatalf("%s: %v", a.nm.ClientID, a.err)
		}
		key := a.nm.ConversationID + "/" + a.nm.ClientID
		if a.created {
			if created[key] != nil {
				t.Fatalf("%s stored twice (seqs %d and %d)", key, created[key].msg.Seq, a.msg.Seq)
			}
			created[key] = a
		}
	}
	for _, a := range as {
		key := a.nm.ConversationID + "/" + a.nm.ClientID
		first := created[key]
		if a.nm.ClientID == "old" {
			first = stored
			if a.created {
				t.Fatal("the resend of a stored message was stored again")
			}
		}
		if first == nil {
			t.Fatalf("%s: neither copy was stored", key)
		}
		if a.msg.ID != first.msg.ID || a.msg.Seq != first.msg.Seq {
			t.Fatalf("%s: a copy got id %d seq %d, the stored one id %d seq %d", key, a.msg.ID, a.msg.Seq, first.msg.ID, first.msg.Seq)
		}
		if a.turn == nil || a.turn.Seq != first.msg.Seq {
			t.Fatalf("%s: turn %+v, want the pending turn of seq %d", key, a.turn, first.msg.Seq)
		}
	}
	checkStored(t, s, append(as, stored))
	for _, c := range []string{c1.ID, c2.ID} {
		conv, _ := s.Conversation(ctx, c)
		want := int64(6)
		if c == c1.ID {
			want = 7
		}
		if conv.LastSeq != want {
			t.Fatalf("conversation has last_seq %d, want %d: a resend bumped the seq", conv.LastSeq, want)
		}
	}
}

func testGroupFailingRow(t *testing.T, s xinqiao.Store) {
	c1, _ := NewConversation(t, s, "")
	c2, _ := NewConversation(t, s, "")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var as []*groupAppend
	for i := range 10 {
		id := fmt.Sprintf("ok%d", i)
		as = append(as, &groupAppend{nm: newStudentMessage(c1.ID, id, "text "+id)}, &groupAppend{nm: newStudentMessage(c2.ID, id, "text "+id)})
	}
	missing := &groupAppend{nm: newStudentMessage(xinqiao.NewID(), "lost", "to no conversation")}
	wrongMode := &groupAppend{nm: newStudentMessage(c2.ID, "mode", "for a counselor")}
	wrongMode.nm.RequireMode = xinqiao.ModeHandoff
	as = append(as[:5], append([]*groupAppend{missing, wrongMode}, as[5:]...)...)
	release := holdWrites(t, s, c1.ID, c2.ID)
	wait := startAll(t, ctx, s, as)
	release()
	wait()
	wantCode(t, missing.err, xinqiao.ENOTFOUND)
	wantCode(t, wrongMode.err, xinqiao.ECONFLICT)
	n := 0
	for _, a := range as {
		if a == missing || a == wrongMode {
			continue
		}
		if a.err != nil || !a.created {
			t.Fatalf("%s failed beside a bad row: created %v, %v", a.nm.ClientID, a.created, a.err)
		}
		n++
	}
	if n != 20 {
		t.Fatalf("%d good appends, want 20", n)
	}
	checkStored(t, s, as)
}

func testGroupCancelled(t *testing.T, s xinqiao.Store) {
	c, _ := NewConversation(t, s, "")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var as []*groupAppend
	for i := range 12 {
		id := fmt.Sprintf("c%d", i)
		as = append(as, &groupAppend{nm: newStudentMessage(c.ID, id, "text "+id)})
	}
	// One caller gives up while the batch waits; the others must be stored.
	quitter := &groupAppend{nm: newStudentMessage(c.ID, "quit", "gives up")}
	qctx, qcancel := context.WithCancel(ctx)
	release := holdWrites(t, s, c.ID)
	wait := startAll(t, ctx, s, as)
	qdone := make(chan struct{})
	go func() {
		defer close(qdone)
		appendAll(qctx, s, []*groupAppend{quitter})
	}()
	for statsOf(t, s).Pending < int64(len(as))+1 {
		time.Sleep(2 * time.Millisecond)
	}
	qcancel()
	<-qdone
	if !errors.Is(quitter.err, context.Canceled) {
		t.Fatalf("the cancelled caller got %v, want context.Canceled", quitter.err)
	}
	release()
	wait()
	for _, a := range as {
		if a.err != nil || !a.created {
			t.Fatalf("%s: created %v, %v (a batch-mate's cancel must not fail it)", a.nm.ClientID, a.created, a.err)
		}
	}
	checkStored(t, s, as)
}

// testGroupOutage takes the database away under waiting appends: every
// caller gets an error, none is acknowledged, and the store works again
// once the database is back.
func testGroupOutage(t *testing.T, s xinqiao.Store) {
	c, _ := NewConversation(t, s, "")
	var restore func()
	store := s
	switch db := s.(type) {
	case *sqlite.DB:
		// SQLite's outage: another process holds the file's write lock
		// beyond every caller's patience.
		restore = holdWrites(t, s, c.ID)
	case *postgres.DB:
		// PostgreSQL's: the server stops answering (its connections are cut
		// and new ones refused), through a proxy the test controls.
		p := newCutProxy(t, db)
		var err error
		pdb, err := postgres.Open(context.Background(), p.url, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer pdb.Close()
		store = pdb
		if _, err := pdb.Conversation(context.Background(), c.ID); err != nil {
			t.Fatal(err)
		}
		p.cut()
		restore = p.restore
	default:
		t.Fatalf("no outage for a %s store", s.Engine())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	var as []*groupAppend
	for i := range 16 {
		id := fmt.Sprintf("o%d", i)
		as = append(as, &groupAppend{nm: newStudentMessage(c.ID, id, "text "+id)})
	}
	appendAll(ctx, store, as)
	for _, a := range as {
		if a.err == nil {
			t.Fatalf("%s acknowledged (seq %d) while the database was away", a.nm.ClientID, a.msg.Seq)
		}
	}
	restore()
	after := &groupAppend{nm: newStudentMessage(c.ID, "after", "once it is back")}
	deadline := time.Now().Add(20 * time.Second)
	for {
		actx, acancel := context.WithTimeout(context.Background(), 5*time.Second)
		appendAll(actx, store, []*groupAppend{after})
		acancel()
		if after.err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if after.err != nil || !after.created {
		t.Fatalf("append after the outage: created %v, %v", after.created, after.err)
	}
	ms, err := s.Messages(context.Background(), c.ID, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 1 || ms[0].ClientID != "after" {
		t.Fatalf("stored %d messages after the outage, want only the one sent once it was back: %+v", len(ms), ms)
	}
}

// cutProxy forwards TCP to the PostgreSQL server until cut, then refuses
// and drops every connection until restored.
type cutProxy struct {
	t      *testing.T
	url    string
	target string
	mu     sync.Mutex
	down   bool
	conns  []net.Conn
}

func newCutProxy(t *testing.T, db *postgres.DB) *cutProxy {
	cc := db.Pool().Config().ConnConfig
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	p := &cutProxy{t: t, target: net.JoinHostPort(cc.Host, fmt.Sprint(cc.Port))}
	u := url.URL{Scheme: "postgres", User: url.UserPassword(cc.User, cc.Password), Host: ln.Addr().String(), Path: "/" + cc.Database}
	q := url.Values{"sslmode": {"disable"}, "search_path": {cc.RuntimeParams["search_path"]}, "connect_timeout": {"2"}}
	u.RawQuery = q.Encode()
	p.url = u.String()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.serve(c)
		}
	}()
	return p
}

func (p *cutProxy) serve(c net.Conn) {
	p.mu.Lock()
	if p.down {
		p.mu.Unlock()
		c.Close()
		return
	}
	p.mu.Unlock()
	s, err := net.Dial("tcp", p.target)
	if err != nil {
		c.Close()
		return
	}
	p.mu.Lock()
	p.conns = append(p.conns, c, s)
	p.mu.Unlock()
	go func() { io.Copy(s, c); s.Close() }()
	io.Copy(c, s)
	c.Close()
}

func (p *cutProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = true
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

func (p *cutProxy) restore() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = false
}
