package risk_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"xinqiao/internal/risk"
)

// TestTrainExtra: rows exported by the district train beside the data
// (unsure ones skipped and counted), corpus-shaped rows too, and a bad row
// is refused naming its file and line.
func TestTrainExtra(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "labels.jsonl")
	rows := `{"text":"今天又想从教学楼顶跳下去","label":"risk","level":"high","question":"最近怎么样？"}
{"text":"这周的数学卷子真的好难","label":"none","level":"medium"}

{"text":"不知道，说不清","label":"unsure","level":"medium"}
{"text":"攒了一瓶药藏在抽屉里","level":"high","category":"suicide","genre":"chat","lang":"zh-Hans"}
`
	if err := os.WriteFile(good, []byte(rows), 0o600); err != nil {
		t.Fatal(err)
	}
	o := fixtureOptions()
	o.ExtraFile = good
	res, err := risk.Train(o)
	if err != nil {
		t.Fatal(err)
	}
	if res.ExtraUnsure != 1 || res.Figures.Train["extra/labelled"] != 2 || res.Figures.Train["extra/corpus"] != 1 {
		t.Fatalf("extra rows: %d unsure, trained %v", res.ExtraUnsure, res.Figures.Train)
	}
	plain, err := risk.Train(fixtureOptions())
	if err != nil {
		t.Fatal(err)
	}
	if string(plain.Weights) == string(res.Weights) {
		t.Fatal("the extra rows changed nothing")
	}

	for _, tc := range []struct{ body, want string }{
		{`{"text":"好","label":"none"}` + "\n" + `{"text":"坏","label":"danger"}`, "x.jsonl:2: label \"danger\""},
		{`{"text":"好","label":"none"}` + "\n\n" + `not json`, "x.jsonl:3: not a JSON object"},
		{`{"label":"risk"}`, "x.jsonl:1: no text"},
		{`{"text":"好","label":"risk","level":"severe"}`, "x.jsonl:1: unknown risk level"},
		{`{"text":"好","level":"severe"}`, "x.jsonl:1: unknown risk level"},
		{`{"text":"好","label":"unsure"}`, "no rows to train on (1 labelled unsure"},
	} {
		f := filepath.Join(t.TempDir(), "x.jsonl")
		if err := os.WriteFile(f, []byte(tc.body), 0o600); err != nil {
			t.Fatal(err)
		}
		o := fixtureOptions()
		o.ExtraFile = f
		if _, err := risk.Train(o); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: got %v, want an error with %q", tc.body, err, tc.want)
		}
	}
}

// TestEvalSkipsUnsure: the export's unsure rows are skipped and counted by
// eval; any other label is refused with its line.
func TestEvalSkipsUnsure(t *testing.T) {
	c := mustLoad(t)
	rep, err := risk.Eval(c, strings.NewReader(`{"text":"我不想活了","label":"risk","level":"medium"}
{"text":"不知道","label":"unsure","level":"none"}
{"text":"今天天气很好","label":"none","level":"none","question":"你好"}
`))
	if err != nil || rep.N != 2 || rep.Unsure != 1 || rep.TP != 1 || rep.TN != 1 {
		t.Fatalf("got %+v, %v", rep, err)
	}
	var b strings.Builder
	rep.WriteText(&b)
	if !strings.Contains(b.String(), "skipped (labelled unsure): 1") {
		t.Fatalf("report: %s", b.String())
	}
	if _, err := risk.Eval(c, strings.NewReader(`{"text":"a","label":"none"}`+"\n"+`{"text":"b","label":"maybe"}`)); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Fatalf("got %v, want line 2", err)
	}
}
