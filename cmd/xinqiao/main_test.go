package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"xinqiao/internal/config"
	"xinqiao/internal/riskrules"
	"xinqiao/internal/storetest"
	"xinqiao/internal/xinqiao"

	"github.com/gorilla/websocket"
)

// syncBuffer is a bytes.Buffer safe for the server goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func envFrom(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

var urlRe = regexp.MustCompile(`Students:\s+(http://\S+)/`)

// TestServeEndToEnd boots the real binary's entry point on each store and
// checks what an operator checks first.
func TestServeEndToEnd(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			env := map[string]string{"XINQIAO_DATA_DIR": t.TempDir(), "XINQIAO_ADDR": "127.0.0.1:0", "XINQIAO_METRICS_TOKEN": metricsToken}
			if e.Name == "postgres" {
				env["DATABASE_URL"] = storetest.PostgresURL(t)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			base, stdout, stderr, done := startServe(ctx, t, env)
			if !strings.Contains(stdout.String(), "First admin account: admin / ") {
				t.Fatalf("the one-time admin password was not printed: %q", stdout.String())
			}
			pw := regexp.MustCompile(`admin / (\S+)`).FindStringSubmatch(stdout.String())[1]
			if strings.Contains(stderr.String(), pw) {
				t.Fatal("the admin password reached the log")
			}
			// In order: /metrics last, once requests have been counted.
			for _, pw := range [][2]string{{"/healthz", `"ok"`}, {"/readyz", `"ready"`}, {"/", "心桥"}, {"/metrics", "xinqiao_http_requests_total"}} {
				path, want := pw[0], pw[1]
				req, _ := http.NewRequest("GET", base+path, nil)
				req.Header.Set("Authorization", "Bearer "+metricsToken)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 || !strings.Contains(string(b), want) {
					t.Fatalf("GET %s: got %d %.200s, want 200 with %q", path, resp.StatusCode, b, want)
				}
			}
			resp, err := http.Post(base+"/api/staff/login", "application/json", strings.NewReader(`{"username":"admin","password":"`+pw+`"}`))
			if err != nil || resp.StatusCode != 200 {
				t.Fatalf("admin login with the printed password: %v %v", err, resp)
			}
			resp.Body.Close()
			// A student socket open at shutdown gets a going-away close frame.
			sresp, err := http.Post(base+"/api/student/sessions", "application/json", strings.NewReader(`{}`))
			if err != nil {
				t.Fatal(err)
			}
			var sess struct{ Token string }
			json.NewDecoder(sresp.Body).Decode(&sess)
			sresp.Body.Close()
			ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(base, "http")+"/ws/student?token="+sess.Token, http.Header{"Origin": {base}})
			if err != nil {
				t.Fatal(err)
			}
			defer ws.Close()
			closed := make(chan error, 1)
			go func() {
				for {
					if _, _, err := ws.ReadMessage(); err != nil {
						closed <- err
						return
					}
				}
			}()
			cancel()
			select {
			case err := <-closed:
				if !websocket.IsCloseError(err, websocket.CloseGoingAway) {
					t.Fatalf("got %v, want close 1001 going away", err)
				}
			case <-time.After(15 * time.Second):
				t.Fatal("the open socket was not closed at shutdown")
			}
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("graceful stop: %v", err)
				}
			case <-time.After(15 * time.Second):
				t.Fatal("no graceful stop within 15s")
			}
		})
	}
}

const metricsToken = "prometheus-scrapes-here-1234"

// TestMetricsNeedATokenOrTheirOwnAddress: /metrics without the token is
// 401 (and with no token configured, refused to everyone); with
// XINQIAO_METRICS_ADDR it is served there only, and 404 on the main address.
func TestMetricsNeedATokenOrTheirOwnAddress(t *testing.T) {
	get := func(url, token string) (int, string) {
		req, _ := http.NewRequest("GET", url, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	free, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	metricsAddr := free.Addr().String()
	free.Close()
	for _, tt := range []struct {
		name string
		env  map[string]string
		// each check: which address ("main" or "metrics"), token, status
		checks []struct {
			where, token string
			code         int
		}
	}{
		{"no token", map[string]string{}, []struct {
			where, token string
			code         int
		}{{"main", "", 401}, {"main", "anything-at-all-123", 401}}},
		{"token", map[string]string{"XINQIAO_METRICS_TOKEN": metricsToken}, []struct {
			where, token string
			code         int
		}{{"main", "", 401}, {"main", "wrong-token-wrong-token", 401}, {"main", metricsToken, 200}}},
		{"own address", map[string]string{"XINQIAO_METRICS_ADDR": metricsAddr}, []struct {
			where, token string
			code         int
		}{{"main", metricsToken, 404}, {"metrics", "", 200}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{"XINQIAO_DATA_DIR": t.TempDir(), "XINQIAO_ADDR": "127.0.0.1:0"}
			for k, v := range tt.env {
				env[k] = v
			}
			ctx, cancel := context.WithCancel(context.Background())
			base, _, _, done := startServe(ctx, t, env)
			for _, c := range tt.checks {
				url := base + "/metrics"
				if c.where == "metrics" {
					url = "http://" + metricsAddr + "/metrics"
				}
				code, body := get(url, c.token)
				if code != c.code || (code == 200 && !strings.Contains(body, "xinqiao_http_requests_total")) {
					t.Errorf("GET %s with token %q: got %d %.100s, want %d", url, c.token, code, body, c.code)
				}
			}
			cancel()
			if err := <-done; err != nil {
				t.Fatalf("stop: %v", err)
			}
		})
	}
}

// startServe runs the serve entry point with env until it prints its URL,
// and returns that URL, its console and log, and the channel its exit comes
// on; ctx stops it.
func startServe(ctx context.Context, t *testing.T, env map[string]string) (base string, stdout, stderr *syncBuffer, done chan error) {
	t.Helper()
	stdout, stderr, done = new(syncBuffer), new(syncBuffer), make(chan error, 1)
	go func() { done <- run(ctx, nil, strings.NewReader(""), stdout, stderr, envFrom(env)) }()
	for deadline := time.Now().Add(60 * time.Second); ; {
		if m := urlRe.FindStringSubmatch(stdout.String()); m != nil {
			return m[1], stdout, stderr, done
		} else if time.Now().After(deadline) {
			t.Fatalf("no URL printed; stdout %q stderr %q", stdout.String(), stderr.String())
		}
		select {
		case err := <-done:
			t.Fatalf("server exited: %v; stderr %s", err, stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// TestBannerNamesEveryPageAndTheAdmin starts twice on one data folder: the
// first start with XINQIAO_ADMIN_PASSWORD, the second with nothing new. Each
// banner lists every page and says the admin's user name is admin.
func TestBannerNamesEveryPageAndTheAdmin(t *testing.T) {
	dir := t.TempDir()
	for i, want := range []string{
		"First admin account: admin, with the password in XINQIAO_ADMIN_PASSWORD",
		"the first admin account is admin",
	} {
		env := map[string]string{"XINQIAO_DATA_DIR": dir, "XINQIAO_ADDR": "127.0.0.1:0", "XINQIAO_ADMIN_PASSWORD": "correct horse battery staple"}
		ctx, cancel := context.WithCancel(context.Background())
		base, stdout, _, done := startServe(ctx, t, env)
		out := stdout.String()
		for _, page := range []string{"/counselor", "/curator", "/rules", "/reports", "/admin"} {
			if !strings.Contains(out, base+page+"\n") {
				t.Errorf("start %d: the banner does not name %s: %q", i+1, page, out)
			}
		}
		if !strings.Contains(out, want) {
			t.Errorf("start %d: got banner %q, want it to say %q", i+1, out, want)
		}
		if strings.Contains(out, "correct horse") {
			t.Errorf("start %d: the configured password was printed", i+1)
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("start %d: stop: %v", i+1, err)
		}
	}
}

func TestStartFailsWithOneClearLine(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	readonly := filepath.Join(t.TempDir(), "ro")
	os.Mkdir(readonly, 0o500)
	broken := t.TempDir()
	os.WriteFile(filepath.Join(broken, "district.rules"), []byte("rule district.x\nlevel: catastrophic\n"), 0o600)
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"malformed database url", map[string]string{"DATABASE_URL": "postgres://%zz"}, "DATABASE_URL"},
		{"unreachable database", map[string]string{"DATABASE_URL": "postgres://x@127.0.0.1:1/none?connect_timeout=2"}, "cannot connect to PostgreSQL"},
		{"port in use", map[string]string{"XINQIAO_ADDR": busy.Addr().String()}, "already in use"},
		{"bad config", map[string]string{"XINQIAO_LOG_LEVEL": "chatty"}, "XINQIAO_LOG_LEVEL"},
		{"broken district risk rules", map[string]string{"XINQIAO_RISK_RULES_DIR": broken}, "district.rules:"},
		{"missing knowledge folder", map[string]string{"XINQIAO_KNOWLEDGE_DIR": filepath.Join(broken, "none")}, "XINQIAO_KNOWLEDGE_DIR"},
		{"bad alert targets", map[string]string{"XINQIAO_ALERT_TARGETS": "[{"}, "XINQIAO_ALERT_TARGETS"},
		{"bad duty days", map[string]string{"XINQIAO_DUTY_HOURS": "mon-fry 08:00-18:00"}, `XINQIAO_DUTY_HOURS: "mon-fry 08:00-18:00": unknown day`},
		{"duty ending before it starts", map[string]string{"XINQIAO_DUTY_HOURS": "mon-fri 18:00-08:00"}, "XINQIAO_DUTY_HOURS"},
		{"bad holiday", map[string]string{"XINQIAO_HOLIDAYS": "2026-10-01,2026-13-01"}, `XINQIAO_HOLIDAYS: "2026-13-01" is not a date`},
	}
	if os.Geteuid() != 0 { // root can write anywhere
		tests = append(tests, struct {
			name string
			env  map[string]string
			want string
		}{"unwritable data folder", map[string]string{"XINQIAO_DATA_DIR": filepath.Join(readonly, "data")}, "data folder"})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.env["XINQIAO_ADDR"] == "" {
				tt.env["XINQIAO_ADDR"] = "127.0.0.1:0"
			}
			if tt.env["XINQIAO_DATA_DIR"] == "" {
				tt.env["XINQIAO_DATA_DIR"] = t.TempDir()
			}
			var stdout, stderr syncBuffer
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			err := run(ctx, nil, strings.NewReader(""), &stdout, &stderr, envFrom(tt.env))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error naming %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("got a multi-line error %q, want one line", err)
			}
		})
	}
}

func TestMigrateAndUserAdd(t *testing.T) {
	env := map[string]string{"XINQIAO_DATA_DIR": t.TempDir()}
	ctx := context.Background()
	var out, errb syncBuffer
	for range 2 { // re-running is a no-op
		if err := run(ctx, []string{"migrate"}, nil, &out, &errb, envFrom(env)); err != nil {
			t.Fatalf("migrate: %v", err)
		}
	}
	if !strings.Contains(out.String(), "schema is current") {
		t.Fatalf("got %q", out.String())
	}
	err := run(ctx, []string{"user", "add", "--role", "counselor", "--username", "wang", "--display-name", "王老师"}, strings.NewReader("a-long-password\n"), &out, &errb, envFrom(env))
	if err != nil || !strings.Contains(out.String(), "added counselor wang") {
		t.Fatalf("user add: %v %q", err, out.String())
	}
	tests := []struct {
		name  string
		args  []string
		stdin string
		want  string
	}{
		{"duplicate", []string{"user", "add", "--role", "counselor", "--username", "wang"}, "another-long-password\n", "taken"},
		{"bad role", []string{"user", "add", "--role", "janitor", "--username", "li"}, "a-long-password\n", "role"},
		{"short password", []string{"user", "add", "--role", "curator", "--username", "li"}, "short\n", "at least"},
		{"no password", []string{"user", "add", "--role", "curator", "--username", "li"}, "", "no password"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := run(ctx, tt.args, strings.NewReader(tt.stdin), &out, &errb, envFrom(env))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error with %q", err, tt.want)
			}
		})
	}
}

func TestHelpListsOnlyWorkingCommands(t *testing.T) {
	var out syncBuffer
	if err := run(context.Background(), []string{"--help"}, nil, &out, &out, envFrom(nil)); err != nil {
		t.Fatal(err)
	}
	for name := range commands {
		if !strings.Contains(out.String(), "xinqiao "+name) && name != "serve" {
			t.Fatalf("help does not list %q: %s", name, out.String())
		}
	}
	if err := run(context.Background(), []string{"frobnicate"}, nil, &out, &out, envFrom(nil)); err == nil {
		t.Fatal("an unknown command succeeded")
	}
}

// TestRiskCommandsLive: risk classify and risk eval read with what the
// server has in force, the district's published rules and the learned
// model included, on each store.
func TestRiskCommandsLive(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			ctx := context.Background()
			env := map[string]string{"XINQIAO_DATA_DIR": t.TempDir()}
			if e.Name == "postgres" {
				env["DATABASE_URL"] = storetest.PostgresURL(t)
			}
			cfg, err := config.Load("test", nil, envFrom(env))
			if err != nil {
				t.Fatal(err)
			}
			store, err := openStore(ctx, cfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			svc, err := riskrules.New(ctx, store, "", nil)
			if err != nil {
				t.Fatal(err)
			}
			draft := "rule district.mushroom\nlang: zh\ncategory: suicide\nlevel: medium\nmatch: 种蘑菇\n"
			if _, _, err := svc.Publish(ctx, storetest.NewStaff(t, store, "zhang", xinqiao.RoleSupervisor), 0, draft, "蘑菇", false); err != nil {
				t.Fatal(err)
			}
			store.Close()
			var out, errb syncBuffer
			in := strings.NewReader("{\"text\":\"我想去种蘑菇\"}\n{\"text\":\"每天醒来都觉得多活一天都是负担\"}\n")
			if err := run(ctx, []string{"risk", "classify"}, in, &out, &errb, envFrom(env)); err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSpace(out.String()), "\n")
			if len(lines) != 2 || !strings.Contains(lines[0], `"district.mushroom"`) || !strings.Contains(lines[1], `"模型 0.`) {
				t.Fatalf("got %q, want the district rule on line 1 and the model on line 2", out.String())
			}
			f := filepath.Join(t.TempDir(), "eval.jsonl")
			os.WriteFile(f, []byte("{\"text\":\"我想去种蘑菇\",\"label\":\"risk\"}\n"), 0o600)
			out = syncBuffer{}
			if err := run(ctx, []string{"risk", "eval", f}, nil, &out, &errb, envFrom(env)); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(out.String(), "recall      1.000") {
				t.Fatalf("eval does not read with the district rule: %s", out.String())
			}
			os.WriteFile(f, []byte(`{"id":"m","label":"risk","turns":[{"role":"student","text":"你好"},{"role":"assistant","text":"你好呀"},{"role":"student","text":"我想去种蘑菇"}]}`+"\n"), 0o600)
			out = syncBuffer{}
			if err := run(ctx, []string{"risk", "eval", "--conversations", f}, nil, &out, &errb, envFrom(env)); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(out.String(), "recall        1.000  (1/1)") {
				t.Fatalf("eval --conversations does not read with the district rule: %s", out.String())
			}
		})
	}
}

func TestRiskCommands(t *testing.T) {
	var out, errb syncBuffer
	in := strings.NewReader("{\"text\":\"今晚我就从楼顶跳下去，不活了\",\"id\":7}\n{\"text\":\"这题难死了\"}\n")
	if err := run(context.Background(), []string{"risk", "classify"}, in, &out, &errb, envFrom(nil)); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], `"id":7`) || !(strings.Contains(lines[0], `"level":"imminent"`) || strings.Contains(lines[0], `"level":"high"`)) || !strings.Contains(lines[1], `"level":"none"`) {
		t.Fatalf("got %q", out.String())
	}
	bad := strings.NewReader("{\"text\":\"ok\"}\nnot json\n")
	if err := run(context.Background(), []string{"risk", "classify"}, bad, &out, &errb, envFrom(nil)); err == nil || !strings.Contains(err.Error(), "2") {
		t.Fatalf("got %v, want an error naming line 2", err)
	}
	f := filepath.Join(t.TempDir(), "eval.jsonl")
	os.WriteFile(f, []byte("{\"text\":\"我想自杀\",\"label\":\"risk\"}\n{\"text\":\"今天天气很好\",\"label\":\"none\"}\n"), 0o600)
	out = syncBuffer{}
	if err := run(context.Background(), []string{"risk", "eval", f}, nil, &out, &errb, envFrom(nil)); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"precision", "recall", "f1", "confusion"} {
		if !strings.Contains(out.String(), want) {
			t.Fatalf("eval output lacks %q: %s", want, out.String())
		}
	}
	// A yes read as the answer to the safety question before it; a
	// conversation the reading does not catch is named by its id.
	os.WriteFile(f, []byte(`{"id":"yes","label":"risk","level":"medium","turns":[{"role":"student","text":"最近睡不着"},{"role":"assistant","text":"你现在就有伤害自己或者结束生命的想法吗？"},{"role":"student","text":"有"}]}`+"\n"+
		`{"id":"quiet","label":"risk","level":"high","turns":[{"role":"student","text":"嗯"}]}`+"\n"), 0o600)
	out = syncBuffer{}
	if err := run(context.Background(), []string{"risk", "eval", "--conversations", f}, nil, &out, &errb, envFrom(nil)); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"recall        0.500  (1/2)", "missed: quiet", "high/imminent below high: quiet"} {
		if !strings.Contains(out.String(), want) {
			t.Fatalf("eval --conversations output lacks %q: %s", want, out.String())
		}
	}
	os.WriteFile(f, []byte(`{"label":"none","turns":[{"role":"teacher","text":"hi"}]}`+"\n"), 0o600)
	if err := run(context.Background(), []string{"risk", "eval", "--conversations", f}, nil, &out, &errb, envFrom(nil)); err == nil || !strings.Contains(err.Error(), `line 1: turn 0: role "teacher"`) {
		t.Fatalf("a bad role: got %v, want an error naming line 1 and the role", err)
	}
	if err := run(context.Background(), []string{"risk", "eval", "--conversations"}, nil, &out, &errb, envFrom(nil)); !errors.Is(err, errUsage) {
		t.Fatalf("eval --conversations with no file: got %v, want the usage", err)
	}
}
