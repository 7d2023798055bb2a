package loadtest_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"xinqiao/internal/app"
	"xinqiao/internal/apptest"
	"xinqiao/internal/config"
	"xinqiao/internal/loadtest"
	"xinqiao/internal/storetest"
	"xinqiao/internal/xinqiao"
)

// TestLoadTestAgainstARealServer runs a small load test against a real
// server on each store: every message is acked and answered, every risky
// one gets the crisis card, the consoles stay open, and nothing fails.
func TestLoadTestAgainstARealServer(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			s := apptest.Start(t, e.Open(t), app.Options{}, func(c *config.Config) { c.MetricsToken = "lt-metrics-token" })
			s.AddStaff(t, "lt-counselor", xinqiao.RoleCounselor, "老师")
			rep, err := loadtest.Run(context.Background(), loadtest.Config{
				URL: s.URL, Students: 3, Rate: 2, Risky: 0.2, Duration: 1500 * time.Millisecond,
				Consoles: 2, User: "lt-counselor", Password: apptest.Password, Metrics: "lt-metrics-token",
			}, nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("\n%s", rep)
			if rep.Sent == 0 || rep.Acked != rep.Sent+rep.Risky || rep.Answered != rep.Sent {
				t.Errorf("sent %d (+%d risky), acked %d, answered %d: want every message acked and answered", rep.Sent, rep.Risky, rep.Acked, rep.Answered)
			}
			if rep.Risky == 0 || rep.Crisis != rep.Risky || rep.CrisisLat.N != int(rep.Risky) {
				t.Errorf("risky %d, crisis cards %d: want one card per risky message", rep.Risky, rep.Crisis)
			}
			if len(rep.Errors) > 0 || rep.Closed > 0 || rep.Failed > 0 || rep.Consoles != 2 {
				t.Errorf("errors %v, closed %d, failed %d, consoles %d: want none, none, none, 2", rep.Errors, rep.Closed, rep.Failed, rep.Consoles)
			}
			if rep.RSSEnd <= 0 || !strings.Contains(rep.String(), "ack    p50") {
				t.Errorf("got report %+v, want the server's memory from /metrics and the latencies", rep)
			}
		})
	}
}

// TestLoadTestTargetsOnlyLoopbackOrTheNamedHost refuses any other host and
// runs beyond the bounds.
func TestLoadTestTargetsOnlyLoopbackOrTheNamedHost(t *testing.T) {
	ok := loadtest.Config{URL: "http://127.0.0.1:8080", Students: 1, Rate: 1, Duration: time.Second}
	if err := ok.Validate(); err != nil {
		t.Fatalf("loopback refused: %v", err)
	}
	for _, u := range []string{"http://10.0.0.5:8080", "http://192.168.1.2", "http://example.edu.cn", "ftp://127.0.0.1"} {
		c := ok
		c.URL = u
		if err := c.Validate(); err == nil {
			t.Errorf("%s: accepted, want refused", u)
		}
	}
	named := ok
	named.URL, named.AllowHost = "http://test-host.district.example:8080", "test-host.district.example"
	if err := named.Validate(); err != nil {
		t.Errorf("the named test host was refused: %v", err)
	}
	for _, bad := range []func(*loadtest.Config){
		func(c *loadtest.Config) { c.Students = loadtest.MaxStudents + 1 },
		func(c *loadtest.Config) { c.Duration = loadtest.MaxDuration + time.Second },
		func(c *loadtest.Config) { c.Rate = 0 },
		func(c *loadtest.Config) { c.Risky = 1.5 },
		func(c *loadtest.Config) { c.Consoles = 1 }, // no login
	} {
		c := ok
		bad(&c)
		if err := c.Validate(); err == nil {
			t.Errorf("%+v: accepted, want refused", c)
		}
	}
}
