// Package loadtest is a district's own capacity check against a running
// deployment: simulated students on the student socket (an open-loop
// schedule, so a slow server never slows the senders), a share of risky
// messages timed to the crisis card, optional counselor consoles, and the
// server's memory and CPU. It talks only to loopback or to one host the
// operator names, and it is bounded in students and time.
package loadtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// Bounds of one run.
const (
	MaxStudents = 20000
	MaxConsoles = 500
	MaxDuration = 30 * time.Minute
	MaxRate     = 5.0 // messages per second per student
)

// Config is one run.
type Config struct {
	URL       string        // the deployment, e.g. http://127.0.0.1:8080
	AllowHost string        // a non-loopback host that may be targeted (the district's test host)
	Students  int           // simultaneous student sockets
	Rate      float64       // messages per second per student
	Risky     float64       // share of messages that are risky (0..1), each from a fresh conversation
	Duration  time.Duration // sending time; answers are awaited a little longer
	Consoles  int           // counselor console sockets held open
	User      string        // console login (needed with Consoles)
	Password  string
	PID       int    // the server's process id on this machine, for its RSS and CPU (0: from /metrics)
	Metrics   string // the bearer token of /metrics (XINQIAO_METRICS_TOKEN), when PID is 0
	Lang      string
}

// Validate checks the bounds and the target.
func (c Config) Validate() error {
	u, err := url.Parse(c.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("-url %q: want http://host:port", c.URL)
	}
	if err := checkHost(u.Hostname(), c.AllowHost); err != nil {
		return err
	}
	switch {
	case c.Students < 1 || c.Students > MaxStudents:
		return fmt.Errorf("-students %d: want 1 to %d", c.Students, MaxStudents)
	case c.Rate <= 0 || c.Rate > MaxRate:
		return fmt.Errorf("-rate %g: want more than 0 and at most %g messages a second per student", c.Rate, MaxRate)
	case c.Risky < 0 || c.Risky > 1:
		return fmt.Errorf("-risky %g: want a share between 0 and 1", c.Risky)
	case c.Duration <= 0 || c.Duration > MaxDuration:
		return fmt.Errorf("-duration %v: want more than 0 and at most %v", c.Duration, MaxDuration)
	case c.Consoles < 0 || c.Consoles > MaxConsoles:
		return fmt.Errorf("-consoles %d: want 0 to %d", c.Consoles, MaxConsoles)
	case c.Consoles > 0 && (c.User == "" || c.Password == ""):
		return errors.New("-consoles needs -console-user and XINQIAO_LOADTEST_PASSWORD")
	}
	return nil
}

// checkHost allows loopback names and addresses, and the one host named
// by allow; never anything else.
func checkHost(host, allow string) error {
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	if allow != "" && strings.EqualFold(host, allow) {
		return nil
	}
	return fmt.Errorf("host %s is not loopback: a load test targets only this machine or the test host named with -allow-host", host)
}

// Report is what a run measured. Latencies are in milliseconds.
type Report struct {
	Students  int              `json:"students"`
	Rate      float64          `json:"rate"`
	Seconds   float64          `json:"seconds"`
	Sent      int64            `json:"sent"`
	Acked     int64            `json:"acked"`
	Answered  int64            `json:"answered"`
	Delayed   int64            `json:"delayed_notices"`
	Risky     int64            `json:"risky_sent"`
	Crisis    int64            `json:"crisis_cards"`
	Errors    map[string]int64 `json:"errors"`
	Closed    int64            `json:"sockets_closed_by_server"`
	Failed    int64            `json:"sockets_failed_to_open"`
	Consoles  int64            `json:"consoles_open"`
	Ack       Latency          `json:"ack_ms"`
	Answer    Latency          `json:"answer_ms"`
	CrisisLat Latency          `json:"crisis_ms"`
	RSSStart  int64            `json:"server_rss_start_kib"`
	RSSEnd    int64            `json:"server_rss_end_kib"`
	CPU       float64          `json:"server_cpu_seconds"`
	CPUPerMsg float64          `json:"server_cpu_us_per_message"`
}

// Latency sums up one kind of latency.
type Latency struct {
	N   int     `json:"n"`
	P50 float64 `json:"p50"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

func summarize(ds []time.Duration) Latency {
	if len(ds) == 0 {
		return Latency{}
	}
	slices.Sort(ds)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	at := func(p float64) time.Duration { return ds[min(len(ds)-1, int(p*float64(len(ds))))] }
	return Latency{N: len(ds), P50: ms(at(0.50)), P99: ms(at(0.99)), Max: ms(ds[len(ds)-1])}
}

// String prints the report for a person.
func (r Report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d students × %g msg/s for %.0f s: sent %d, acked %d, answered %d (%d told the answer is delayed)\n",
		r.Students, r.Rate, r.Seconds, r.Sent, r.Acked, r.Answered, r.Delayed)
	fmt.Fprintf(&b, "ack    p50 %8.1f ms  p99 %8.1f ms  max %8.1f ms  (n %d)\n", r.Ack.P50, r.Ack.P99, r.Ack.Max, r.Ack.N)
	fmt.Fprintf(&b, "answer p50 %8.1f ms  p99 %8.1f ms  max %8.1f ms  (n %d)\n", r.Answer.P50, r.Answer.P99, r.Answer.Max, r.Answer.N)
	fmt.Fprintf(&b, "crisis p50 %8.1f ms  p99 %8.1f ms  max %8.1f ms  (%d of %d risky messages)\n", r.CrisisLat.P50, r.CrisisLat.P99, r.CrisisLat.Max, r.Crisis, r.Risky)
	keys := make([]string, 0, len(r.Errors))
	for k := range r.Errors {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var errs []string
	for _, k := range keys {
		errs = append(errs, fmt.Sprintf("%s %d", k, r.Errors[k]))
	}
	fmt.Fprintf(&b, "errors: %s; sockets closed by the server %d, failed to open %d; consoles open %d\n",
		cmpOr(strings.Join(errs, ", "), "none"), r.Closed, r.Failed, r.Consoles)
	if r.RSSEnd > 0 {
		fmt.Fprintf(&b, "server RSS %d → %d KiB", r.RSSStart, r.RSSEnd)
		if r.CPU > 0 {
			fmt.Fprintf(&b, "; CPU %.1f s (%.0f µs per message)", r.CPU, r.CPUPerMsg)
		}
		b.WriteString("\n")
	}
	return b.String()
}

func cmpOr(a, b string) string {
	if a == "" {
		return b
	}
	return a
}

// Ordinary questions and risky messages the simulated students send.
var (
	questions = []string{
		"明天就要考试了，我紧张得睡不着，怎么办？",
		"我和同桌吵架了，不知道怎么和好",
		"作业太多了写不完，怎么安排时间",
		"最近总是很烦，不想和爸妈说话",
		"上课总是走神，怎么才能集中注意力",
		"被同学起外号，心里很难受",
		"I can't sleep the night before a test, what can I do?",
		"考试没考好，怕回家被骂",
	}
	risky = []string{
		"我不想活了，今晚就从楼顶跳下去",
		"我攒了很多安眠药，今晚就全部吃掉，不想活了",
	}
)

// run state shared by the students.
type run struct {
	cfg    Config
	base   *url.URL
	origin string
	dialer *websocket.Dialer
	client *http.Client

	mu        sync.Mutex
	ack       []time.Duration
	answer    []time.Duration
	crisisLat []time.Duration
	errs      map[string]int64

	sent, acked, answered, delayed, riskySent, crisis, closed, failed, consoles atomic.Int64
}

func (r *run) note(kind string, d time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch kind {
	case "ack":
		r.ack = append(r.ack, d)
	case "answer":
		r.answer = append(r.answer, d)
	case "crisis":
		r.crisisLat = append(r.crisisLat, d)
	}
}

func (r *run) fail(code string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs[code]++
}

// Run carries out a load test and reports what it measured.
func Run(ctx context.Context, cfg Config, progress io.Writer) (Report, error) {
	if err := cfg.Validate(); err != nil {
		return Report{}, err
	}
	if cfg.Lang == "" {
		cfg.Lang = "zh"
	}
	base, _ := url.Parse(strings.TrimRight(cfg.URL, "/"))
	r := &run{cfg: cfg, base: base, origin: base.Scheme + "://" + base.Host, errs: map[string]int64{},
		dialer: &websocket.Dialer{HandshakeTimeout: 20 * time.Second, ReadBufferSize: 1024, WriteBufferSize: 1024},
		client: &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}}
	if progress == nil {
		progress = io.Discard
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.Duration+2*time.Minute)
	defer cancel()

	rssStart, cpuStart := r.serverStats(ctx)
	// Consoles first, then the students, opened 50 at a time.
	var wg, consoles sync.WaitGroup
	hold, stopHold := context.WithCancel(ctx)
	defer stopHold()
	if cfg.Consoles > 0 {
		if cookies, err := r.login(ctx); err != nil {
			r.fail("console_login")
			fmt.Fprintf(progress, "console login: %v\n", err)
		} else {
			for range cfg.Consoles {
				consoles.Go(func() { r.console(hold, cookies) })
			}
		}
	}
	conns := make([]*websocket.Conn, cfg.Students)
	sem := make(chan struct{}, 50)
	var open sync.WaitGroup
	for i := range conns {
		sem <- struct{}{}
		open.Go(func() {
			defer func() { <-sem }()
			c, err := r.openStudent(ctx)
			if err != nil {
				r.failed.Add(1)
				return
			}
			conns[i] = c
		})
	}
	open.Wait()
	fmt.Fprintf(progress, "opened %d student sockets (%d failed); sending for %v\n", cfg.Students-int(r.failed.Load()), r.failed.Load(), cfg.Duration)

	start := time.Now()
	end := start.Add(cfg.Duration)
	interval := time.Duration(float64(time.Second) / cfg.Rate)
	for i, c := range conns {
		if c == nil {
			continue
		}
		// Spread the first sends over one interval.
		first := start.Add(time.Duration(rand.Int64N(int64(interval))))
		wg.Go(func() { r.student(ctx, c, i, first, interval, end) })
	}
	// Risky messages come from fresh conversations, on the same schedule
	// as their share of all messages.
	if cfg.Risky > 0 {
		total := float64(len(conns)) * cfg.Rate * cfg.Duration.Seconds()
		n := int(total * cfg.Risky)
		for j := range n {
			at := start.Add(time.Duration(float64(cfg.Duration) * float64(j) / float64(max(n, 1))))
			wg.Go(func() { r.riskyProbe(ctx, at) })
		}
	}
	wg.Wait()
	elapsed := time.Since(start)
	stopHold()
	consoles.Wait()
	rssEnd, cpuEnd := r.serverStats(context.Background())

	rep := Report{Students: cfg.Students, Rate: cfg.Rate, Seconds: elapsed.Seconds(),
		Sent: r.sent.Load(), Acked: r.acked.Load(), Answered: r.answered.Load(), Delayed: r.delayed.Load(),
		Risky: r.riskySent.Load(), Crisis: r.crisis.Load(), Errors: r.errs, Closed: r.closed.Load(),
		Failed: r.failed.Load(), Consoles: r.consoles.Load(),
		RSSStart: rssStart, RSSEnd: rssEnd}
	r.mu.Lock()
	rep.Ack, rep.Answer, rep.CrisisLat = summarize(r.ack), summarize(r.answer), summarize(r.crisisLat)
	r.mu.Unlock()
	if cpuStart >= 0 && cpuEnd > cpuStart {
		rep.CPU = cpuEnd - cpuStart
		if n := rep.Sent + rep.Risky; n > 0 {
			rep.CPUPerMsg = rep.CPU / float64(n) * 1e6
		}
	}
	return rep, nil
}

// openStudent makes an anonymous session and opens its socket.
func (r *run) openStudent(ctx context.Context) (*websocket.Conn, error) {
	body := strings.NewReader(`{"lang":"` + r.cfg.Lang + `"}`)
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, r.base.String()+"/api/student/sessions", body)
	req.Header.Set("Content-Type", "application/json")
	resp, err := r.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var s struct {
		Token string `json:"token"`
	}
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusCreated {
		return nil, fmt.Errorf("session: %s", resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil || s.Token == "" {
		return nil, fmt.Errorf("session: no token (%v)", err)
	}
	u := *r.base
	u.Scheme = strings.Replace(u.Scheme, "http", "ws", 1)
	u.Path = "/ws/student"
	u.RawQuery = url.Values{"token": {s.Token}}.Encode()
	c, _, err := r.dialer.DialContext(ctx, u.String(), http.Header{"Origin": {r.origin}})
	return c, err
}

// frame is what the load test reads of a server frame.
type frame struct {
	Type     string `json:"type"`
	ClientID string `json:"client_id"`
	Role     string `json:"role"`
	Code     string `json:"code"`
}

// student sends on an absolute schedule until end and matches acks and
// answers to its messages (answers come in the order of the messages).
func (r *run) student(ctx context.Context, c *websocket.Conn, i int, first time.Time, interval time.Duration, end time.Time) {
	defer c.Close()
	var mu sync.Mutex
	sentAt := map[string]time.Time{}
	var waiting []string // acked messages awaiting their answer, in order
	outstanding := 0
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		for {
			_, data, err := c.ReadMessage()
			if err != nil {
				var ce *websocket.CloseError
				if errors.As(err, &ce) || !errors.Is(err, net.ErrClosed) {
					if ctx.Err() == nil && time.Now().Before(end.Add(5*time.Second)) {
						r.closed.Add(1)
					}
				}
				return
			}
			var f frame
			if json.Unmarshal(data, &f) != nil {
				continue
			}
			now := time.Now()
			mu.Lock()
			switch {
			case f.Type == "ack":
				if t, ok := sentAt[f.ClientID]; ok {
					r.acked.Add(1)
					r.note("ack", now.Sub(t))
					waiting = append(waiting, f.ClientID)
				}
			case f.Type == "message" && f.Role == "assistant":
				if len(waiting) > 0 {
					id := waiting[0]
					waiting = waiting[1:]
					r.answered.Add(1)
					r.note("answer", now.Sub(sentAt[id]))
					delete(sentAt, id)
					outstanding--
				}
			case f.Type == "notice" && f.Code == "answer_delayed":
				r.delayed.Add(1)
			case f.Type == "error":
				r.fail(cmpOr(f.Code, "error"))
				if _, ok := sentAt[f.ClientID]; ok {
					delete(sentAt, f.ClientID)
					outstanding--
				}
			}
			mu.Unlock()
		}
	}()
	next := first
	for n := 0; next.Before(end); n++ {
		select {
		case <-ctx.Done():
			return
		case <-readDone:
			return
		case <-time.After(time.Until(next)):
		}
		id := fmt.Sprintf("lt-%d-%d", i, n)
		msg, _ := json.Marshal(map[string]string{"type": "message", "client_id": id, "text": questions[(i+n)%len(questions)]})
		mu.Lock()
		sentAt[id] = time.Now()
		outstanding++
		mu.Unlock()
		c.SetWriteDeadline(time.Now().Add(10 * time.Second))
		if err := c.WriteMessage(websocket.TextMessage, msg); err != nil {
			return
		}
		r.sent.Add(1)
		next = next.Add(interval)
	}
	// Wait a little for the last answers.
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		mu.Lock()
		left := outstanding
		mu.Unlock()
		if left <= 0 {
			break
		}
		select {
		case <-readDone:
			return
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// riskyProbe sends one risky message from a fresh conversation at at and
// times the crisis card.
func (r *run) riskyProbe(ctx context.Context, at time.Time) {
	c, err := r.openStudent(ctx)
	if err != nil {
		r.failed.Add(1)
		return
	}
	defer c.Close()
	select {
	case <-ctx.Done():
		return
	case <-time.After(time.Until(at)):
	}
	msg, _ := json.Marshal(map[string]string{"type": "message", "client_id": "risk", "text": risky[rand.IntN(len(risky))]})
	t0 := time.Now()
	if err := c.WriteMessage(websocket.TextMessage, msg); err != nil {
		return
	}
	r.riskySent.Add(1)
	c.SetReadDeadline(time.Now().Add(30 * time.Second))
	gotCrisis, gotAck := false, false
	for !(gotCrisis && gotAck) {
		_, data, err := c.ReadMessage()
		if err != nil {
			return
		}
		var f frame
		if json.Unmarshal(data, &f) != nil {
			continue
		}
		switch f.Type {
		case "crisis":
			if !gotCrisis {
				gotCrisis = true
				r.crisis.Add(1)
				r.note("crisis", time.Since(t0))
			}
		case "ack":
			if !gotAck {
				gotAck = true
				r.acked.Add(1)
				r.note("ack", time.Since(t0))
			}
		case "error":
			r.fail(cmpOr(f.Code, "error"))
			return
		}
	}
}

// login logs the counselor in once; the consoles share the session.
func (r *run) login(ctx context.Context) ([]*http.Cookie, error) {
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Timeout: 30 * time.Second, Jar: jar}
	body, _ := json.Marshal(map[string]string{"username": r.cfg.User, "password": r.cfg.Password})
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, r.base.String()+"/api/staff/login", strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", r.origin)
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s", resp.Status)
	}
	return jar.Cookies(r.base), nil
}

// console holds one console socket until ctx ends.
func (r *run) console(ctx context.Context, cookies []*http.Cookie) {
	u := *r.base
	u.Scheme = strings.Replace(u.Scheme, "http", "ws", 1)
	u.Path = "/ws/staff"
	h := http.Header{"Origin": {r.origin}}
	for _, ck := range cookies {
		h.Add("Cookie", ck.Name+"="+ck.Value)
	}
	c, _, err := r.dialer.DialContext(ctx, u.String(), h)
	if err != nil {
		r.fail("console_socket")
		return
	}
	r.consoles.Add(1)
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	for {
		if _, _, err := c.ReadMessage(); err != nil {
			if ctx.Err() == nil {
				r.closed.Add(1)
			}
			return
		}
	}
}

// serverStats returns the server's RSS (KiB) and CPU seconds: from /proc
// with a pid, else the resident memory from /metrics (CPU from
// process_cpu_seconds_total). -1 when unknown.
func (r *run) serverStats(ctx context.Context) (rssKiB int64, cpu float64) {
	if r.cfg.PID > 0 {
		return procStats(r.cfg.PID)
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, r.base.String()+"/metrics", nil)
	if r.cfg.Metrics != "" {
		req.Header.Set("Authorization", "Bearer "+r.cfg.Metrics)
	}
	resp, err := r.client.Do(req)
	if err != nil {
		return -1, -1
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return -1, -1
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	rssKiB, cpu = -1, -1
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) != 2 {
			continue
		}
		v, err := strconv.ParseFloat(f[1], 64)
		if err != nil {
			continue
		}
		switch f[0] {
		case "process_resident_memory_bytes":
			rssKiB = int64(v / 1024)
		case "process_cpu_seconds_total":
			cpu = v
		}
	}
	return rssKiB, cpu
}

// procStats reads VmRSS and utime+stime of a local process.
func procStats(pid int) (int64, float64) {
	var rss int64 = -1
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid)); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmRSS:" {
				rss, _ = strconv.ParseInt(f[1], 10, 64)
			}
		}
	}
	cpu := -1.0
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil {
		s := string(b)
		if i := strings.LastIndexByte(s, ')'); i > 0 {
			f := strings.Fields(s[i+1:])
			if len(f) > 13 {
				ut, _ := strconv.ParseFloat(f[11], 64)
				st, _ := strconv.ParseFloat(f[12], 64)
				cpu = (ut + st) / 100 // clock ticks; 100 per second on Linux
			}
		}
	}
	return rss, cpu
}
