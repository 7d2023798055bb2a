package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"xinqiao/internal/app"
	"xinqiao/internal/apptest"
	"xinqiao/internal/riskrules"
	"xinqiao/internal/storetest"
	"xinqiao/internal/xinqiao"
)

// An invented phrase, in no built-in rule: a school's own slang for wanting
// to die, the kind a counselor meets and wants caught.
const (
	rulesSlang    = "我今晚想去啵啵星了"
	rulesDistrict = "# 本区学生的说法\nrule district.suicide.1\nlang: zh\ncategory: suicide\nlevel: high\nmatch: 想去啵啵星 | 去啵啵星*今晚\nnote: 某校学生的说法\n"
)

type rulesStatus struct {
	riskrules.Status
}

type rulesErr struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Line    int    `json:"line"`
	} `json:"error"`
}

// TestRiskRulesAPI drives the district rules through the API on each
// engine: who may use it, a check that shows what a draft changes, compile
// errors with their line, publishing (in force at once for the next student
// message), stale drafts, lowering reference cases, history and revert.
func TestRiskRulesAPI(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			s := apptest.Start(t, e.Open(t), app.Options{})
			s.AddStaff(t, "wang", xinqiao.RoleCounselor, "王老师")
			s.AddStaff(t, "zhang", xinqiao.RoleSupervisor, "张主任")
			s.AddStaff(t, "li", xinqiao.RoleCurator, "李老师")
			wang, zhang, li := adminSession(t, s, "wang"), adminSession(t, s, "zhang"), adminSession(t, s, "li")
			anon := &apptest.Staff{S: s, Client: &http.Client{Timeout: 10 * time.Second}}

			var st rulesStatus
			if code := li.Do(t, "GET", "/api/risk/rules", nil, nil); code != 403 {
				t.Fatalf("curator: got %d, want 403", code)
			}
			if code := anon.Do(t, "GET", "/api/risk/rules", nil, nil); code != 401 {
				t.Fatalf("anonymous: got %d, want 401", code)
			}
			if code := wang.Do(t, "GET", "/api/risk/rules", nil, &st); code != 200 || st.Version != 0 || !st.InForce || len(st.Rules) != 0 || st.BuiltinRules < 200 {
				t.Fatalf("status before any publish: got %d %+v", code, st)
			}

			// Check: the draft catches the phrase, the rules in force do not.
			var chk riskrules.CheckResult
			texts := []string{rulesSlang, "这道题难死了"}
			if code := wang.Do(t, "POST", "/api/risk/rules/check", map[string]any{"source": rulesDistrict, "texts": texts}, &chk); code != 200 || !chk.OK {
				t.Fatalf("check: got %d %+v", code, chk)
			}
			if r := chk.Results[0]; r.Current.Level.String() != "none" || r.Draft == nil || r.Draft.Level.String() != "high" || len(r.Draft.Matches) == 0 || r.Draft.Matches[0].Text == "" {
				t.Fatalf("check of the phrase: got %+v, want none now and high with a span in the draft", r)
			}
			if r := chk.Results[1]; r.Draft == nil || r.Draft.Level > r.Current.Level {
				t.Fatalf("check of hyperbole: got %+v, want no rise", r)
			}
			if len(chk.Rules) != 1 || chk.Rules[0].ID != "district.suicide.1" || chk.Rules[0].Source != "district:2" || chk.Cases < 400 || chk.Lowered() != 0 {
				t.Fatalf("check: got rules %+v, %d cases, %d lowered", chk.Rules, chk.Cases, chk.Lowered())
			}

			// A compile error names its line; nothing is published.
			bad := "rule district.x\nlang: zh\nlevel: urgent\nmatch: 啵啵\n"
			if code := wang.Do(t, "POST", "/api/risk/rules/check", map[string]any{"source": bad, "texts": texts}, &chk); code != 200 || chk.OK || chk.Error == nil || chk.Error.Line != 3 || chk.Results[0].Draft != nil {
				t.Fatalf("check of a broken draft: got %d %+v, want ok false at line 3", code, chk)
			}
			var re rulesErr
			if code := wang.Do(t, "PUT", "/api/risk/rules", map[string]any{"source": bad, "base_version": 0, "note": "试试"}, &re); code != 400 || re.Error.Code != "invalid" || re.Error.Line != 3 {
				t.Fatalf("publish of a broken draft: got %d %+v, want 400 at line 3", code, re)
			}
			for name, body := range map[string]map[string]any{
				"no note":        {"source": rulesDistrict, "base_version": 0, "note": "  "},
				"no base":        {"source": rulesDistrict, "note": "n"},
				"too long":       {"source": strings.Repeat("# x\n", 20000), "base_version": 0, "note": "n"},
				"unknown field":  {"source": rulesDistrict, "base_version": 0, "note": "n", "force": true},
				"negative base":  {"source": rulesDistrict, "base_version": -1, "note": "n"},
				"note too long.": {"source": rulesDistrict, "base_version": 0, "note": strings.Repeat("长", 501)},
			} {
				if code := wang.Do(t, "PUT", "/api/risk/rules", body, &re); code != 400 {
					t.Fatalf("publish with %s: got %d %+v, want 400", name, code, re)
				}
			}
			if code := wang.Do(t, "POST", "/api/risk/rules/check", map[string]any{"source": "", "texts": make([]string, 51)}, &re); code != 400 {
				t.Fatalf("check of 51 texts: got %d, want 400", code)
			}
			if code := wang.Do(t, "POST", "/api/risk/rules/check", map[string]any{"source": "", "texts": []string{strings.Repeat("字", 2001)}}, &re); code != 400 {
				t.Fatalf("check of a 2001-character text: got %d, want 400", code)
			}
			if code := wang.Do(t, "GET", "/api/risk/rules", nil, &st); st.Version != 0 {
				t.Fatalf("refused publishes left version %d (%d)", st.Version, code)
			}

			// Publish: in force for the next student message at once.
			if code := wang.Do(t, "PUT", "/api/risk/rules", map[string]any{"source": rulesDistrict, "base_version": 0, "note": "加上某校的说法"}, &st); code != 200 || st.Version != 1 || !st.InForce || st.AuthorName != "王老师" || len(st.Rules) != 1 {
				t.Fatalf("publish: got %d %+v", code, st)
			}
			if acts := adminAuditActions(t, s, "risk_rules"); len(acts) != 1 || acts[0] != "risk_rules.publish" {
				t.Fatalf("audit: got %v, want one risk_rules.publish", acts)
			}
			sess := s.NewSession(t, "")
			c := s.DialStudent(t, sess.Token)
			c.Message(t, "m1", rulesSlang)
			if f := c.WaitType(t, 10*time.Second, "crisis"); f.Level != "high" || len(f.Hotlines) == 0 {
				t.Fatalf("student: got %s, want a high crisis card with hotlines", f.Raw)
			}

			// A draft from a stale base is refused and changes nothing.
			if code := zhang.Do(t, "PUT", "/api/risk/rules", map[string]any{"source": "", "base_version": 0, "note": "旧稿"}, &re); code != 409 || re.Error.Code != "conflict" {
				t.Fatalf("stale publish: got %d %+v, want 409 conflict", code, re)
			}

			// Switching off a core rule lowers reference cases: a counselor
			// may not, a supervisor must confirm.
			lower := rulesDistrict + "disable zh.suicide.ideation.want_die\n"
			if code := wang.Do(t, "POST", "/api/risk/rules/check", map[string]any{"source": lower, "texts": []string{"我想死"}}, &chk); code != 200 || chk.Lowered() == 0 || !chk.Changed[0].Lowered || chk.Changed[0].Text == "" {
				t.Fatalf("check of a lowering draft: got %d, %d lowered (%+v)", code, chk.Lowered(), chk.Changed)
			}
			if code := wang.Do(t, "PUT", "/api/risk/rules", map[string]any{"source": lower, "base_version": 1, "note": "去掉"}, &re); code != 403 {
				t.Fatalf("counselor lowering: got %d %+v, want 403", code, re)
			}
			if code := zhang.Do(t, "PUT", "/api/risk/rules", map[string]any{"source": lower, "base_version": 1, "note": "去掉"}, &re); code != 409 || re.Error.Code != "lowered" {
				t.Fatalf("supervisor lowering unconfirmed: got %d %+v, want 409 lowered", code, re)
			}
			if code := wang.Do(t, "PUT", "/api/risk/rules", map[string]any{"source": lower, "base_version": 1, "note": "去掉", "accept_lowered": true}, &re); code != 403 {
				t.Fatalf("counselor accepting a lowering: got %d, want 403", code)
			}
			if code := zhang.Do(t, "PUT", "/api/risk/rules", map[string]any{"source": lower, "base_version": 1, "note": "去掉，已复核", "accept_lowered": true}, &st); code != 200 || st.Version != 2 {
				t.Fatalf("supervisor lowering confirmed: got %d %+v", code, st)
			}

			// History, one version's source, and a revert (publish it again).
			var vs []xinqiao.RiskRules
			if code := wang.Do(t, "GET", "/api/risk/rules/versions", nil, &vs); code != 200 || len(vs) != 2 || vs[0].Version != 2 || vs[0].AuthorName != "张主任" || vs[1].Source != "" {
				t.Fatalf("versions: got %d %+v", code, vs)
			}
			var v1 xinqiao.RiskRules
			if code := wang.Do(t, "GET", "/api/risk/rules/versions/1", nil, &v1); code != 200 || v1.Source != rulesDistrict {
				t.Fatalf("version 1: got %d %+v", code, v1)
			}
			for _, p := range []string{"/api/risk/rules/versions/9", "/api/risk/rules/versions/x"} {
				if code := wang.Do(t, "GET", p, nil, nil); code != 404 && code != 400 {
					t.Fatalf("%s: got %d, want 404 or 400", p, code)
				}
			}
			if code := wang.Do(t, "PUT", "/api/risk/rules", map[string]any{"source": v1.Source, "base_version": 2, "note": "恢复第 1 版"}, &st); code != 200 || st.Version != 3 {
				t.Fatalf("revert by a counselor (raises only): got %d %+v", code, st)
			}
		})
	}
}

// TestRiskRulesReachEveryNode: two nodes on one PostgreSQL database; a
// version published on one is in force on the other within seconds, with
// no restart.
func TestRiskRulesReachEveryNode(t *testing.T) {
	nodes := storetest.PostgresNodes(t, 2) // skips without TEST_DATABASE_URL; CI always sets it
	a := apptest.Start(t, nodes[0], app.Options{Node: "a"})
	b := apptest.Start(t, nodes[1], app.Options{Node: "b"})
	a.AddStaff(t, "wang", xinqiao.RoleCounselor, "王老师")
	wang := adminSession(t, a, "wang")
	var st rulesStatus
	published := time.Now()
	if code := wang.Do(t, "PUT", "/api/risk/rules", map[string]any{"source": rulesDistrict, "base_version": 0, "note": "加上某校的说法"}, &st); code != 200 || st.Version != 1 {
		t.Fatalf("publish on node a: got %d %+v", code, st)
	}
	answered := time.Now()
	deadline := time.Now().Add(10 * time.Second)
	for b.App.Rules.Live().Current().Classify(rulesSlang).Level.String() != "high" {
		if time.Now().After(deadline) {
			t.Fatal("node b did not put the published rules in force within 10 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Logf("publish answered on node a after %v; in force on node b %v after the answer", answered.Sub(published).Round(time.Millisecond), time.Since(answered).Round(time.Millisecond))
	sess := b.NewSession(t, "")
	c := b.DialStudent(t, sess.Token)
	c.Message(t, "m1", rulesSlang)
	if f := c.WaitType(t, 10*time.Second, "crisis"); f.Level != "high" {
		t.Fatalf("student on node b: got %s, want a high crisis card", f.Raw)
	}
	st2, err := b.App.Rules.Status(context.Background())
	if err != nil || st2.Version != 1 || !st2.InForce {
		t.Fatalf("node b status: got %+v, %v", st2, err)
	}
}
