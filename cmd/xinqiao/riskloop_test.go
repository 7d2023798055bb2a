package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"xinqiao/internal/app"
	"xinqiao/internal/apptest"
	"xinqiao/internal/config"
	"xinqiao/internal/risk"
	"xinqiao/internal/riskrules"
	"xinqiao/internal/storetest"
	"xinqiao/internal/xinqiao"
)

const loopWait = 10 * time.Second

// fixtureTrain are the arguments of a quick training on the risk package's
// small fixture.
func fixtureTrain(extra, out string) []string {
	dir := filepath.Join("..", "..", "internal", "risk", "testdata", "train")
	return []string{"risk", "train", "--data", filepath.Join(dir, "shared.jsonl"), "--corpus", filepath.Join(dir, "corpus"),
		"--replies", "", "--no-cases", "--bits", "12", "--folds", "3", "--seed", "7", "--no-latency", "--extra", extra, "--out", out}
}

type loopErr struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// do sends a request and checks its status, and for an error the message.
func do(t *testing.T, st *apptest.Staff, method, path string, body, out any, code int, msg string) {
	t.Helper()
	var e loopErr
	dst := out
	if code >= 400 {
		dst = &e
	}
	if got := st.Do(t, method, path, body, dst); got != code || (msg != "" && !strings.Contains(e.Error.Message, msg)) {
		t.Fatalf("%s %s: got %d %q, want %d %q", method, path, got, e.Error.Message, code, msg)
	}
}

// TestRiskTeachingLoop runs the district's loop on each store, through the
// real service and the real commands: a counselor labels a handoff's
// messages with one click (bad labels refused), closing the handoff labels
// the flagged message left, "risk export" writes them (and refuses while
// there are none), "risk train --extra" trains on them (a bad row refused
// with its line, unsure rows skipped), a supervisor publishes the model
// (bad weights and counselors refused), it is in force at once, on
// Postgres on a second node too, "risk classify" reads exactly as the
// server does, and the built-in model can be put back.
func TestRiskTeachingLoop(t *testing.T) {
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
			open := func() xinqiao.Store {
				s, err := openStore(ctx, cfg, nil)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { s.Close() })
				return s
			}
			node := apptest.Start(t, open(), app.Options{})
			var other *apptest.Server
			if e.Name == "postgres" {
				other = apptest.Start(t, open(), app.Options{})
			}
			tmp := t.TempDir()
			labels := filepath.Join(tmp, "labels.jsonl")
			var out, errb syncBuffer

			// Nothing labelled yet: the export says so and writes no file.
			err = run(ctx, []string{"risk", "export", "--out", labels}, nil, &out, &errb, envFrom(env))
			if err == nil || !strings.Contains(err.Error(), "no labelled messages yet") {
				t.Fatalf("export with no labels: got %v", err)
			}
			if _, err := os.Stat(labels); !os.IsNotExist(err) {
				t.Fatalf("export with no labels left a file: %v", err)
			}

			node.AddStaff(t, "wang", xinqiao.RoleCounselor, "王老师")
			node.AddStaff(t, "zhang", xinqiao.RoleSupervisor, "张主任")
			wang, zhang := node.Login(t, "wang"), node.Login(t, "zhang")

			// A student's message opens a handoff; two more follow.
			sess := node.NewSession(t, `{"lang":"zh"}`)
			student := node.DialStudent(t, sess.Token)
			student.Message(t, "r1", "我今晚就要跳楼，已经想好了，不想活了")
			student.WaitType(t, loopWait, "crisis")
			student.Message(t, "r2", "其实主要是这次月考考砸了")
			student.Message(t, "r3", "嗯")
			var list struct{ Handoffs []xinqiao.Handoff }
			for deadline := time.Now().Add(loopWait); len(list.Handoffs) == 0 && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
				do(t, wang, "GET", "/api/handoffs", nil, &list, 200, "")
			}
			if len(list.Handoffs) != 1 || list.Handoffs[0].ConversationID != sess.ConversationID {
				t.Fatalf("queue: %+v", list.Handoffs)
			}
			ho := list.Handoffs[0]
			do(t, wang, "POST", "/api/handoffs/"+ho.ID+"/claim", nil, nil, 200, "")
			seqs := map[string]int64{}
			deadline := time.Now().Add(loopWait)
			for len(seqs) < 3 && time.Now().Before(deadline) {
				ms, err := node.Store.Messages(ctx, sess.ConversationID, 0, 100)
				if err != nil {
					t.Fatal(err)
				}
				for _, m := range ms {
					if m.Role == xinqiao.RoleStudent {
						seqs[string([]rune(m.Text)[:1])] = m.Seq
					}
				}
				time.Sleep(20 * time.Millisecond)
			}
			r1, r2, r3 := seqs["我"], seqs["其"], seqs["嗯"]
			if r1 == 0 || r2 == 0 || r3 == 0 {
				t.Fatalf("student messages: %v", seqs)
			}
			conv := "/api/conversations/" + sess.ConversationID
			label := func(seq int64) string { return conv + "/messages/" + itoa(seq) + "/label" }

			// Bad input, each refused with a clear error.
			do(t, wang, "PUT", label(r2), map[string]string{"label": "maybe"}, nil, 400, "label must be risk")
			do(t, wang, "PUT", label(r2), map[string]string{}, nil, 400, `want {"label"`)
			do(t, wang, "PUT", conv+"/messages/0/label", map[string]string{"label": "none"}, nil, 400, "seq must be")
			do(t, wang, "PUT", conv+"/messages/x/label", map[string]string{"label": "none"}, nil, 400, "seq must be")
			do(t, wang, "PUT", label(999), map[string]string{"label": "none"}, nil, 404, "not found")
			do(t, wang, "PUT", "/api/conversations/nope/messages/1/label", map[string]string{"label": "none"}, nil, 404, "")
			quiet := node.NewSession(t, `{"lang":"zh"}`)
			qc := node.DialStudent(t, quiet.Token)
			qc.Message(t, "q1", "今天食堂的饭还不错")
			qc.WaitType(t, loopWait, "ack")
			do(t, wang, "PUT", "/api/conversations/"+quiet.ConversationID+"/messages/1/label", map[string]string{"label": "none"}, nil, 400, "no handoff")

			// One click each; then the close labels the flagged message.
			var set struct{ Label xinqiao.RiskLabel }
			do(t, wang, "PUT", label(r2), map[string]string{"label": "risk"}, &set, 200, "")
			do(t, wang, "PUT", label(r2), map[string]string{"label": "none"}, &set, 200, "")
			if set.Label.Label != "none" || set.Label.Source != "counselor" || set.Label.Seq != r2 {
				t.Fatalf("label: %+v", set.Label)
			}
			do(t, wang, "PUT", label(r3), map[string]string{"label": "unsure"}, nil, 200, "")
			do(t, wang, "POST", "/api/handoffs/"+ho.ID+"/close", map[string]string{"outcome": "resolved"}, nil, 200, "")
			var got struct{ Labels []xinqiao.RiskLabel }
			do(t, wang, "GET", conv+"/labels", nil, &got, 200, "")
			if len(got.Labels) != 3 || got.Labels[0].Seq != r1 || got.Labels[0].Label != "risk" || got.Labels[0].Source != "outcome" ||
				got.Labels[1].Label != "none" || got.Labels[1].Source != "counselor" || got.Labels[2].Label != "unsure" {
				t.Fatalf("labels after the close: %+v", got.Labels)
			}
			audits, _ := node.Store.AuditEvents(ctx, sess.ConversationID, 50)
			n := 0
			for _, a := range audits {
				if a.Action == "risk_label.set" && a.Actor == wang.Me.ID {
					n++
				}
			}
			if n != 3 {
				t.Fatalf("%d label audits, want 3: %+v", n, audits)
			}

			// Export: text, label, level, question; no names, no ids.
			out, errb = syncBuffer{}, syncBuffer{}
			if err := run(ctx, []string{"risk", "export", "--out", labels}, nil, &out, &errb, envFrom(env)); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(errb.String(), "exported 3 labelled messages: 1 risk, 1 none, 1 unsure") {
				t.Fatalf("export summary: %q", errb.String())
			}
			if as, _ := node.Store.AuditEvents(ctx, "risk_labels", 10); len(as) != 1 || as[0].Action != "risk_label.export" || as[0].Detail != "rows=3 risk=1 none=1 unsure=1" {
				t.Fatalf("export audit: %+v", as)
			}
			b, err := os.ReadFile(labels)
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSpace(string(b)), "\n")
			if len(lines) != 3 {
				t.Fatalf("export: %q", b)
			}
			for _, l := range lines {
				var row map[string]any
				if err := json.Unmarshal([]byte(l), &row); err != nil {
					t.Fatal(err)
				}
				for k := range row {
					if k != "text" && k != "label" && k != "level" && k != "question" {
						t.Fatalf("export row has %q: %s", k, l)
					}
				}
				if strings.Contains(l, sess.ConversationID) || strings.Contains(l, "王老师") {
					t.Fatalf("export row names someone: %s", l)
				}
			}
			if !strings.Contains(lines[0], `"label":"risk"`) || !strings.Contains(lines[0], "跳楼") || strings.Contains(lines[0], `"level":"none"`) {
				t.Fatalf("first row: %s", lines[0])
			}

			// Train: a bad row is refused with its line; the export trains.
			bad := filepath.Join(tmp, "bad.jsonl")
			os.WriteFile(bad, []byte(lines[0]+"\n"+`{"text":"x","label":"danger"}`+"\n"), 0o600)
			model := filepath.Join(tmp, "model")
			if err := run(ctx, fixtureTrain(bad, model), nil, &out, &errb, envFrom(env)); err == nil || !strings.Contains(err.Error(), "bad.jsonl:2") {
				t.Fatalf("train on a bad row: got %v, want the line", err)
			}
			if _, err := os.Stat(model); !os.IsNotExist(err) {
				t.Fatalf("a refused training wrote its folder: %v", err)
			}
			out = syncBuffer{}
			if err := run(ctx, fixtureTrain(labels, model), nil, &out, &errb, envFrom(env)); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(out.String(), "2 trained on after deduplication, 1 labelled unsure skipped") {
				t.Fatalf("train output: %q", out.String())
			}
			weights, err := os.ReadFile(filepath.Join(model, "model.bin"))
			if err != nil {
				t.Fatal(err)
			}
			trained, err := risk.ParseModel(weights)
			if err != nil {
				t.Fatal(err)
			}

			// Publish: bad weights and a counselor refused, then in force.
			var ms riskrules.ModelStatus
			do(t, zhang, "PUT", "/api/risk/model", map[string]any{"weights": weights[:1000], "base_version": 0, "note": "截断"}, nil, 400, "truncated")
			do(t, zhang, "PUT", "/api/risk/model", map[string]any{"base_version": 0, "note": "空"}, nil, 400, "send weights")
			do(t, zhang, "PUT", "/api/risk/model", map[string]any{"weights": weights, "note": "无基础"}, nil, 400, "base_version")
			do(t, wang, "PUT", "/api/risk/model", map[string]any{"weights": weights, "base_version": 0, "note": "老师"}, nil, 403, "")
			var chk riskrules.ModelCheckResult
			do(t, wang, "POST", "/api/risk/model/check", map[string]any{"weights": weights, "texts": []string{"其实主要是这次月考考砸了"}}, &chk, 200, "")
			if chk.Model.Builtin || len(chk.Results) != 1 || chk.Cases == 0 {
				t.Fatalf("check: %+v", chk)
			}
			do(t, zhang, "PUT", "/api/risk/model", map[string]any{"weights": weights, "base_version": 0, "note": "本学期标注重新训练", "accept_lowered": chk.Lowered() > 0}, &ms, 200, "")
			if ms.Version != 1 || !ms.InForce || ms.Model.Builtin || ms.Bytes != len(weights) {
				t.Fatalf("published: %+v", ms)
			}
			tr, th := trained.Thresholds()
			if m := node.App.Rules.Live().Current().Model(); m == nil {
				t.Fatal("no model in force")
			} else if r, h := m.Thresholds(); r != tr || h != th {
				t.Fatalf("model in force has thresholds %v %v, the trained one %v %v", r, h, tr, th)
			}
			do(t, zhang, "PUT", "/api/risk/model", map[string]any{"weights": weights, "base_version": 0, "note": "过时"}, nil, 409, "published after version 0")
			if as, _ := node.Store.AuditEvents(ctx, "risk_model", 10); len(as) != 1 || as[0].Action != "risk_model.publish" || !strings.Contains(as[0].Detail, "version=1") {
				t.Fatalf("model audit: %+v", as)
			}
			if other != nil {
				deadline := time.Now().Add(loopWait)
				for {
					st, err := other.App.Rules.ModelStatus(ctx)
					m := other.App.Rules.Live().Current().Model()
					if err == nil && st.InForce && st.Version == 1 && m != nil {
						if r, h := m.Thresholds(); r == tr && h == th {
							break
						}
					}
					if time.Now().After(deadline) {
						t.Fatalf("the other node did not put the published model in force: %+v, %v", st, err)
					}
					time.Sleep(20 * time.Millisecond)
				}
			}

			// The commands read exactly as the server does.
			texts := []string{"有没有不疼的离开方式", "想知道一次吃多少片才够", "每天醒来都觉得多活一天都是负担",
				"这周末把借同学的东西都还了，以后就没什么牵挂了", "今晚想去天台吹吹风，再也不下来了", "其实主要是这次月考考砸了", "我今晚就要跳楼，已经想好了"}
			var in strings.Builder
			for _, s := range texts {
				b, _ := json.Marshal(map[string]string{"text": s})
				in.Write(append(b, '\n'))
			}
			out = syncBuffer{}
			if err := run(ctx, []string{"risk", "classify"}, strings.NewReader(in.String()), &out, &errb, envFrom(env)); err != nil {
				t.Fatal(err)
			}
			builtin, _ := risk.Load("")
			lines = strings.Split(strings.TrimSpace(out.String()), "\n")
			differ := 0
			for i, s := range texts {
				var row struct {
					Risk struct {
						Level string
						Rules []string
					}
				}
				if err := json.Unmarshal([]byte(lines[i]), &row); err != nil {
					t.Fatal(err)
				}
				want := node.App.Rules.Live().Current().Classify(s)
				if row.Risk.Level != want.Level.String() || strings.Join(row.Risk.Rules, ",") != strings.Join(want.Rules, ",") {
					t.Fatalf("%s: the command reads %+v, the server %s %v", s, row.Risk, want.Level, want.Rules)
				}
				if b := builtin.Classify(s); b.Level != want.Level || strings.Join(b.Rules, ",") != strings.Join(want.Rules, ",") {
					differ++
				}
			}
			if differ == 0 {
				t.Fatal("the district model reads every text as the built-in one does: the test cannot tell them apart")
			}

			// The built-in model put back.
			do(t, zhang, "PUT", "/api/risk/model", map[string]any{"builtin": true, "base_version": 1, "note": "改回内置模型", "accept_lowered": true}, &ms, 200, "")
			if b, _ := risk.BuiltinModel(); ms.Version != 2 || !ms.Model.Builtin || node.App.Rules.Live().Current().Model() != b {
				t.Fatalf("after putting the built-in back: %+v", ms)
			}
		})
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
