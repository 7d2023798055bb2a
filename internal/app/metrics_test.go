package app_test

import (
	"bufio"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"xinqiao/internal/app"
	"xinqiao/internal/apptest"
	"xinqiao/internal/config"
	"xinqiao/internal/storetest"
)

// TestAppendMetrics: a stored student message shows in /metrics as a
// group-commit batch carrying a row, on both engines.
func TestAppendMetrics(t *testing.T) {
	const token = "metrics-token-for-tests"
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			srv := apptest.Start(t, e.Open(t), app.Options{}, func(c *config.Config) { c.MetricsToken = token })
			before := scrape(t, srv.URL, token)
			sess := srv.NewSession(t, "")
			c := srv.DialStudent(t, sess.Token)
			c.Message(t, "m1", "明天考试，我紧张得睡不着怎么办")
			c.WaitType(t, 10*time.Second, "ack")
			after := scrape(t, srv.URL, token)
			for _, name := range []string{"xinqiao_store_append_batches_total", "xinqiao_store_append_rows_total"} {
				if after[name] < before[name]+1 {
					t.Errorf("%s went from %v to %v after a stored message, want at least one more", name, before[name], after[name])
				}
			}
			if _, ok := after["xinqiao_store_append_pending"]; !ok {
				t.Errorf("xinqiao_store_append_pending is not exported")
			}
		})
	}
}

// scrape reads the unlabelled samples of /metrics.
func scrape(t *testing.T, base, token string) map[string]float64 {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, base+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/metrics: %s", resp.Status)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		name, val, ok := strings.Cut(sc.Text(), " ")
		if !ok || strings.HasPrefix(name, "#") || strings.Contains(name, "{") {
			continue
		}
		if v, err := strconv.ParseFloat(val, 64); err == nil {
			out[name] = v
		}
	}
	return out
}
