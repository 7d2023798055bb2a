package web_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"xinqiao/internal/app"
	"xinqiao/internal/apptest"
	"xinqiao/internal/storetest"
	"xinqiao/internal/web"
	"xinqiao/internal/xinqiao"
)

// The curator workflow through the HTTP API, on every engine: drafts,
// two-person approval, versions superseding each other, retirement, diffs,
// the gap report, roles, and bad input.

// crane is a document about a made-up school activity, so that a search
// for its words can only find it.
const craneTitle = "千纸鹤心愿课"

func craneMD(version int, extra string) string {
	return "---\nid: crane-wish\ntitle: " + craneTitle + "\nlang: zh\naudience: [primary, junior]\ntopics: [stress]\nversion: " +
		itoa(version) + "\n---\n\n## 折纸鹤的时候\n\n在千纸鹤心愿课上，我们一边折纸鹤，一边把心里的烦恼写在翅膀上。" + extra + "\n"
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

type version struct {
	DocID   string `json:"doc_id"`
	Version int    `json:"version"`
	State   string `json:"state"`
	Author  string `json:"author"`
}

type errBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

type searchResult struct {
	Hits []struct {
		DocID   string `json:"doc_id"`
		Version int    `json:"version"`
		Text    string `json:"text"`
	} `json:"hits"`
	Confident bool `json:"confident"`
}

// startKB boots the service with two curators, a counselor and an admin.
func startKB(t *testing.T, st xinqiao.Store) (*apptest.Server, *apptest.Staff, *apptest.Staff) {
	t.Helper()
	s := apptest.Start(t, st, app.Options{})
	s.AddStaff(t, "li", xinqiao.RoleCurator, "李老师")
	s.AddStaff(t, "chen", xinqiao.RoleCurator, "陈老师")
	s.AddStaff(t, "wang", xinqiao.RoleCounselor, "王老师")
	return s, s.Login(t, "li"), s.Login(t, "chen")
}

// searchCrane runs the hit test for the crane document's words and returns
// the versions of it that came back.
func searchCrane(t *testing.T, st *apptest.Staff, mode string) []int {
	t.Helper()
	var res searchResult
	if code := st.Do(t, "POST", "/api/kb/search", map[string]any{"query": "千纸鹤心愿课 折纸鹤", "lang": "zh", "k": 10, "mode": mode}, &res); code != 200 {
		t.Fatalf("search: got %d, want 200", code)
	}
	var out []int
	for _, h := range res.Hits {
		if h.DocID == "crane-wish" {
			out = append(out, h.Version)
		}
	}
	return out
}

func TestCuratorWorkflowAPI(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			s, li, chen := startKB(t, e.Open(t))

			var created struct{ Version version }
			if code := li.Do(t, "POST", "/api/kb/documents", map[string]any{"markdown": craneMD(1, "")}, &created); code != 201 {
				t.Fatalf("create: got %d, want 201", code)
			}
			if got := created.Version; got.DocID != "crane-wish" || got.Version != 1 || got.State != "draft" {
				t.Fatalf("create: got %+v, want crane-wish v1 draft", got)
			}
			for _, mode := range []string{"hybrid", "keyword", "vector"} {
				if got := searchCrane(t, chen, mode); len(got) != 0 {
					t.Fatalf("%s search finds a draft: got versions %v, want none", mode, got)
				}
			}

			// Approving a draft that is not in review is a conflict.
			if code := chen.Do(t, "POST", "/api/kb/documents/crane-wish/approve", map[string]int{"version": 1}, nil); code != 409 {
				t.Fatalf("approve a draft: got %d, want 409", code)
			}
			var sub struct{ Version version }
			if code := li.Do(t, "POST", "/api/kb/documents/crane-wish/submit", map[string]int{"version": 1}, &sub); code != 200 || sub.Version.State != "review" {
				t.Fatalf("submit: got %d %+v, want 200 review", code, sub.Version)
			}
			var eb errBody
			if code := li.Do(t, "POST", "/api/kb/documents/crane-wish/approve", map[string]int{"version": 1}, &eb); code != 403 || eb.Error.Code != xinqiao.EFORBIDDEN {
				t.Fatalf("author approves own version: got %d %+v, want 403 %s", code, eb, xinqiao.EFORBIDDEN)
			}
			wang := s.Login(t, "wang")
			if code := wang.Do(t, "POST", "/api/kb/documents/crane-wish/approve", map[string]int{"version": 1}, nil); code != 403 {
				t.Fatalf("counselor approves: got %d, want 403", code)
			}
			if got := searchCrane(t, chen, "hybrid"); len(got) != 0 {
				t.Fatalf("search finds a version in review: got %v, want none", got)
			}
			var appr struct{ Version version }
			if code := chen.Do(t, "POST", "/api/kb/documents/crane-wish/approve", map[string]int{"version": 1}, &appr); code != 200 || appr.Version.State != "approved" {
				t.Fatalf("approve by another curator: got %d %+v, want 200 approved", code, appr.Version)
			}
			for _, mode := range []string{"hybrid", "keyword", "vector"} {
				if got := searchCrane(t, chen, mode); len(got) == 0 || slices.ContainsFunc(got, func(v int) bool { return v != 1 }) {
					t.Fatalf("%s search after approval: got versions %v, want only 1", mode, got)
				}
			}

			// Version 2 supersedes version 1 once approved; until then v1 stays.
			if code := chen.Do(t, "POST", "/api/kb/documents", map[string]any{"markdown": craneMD(2, "\n\n折完以后，可以把纸鹤送给信任的老师。")}, &created); code != 201 || created.Version.Version != 2 {
				t.Fatalf("create v2: got %d %+v, want 201 v2", code, created.Version)
			}
			chen.Do(t, "POST", "/api/kb/documents/crane-wish/submit", map[string]int{"version": 2}, nil)
			if got := searchCrane(t, li, "hybrid"); !slices.Equal(got, []int{1}) && !slices.Equal(got, []int{1, 1}) {
				t.Fatalf("search while v2 is in review: got versions %v, want only 1", got)
			}
			if code := li.Do(t, "POST", "/api/kb/documents/crane-wish/approve", map[string]int{"version": 2}, &appr); code != 200 {
				t.Fatalf("approve v2: got %d, want 200", code)
			}
			for _, mode := range []string{"hybrid", "keyword", "vector"} {
				if got := searchCrane(t, li, mode); len(got) == 0 || slices.Contains(got, 1) {
					t.Fatalf("%s search after v2: got versions %v, want 2 only", mode, got)
				}
			}
			// Approving the old version again is refused.
			if code := li.Do(t, "POST", "/api/kb/documents/crane-wish/approve", map[string]int{"version": 1}, nil); code != 409 {
				t.Fatalf("re-approve v1: got %d, want 409", code)
			}

			var doc struct {
				Document struct {
					Current int `json:"current"`
					Latest  int `json:"latest"`
				} `json:"document"`
				Versions []version `json:"versions"`
				Diff     []struct{ Op, Text string }
				Chunks   []struct{ Text string }
			}
			if code := li.Do(t, "GET", "/api/kb/documents/crane-wish?from=1&to=2&chunks=2", nil, &doc); code != 200 {
				t.Fatalf("document: got %d, want 200", code)
			}
			if doc.Document.Current != 2 || len(doc.Versions) != 2 || doc.Versions[0].State != "approved" || doc.Versions[0].Author != li.Me.ID {
				t.Fatalf("document: got %+v, want current 2 and both versions kept", doc)
			}
			var added []string
			for _, l := range doc.Diff {
				if l.Op == "+" {
					added = append(added, l.Text)
				} else if l.Op == "-" {
					t.Errorf("diff removes %q, want additions only", l.Text)
				}
			}
			if !slices.Equal(added, []string{"", "折完以后，可以把纸鹤送给信任的老师。"}) {
				t.Errorf("diff adds %q, want the blank line and the new paragraph", added)
			}
			if len(doc.Chunks) == 0 || !strings.Contains(doc.Chunks[len(doc.Chunks)-1].Text, "信任的老师") {
				t.Errorf("chunks of v2: got %+v, want the new paragraph", doc.Chunks)
			}
			if code := li.Do(t, "GET", "/api/kb/documents/crane-wish?from=1", nil, &eb); code != 400 {
				t.Errorf("diff without to: got %d, want 400", code)
			}
			if code := li.Do(t, "GET", "/api/kb/documents/crane-wish?from=1&to=9", nil, &eb); code != 404 {
				t.Errorf("diff to a missing version: got %d, want 404", code)
			}

			// Retire: never retrieved again, in any mode.
			if code := wang.Do(t, "POST", "/api/kb/documents/crane-wish/retire", nil, nil); code != 403 {
				t.Fatalf("counselor retires: got %d, want 403", code)
			}
			if code := chen.Do(t, "POST", "/api/kb/documents/crane-wish/retire", nil, nil); code != 200 {
				t.Fatalf("retire: got %d, want 200", code)
			}
			for _, mode := range []string{"hybrid", "keyword", "vector"} {
				if got := searchCrane(t, li, mode); len(got) != 0 {
					t.Fatalf("%s search after retirement: got versions %v, want none", mode, got)
				}
			}
			if code := chen.Do(t, "POST", "/api/kb/documents/crane-wish/retire", nil, nil); code != 409 {
				t.Errorf("retire twice: got %d, want 409", code)
			}
			if code := li.Do(t, "POST", "/api/kb/documents/nope/retire", nil, nil); code != 404 {
				t.Errorf("retire a missing document: got %d, want 404", code)
			}
			if code := li.Do(t, "POST", "/api/kb/documents/crane-wish/publish", map[string]int{"version": 2}, nil); code != 404 {
				t.Errorf("unknown action: got %d, want 404", code)
			}
			var list struct {
				Documents []struct {
					ID      string `json:"id"`
					Retired bool   `json:"retired"`
				} `json:"documents"`
			}
			li.Do(t, "GET", "/api/kb/documents?state=retired", nil, &list)
			if len(list.Documents) != 1 || list.Documents[0].ID != "crane-wish" || !list.Documents[0].Retired {
				t.Errorf("retired documents: got %+v, want crane-wish", list.Documents)
			}
		})
	}
}

func TestCuratorGapReport(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			s, li, _ := startKB(t, e.Open(t))
			ctx := t.Context()
			now := time.Now().In(xinqiao.Zone)
			for _, g := range []struct {
				day   time.Time
				topic string
				n     int
			}{{now, "sleep", 3}, {now.AddDate(0, 0, -1), "sleep", 2}, {now, "other", 1}, {now.AddDate(0, 0, -40), "grief", 5}} {
				for range g.n {
					if err := s.Store.CountGap(ctx, g.day, g.topic, "zh"); err != nil {
						t.Fatal(err)
					}
				}
			}
			// The hit test never counts a gap, however weak its answer.
			var res searchResult
			if code := li.Do(t, "POST", "/api/kb/search", map[string]any{"query": "量子计算机的原理", "lang": "zh"}, &res); code != 200 || res.Confident {
				t.Fatalf("off-topic hit test: got %d confident=%v, want 200 not confident", code, res.Confident)
			}
			type total struct {
				Topic string `json:"topic"`
				Count int    `json:"count"`
			}
			for _, c := range []struct {
				query string
				want  []total
			}{
				{"", []total{{"sleep", 5}, {"other", 1}}},
				{"?days=1", []total{{"sleep", 3}, {"other", 1}}},
				{"?days=60", []total{{"sleep", 5}, {"grief", 5}, {"other", 1}}},
			} {
				var got struct {
					Topics []total `json:"topics"`
				}
				if code := li.Do(t, "GET", "/api/kb/gaps"+c.query, nil, &got); code != 200 {
					t.Fatalf("gaps%s: got %d, want 200", c.query, code)
				}
				if !sameTotals(got.Topics, c.want) || got.Topics[0].Count != c.want[0].Count {
					t.Errorf("gaps%s: got %+v, want %+v", c.query, got.Topics, c.want)
				}
			}
			for _, q := range []string{"?days=0", "?days=400", "?days=x"} {
				var eb errBody
				if code := li.Do(t, "GET", "/api/kb/gaps"+q, nil, &eb); code != 400 || eb.Error.Code != xinqiao.EINVALID {
					t.Errorf("gaps%s: got %d %+v, want 400 %s", q, code, eb, xinqiao.EINVALID)
				}
			}
		})
	}
}

// sameTotals reports whether a and b hold the same totals in any order
// (topics with equal counts may come in either order).
func sameTotals[T comparable](a, b []T) bool {
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return len(a) == len(b)
}

// raw sends a request with a raw body as st (nil st: anonymous) and returns
// the status and the decoded error body.
func raw(t *testing.T, s *apptest.Server, st *apptest.Staff, method, path string, body []byte) (int, errBody) {
	t.Helper()
	req, _ := http.NewRequest(method, s.URL+path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	client := http.DefaultClient
	if st != nil {
		req.Header.Set(web.CSRFHeader, st.CSRF)
		client = st.Client
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var eb errBody
	if resp.StatusCode >= 400 {
		if err := json.Unmarshal(b, &eb); err != nil || eb.Error.Code == "" {
			t.Errorf("%s %s: got body %.200q, want a JSON error", method, path, b)
		}
	}
	return resp.StatusCode, eb
}

func TestCuratorAPIRefusals(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			s, li, _ := startKB(t, e.Open(t))
			wang := s.Login(t, "wang")
			var before struct {
				Documents []json.RawMessage `json:"documents"`
			}
			li.Do(t, "GET", "/api/kb/documents", nil, &before)

			mdWith := func(fm string) string {
				return `{"markdown":` + jsonStr("---\n"+fm+"\n---\n\n正文。\n") + `}`
			}
			big := `{"markdown":` + jsonStr(craneMD(1, strings.Repeat("很长的一段话。", 60000))) + `}`
			for _, c := range []struct {
				name   string
				who    *apptest.Staff
				method string
				path   string
				body   string
				want   int
			}{
				{"anonymous list", nil, "GET", "/api/kb/documents", "", 401},
				{"anonymous create", nil, "POST", "/api/kb/documents", mdWith("id: a\ntitle: t\nlang: zh\naudience: [junior]\ntopics: [x]\nversion: 1"), 401},
				{"anonymous search", nil, "POST", "/api/kb/search", `{"query":"考试"}`, 401},
				{"anonymous gaps", nil, "GET", "/api/kb/gaps", "", 401},
				{"counselor list", wang, "GET", "/api/kb/documents", "", 403},
				{"counselor create", wang, "POST", "/api/kb/documents", mdWith("id: a\ntitle: t\nlang: zh\naudience: [junior]\ntopics: [x]\nversion: 1"), 403},
				{"counselor search", wang, "POST", "/api/kb/search", `{"query":"考试"}`, 403},
				{"malformed JSON", li, "POST", "/api/kb/documents", `{"markdown": "---`, 400},
				{"empty body", li, "POST", "/api/kb/documents", ``, 400},
				{"trailing data", li, "POST", "/api/kb/documents", `{"title":"a"} {}`, 400},
				{"unknown field", li, "POST", "/api/kb/documents", `{"title":"考试","lang":"zh","body":"正文","audience":["junior"],"topics":["x"],"author":"me"}`, 400},
				{"oversize body", li, "POST", "/api/kb/documents", big, 400},
				{"missing title (fields)", li, "POST", "/api/kb/documents", `{"lang":"zh","body":"正文","audience":["junior"],"topics":["x"]}`, 400},
				{"missing title (markdown)", li, "POST", "/api/kb/documents", mdWith("id: a\nlang: zh\naudience: [junior]\ntopics: [x]\nversion: 1"), 400},
				{"no front matter", li, "POST", "/api/kb/documents", `{"markdown":"# 标题\n\n正文"}`, 400},
				{"unclosed front matter", li, "POST", "/api/kb/documents", `{"markdown":"---\nid: a\ntitle: t\n\n正文"}`, 400},
				{"front matter not YAML", li, "POST", "/api/kb/documents", mdWith("id: [a\ntitle: t"), 400},
				{"bad lang (markdown)", li, "POST", "/api/kb/documents", mdWith("id: a\ntitle: t\nlang: fr\naudience: [junior]\ntopics: [x]\nversion: 1"), 400},
				{"bad lang (fields)", li, "POST", "/api/kb/documents", `{"title":"考试","lang":"fr","body":"正文","audience":["junior"],"topics":["x"]}`, 400},
				{"bad audience", li, "POST", "/api/kb/documents", mdWith("id: a\ntitle: t\nlang: zh\naudience: [college]\ntopics: [x]\nversion: 1"), 400},
				{"bad id", li, "POST", "/api/kb/documents", mdWith("id: a/b\ntitle: t\nlang: zh\naudience: [junior]\ntopics: [x]\nversion: 1"), 400},
				{"no body", li, "POST", "/api/kb/documents", `{"markdown":"---\nid: a\ntitle: t\nlang: zh\naudience: [junior]\ntopics: [x]\nversion: 1\n---\n"}`, 400},
				{"bad review date", li, "POST", "/api/kb/documents", mdWith("id: a\ntitle: t\nlang: zh\naudience: [junior]\ntopics: [x]\nversion: 1\nreview_due: next year"), 400},
				{"preview bad front matter", li, "POST", "/api/kb/preview", `{"markdown":"no front matter"}`, 400},
				{"submit missing version", li, "POST", "/api/kb/documents/nope/submit", `{"version":1}`, 404},
				{"submit bad JSON", li, "POST", "/api/kb/documents/nope/submit", `{"version":"one"}`, 400},
				{"search empty query", li, "POST", "/api/kb/search", `{"query":"  "}`, 400},
				{"search bad k", li, "POST", "/api/kb/search", `{"query":"考试","k":500}`, 400},
				{"search bad mode", li, "POST", "/api/kb/search", `{"query":"考试","mode":"magic"}`, 400},
				{"search bad lang", li, "POST", "/api/kb/search", `{"query":"考试","lang":"fr"}`, 400},
				{"search bad band", li, "POST", "/api/kb/search", `{"query":"考试","band":"college"}`, 400},
				{"search unknown field", li, "POST", "/api/kb/search", `{"query":"考试","limit":3}`, 400},
				{"list search too long", li, "GET", "/api/kb/documents?q=" + strings.Repeat("考", 101), "", 400},
				{"list bad band", li, "GET", "/api/kb/documents?band=college", "", 400},
				{"list bad due", li, "GET", "/api/kb/documents?due=yes", "", 400},
				{"list topic too long", li, "GET", "/api/kb/documents?topic=" + strings.Repeat("x", 65), "", 400},
				{"missing document", li, "GET", "/api/kb/documents/nope", "", 404},
				{"bad chunks", li, "GET", "/api/kb/documents/nope?chunks=x", "", 404},
			} {
				code, eb := raw(t, s, c.who, c.method, c.path, []byte(c.body))
				if code != c.want {
					t.Errorf("%s: got %d %+v, want %d", c.name, code, eb, c.want)
				}
			}
			var after struct {
				Documents []json.RawMessage `json:"documents"`
			}
			li.Do(t, "GET", "/api/kb/documents", nil, &after)
			if len(after.Documents) != len(before.Documents) {
				t.Errorf("after refused requests: got %d documents, want %d (nothing stored)", len(after.Documents), len(before.Documents))
			}
			// A request without the CSRF header is refused even for a curator.
			req, _ := http.NewRequest("POST", s.URL+"/api/kb/search", strings.NewReader(`{"query":"考试"}`))
			resp, err := li.Client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 403 {
				t.Errorf("search without CSRF: got %d, want 403", resp.StatusCode)
			}
		})
	}
}

func jsonStr(s string) string { b, _ := json.Marshal(s); return string(b) }

// TestAnswersCiteApprovedVersion asks as a student: an answer cites the
// version approved at the time, a new approved version replaces it in the
// next answer, a retired document is never cited, and a question the
// material cannot answer is counted in the gap report, once.
func TestAnswersCiteApprovedVersion(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			s, li, chen := startKB(t, e.Open(t))
			publish := func(version int, extra string) {
				t.Helper()
				if code := li.Do(t, "POST", "/api/kb/documents", map[string]any{"markdown": craneMD(version, extra)}, nil); code != 201 {
					t.Fatalf("create v%d: got %d", version, code)
				}
				li.Do(t, "POST", "/api/kb/documents/crane-wish/submit", map[string]int{"version": version}, nil)
				if code := chen.Do(t, "POST", "/api/kb/documents/crane-wish/approve", map[string]int{"version": version}, nil); code != 200 {
					t.Fatalf("approve v%d: got %d", version, code)
				}
			}
			sess := s.NewSession(t, `{"lang":"zh"}`)
			c := s.DialStudent(t, sess.Token)
			n := 0
			ask := func(q string) []xinqiao.Source {
				t.Helper()
				n++
				c.Message(t, "m"+itoa(n), q)
				ans, _ := c.Wait(t, 10*time.Second, func(f apptest.Frame) bool { return f.Type == "message" && f.Role == "assistant" })
				return ans.Sources
			}
			craneVersions := func(srcs []xinqiao.Source) []int {
				var out []int
				for _, s := range srcs {
					if s.DocID == "crane-wish" {
						out = append(out, s.Version)
					}
				}
				return out
			}
			gapTotal := func() int {
				var got struct {
					Topics []struct{ Count int } `json:"topics"`
				}
				li.Do(t, "GET", "/api/kb/gaps", nil, &got)
				sum := 0
				for _, x := range got.Topics {
					sum += x.Count
				}
				return sum
			}

			publish(1, "")
			if got := craneVersions(ask("千纸鹤心愿课是什么？")); !slices.Equal(got, []int{1}) {
				t.Fatalf("answer cites crane-wish versions %v, want [1]", got)
			}
			publish(2, "\n\n折完以后，可以把纸鹤送给信任的老师。")
			if got := craneVersions(ask("千纸鹤心愿课上折的纸鹤可以送给谁？")); !slices.Equal(got, []int{2}) {
				t.Fatalf("answer after v2 cites crane-wish versions %v, want [2]", got)
			}
			if code := chen.Do(t, "POST", "/api/kb/documents/crane-wish/retire", nil, nil); code != 200 {
				t.Fatalf("retire: got %d", code)
			}
			if got := craneVersions(ask("千纸鹤心愿课是什么？")); len(got) != 0 {
				t.Fatalf("answer after retirement cites crane-wish versions %v, want none", got)
			}
			before := gapTotal()
			ask("量子计算机的原理是什么？")
			if got := gapTotal(); got != before+1 {
				t.Errorf("gap total after an off-topic question: got %d, want %d", got, before+1)
			}
		})
	}
}
