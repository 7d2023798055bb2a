package risk_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"xinqiao/internal/risk"
)

func fixtureOptions() risk.TrainOptions {
	dir := filepath.Join("testdata", "train")
	return risk.TrainOptions{
		SharedFile: filepath.Join(dir, "shared.jsonl"),
		CorpusDir:  filepath.Join(dir, "corpus"),
		NoCases:    true,
		Seed:       7,
		Folds:      3,
		Features:   risk.FeatureConfig{Bits: 12, CharMax: 3, WordMax: 2, Sets: 1, Seed: 1},
	}
}

// TestTrainFixture retrains on a small fixture: the same data and seed give
// the same bytes, the weights read back, the card carries its figures, and
// a different seed gives a different model.
func TestTrainFixture(t *testing.T) {
	a, err := risk.Train(fixtureOptions())
	if err != nil {
		t.Fatal(err)
	}
	b, err := risk.Train(fixtureOptions())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Weights, b.Weights) {
		t.Fatal("two trainings on the same data and seed gave different bytes")
	}
	if m, err := risk.ParseModel(a.Weights); err != nil {
		t.Fatalf("the trained weights do not read back: %v", err)
	} else if m.Config() != fixtureOptions().Features {
		t.Fatalf("the weights read back with features %+v, trained with %+v", m.Config(), fixtureOptions().Features)
	} else if r, h := m.Thresholds(); abs(r-a.Figures.ThreshRisk) > 0.0005 || abs(h-a.Figures.ThreshHigh) > 0.0005 || abs(m.LongThreshold()-a.Figures.ThreshRiskLong) > 0.0005 {
		t.Fatalf("the weights read back with thresholds %.3f (long %.3f) %.3f, trained %+v", r, m.LongThreshold(), h, a.Figures)
	}
	o := fixtureOptions()
	o.Seed = 8
	c, err := risk.Train(o)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(a.Weights, c.Weights) {
		t.Fatal("another seed gave the same bytes")
	}
	f := a.Figures
	if f.Train["shared/fixture"] == 0 || f.HeldOut == nil || f.HeldOut.N == 0 || f.CV.N == 0 {
		t.Fatalf("figures: %+v", f)
	}
	card, back := cardRoundTrip(t, a)
	if back.ThreshRisk != f.ThreshRisk || back.HeldOut.TP != f.HeldOut.TP || back.Train["shared/fixture"] != f.Train["shared/fixture"] {
		t.Fatalf("card figures %+v, trained %+v", back, f)
	}
	for _, want := range []string{"shared/fixture", "Wilson", "measured here", "threshold"} {
		if !strings.Contains(card, want) {
			t.Errorf("card lacks %q", want)
		}
	}
	// the model learned something: a risky training message scores above
	// an ordinary one
	risky, _, _ := a.Classifier.ScoreText("好想睡一觉就再也不醒来")
	plain, _, _ := a.Classifier.ScoreText("今天的篮球赛我们赢了哈哈")
	if risky <= plain {
		t.Fatalf("risk of a risky message %.3f, of an ordinary one %.3f", risky, plain)
	}
	if a.Classifier.Model() != a.Model {
		t.Fatal("the trained classifier does not carry the trained model")
	}
}

// TestTrainBadRows: a training file with a bad row is refused, naming the
// file and the line.
func TestTrainBadRows(t *testing.T) {
	for _, tc := range []struct{ body, want string }{
		{`{"text":"好","level":"none","category":"none","genre":"chat","lang":"zh-Hans","batch":"x"}` + "\n" + `{"text":"坏","level":"severe"}`, "x.jsonl:2"},
		{`{"text":"好","level":"none"`, "x.jsonl:1"},
		{`{"level":"none"}`, "x.jsonl:1: no text"},
		{`{"text":"好","level":"medium","category":"sadness"}`, "unknown category"},
	} {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "x.jsonl"), []byte(tc.body), 0o644); err != nil {
			t.Fatal(err)
		}
		o := fixtureOptions()
		o.CorpusDir = dir
		_, err := risk.Train(o)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error with %q", tc.body, err, tc.want)
		}
	}
}

// TestShippedModelCard holds the shipped model to its card: the figures on
// the shared split's held-out half (aggregate only) match MODEL.md.
func TestShippedModelCard(t *testing.T) {
	_, hold, _ := splitSharedData(t)
	card, err := os.ReadFile(filepath.Join("model", "MODEL.md"))
	if err != nil {
		t.Fatal(err)
	}
	f, err := risk.ParseCard(card)
	if err != nil {
		t.Fatal(err)
	}
	if f.HeldOut == nil {
		t.Fatal("the card has no held-out figures")
	}
	m, _ := risk.BuiltinModel()
	if r, h := m.Thresholds(); abs(r-f.ThreshRisk) > 0.0005 || abs(h-f.ThreshHigh) > 0.0005 || abs(m.LongThreshold()-f.ThreshRiskLong) > 0.0005 {
		t.Fatalf("shipped thresholds %.3f (long %.3f) %.3f, card %.3f (long %.3f) %.3f", r, m.LongThreshold(), h, f.ThreshRisk, f.ThreshRiskLong, f.ThreshHigh)
	}
	if abs(m.GraveThreshold()-f.ThreshGrave) > 0.0005 || m.SevereOnRules() != f.SevereOnRules || m.Format() != f.Format {
		t.Fatalf("shipped format %d, severity threshold %.3f, severity on the rules' flags %v; card %d, %.3f, %v",
			m.Format(), m.GraveThreshold(), m.SevereOnRules(), f.Format, f.ThreshGrave, f.SevereOnRules)
	}
	rep, err := risk.Eval(mustLoad(t), bytes.NewReader(hold))
	if err != nil {
		t.Fatal(err)
	}
	want := f.HeldOut
	t.Logf("held-out half: TP %d FP %d TN %d FN %d (card: %d %d %d %d)", rep.TP, rep.FP, rep.TN, rep.FN, want.TP, want.FP, want.TN, want.FN)
	// The rules may have moved since the card was written; a retrain
	// ("xinqiao risk train") brings it up to date.
	if abs(rep.Precision-want.Precision()) > 0.02 || abs(rep.Recall-want.Recall()) > 0.02 || rep.N != want.N {
		t.Errorf("held-out precision %.3f recall %.3f of %d rows; the card says %.3f %.3f of %d: retrain with xinqiao risk train",
			rep.Precision, rep.Recall, rep.N, want.Precision(), want.Recall(), want.N)
	}
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

// TestTrainLeaveGroupOut: the leave-group-out figures score every row of
// each hand (the shared split's tuning half, each corpus writer) with a
// model trained without it; the cross-validation alone measures our
// corpus's held-out slice but never the shared split's held-out half; and
// thresholds chosen on the leave-group-out scores say so in the card.
func TestTrainLeaveGroupOut(t *testing.T) {
	o := fixtureOptions()
	o.CVOnly = true
	var log bytes.Buffer
	o.Log = &log
	res, err := risk.Train(o)
	if err != nil {
		t.Fatal(err)
	}
	// each group's figures at matched precision, for comparing options
	for _, g := range []string{"shared", "corpus:fixture"} {
		if !strings.Contains(log.String(), "left out "+g+": model alone average precision ") {
			t.Errorf("the log lacks %s's figures at matched precision:\n%s", g, log.String())
		}
	}
	f := res.Figures
	if f.HeldOut != nil || f.HeldOutRules != nil || res.Model != nil {
		t.Fatalf("a cross-validation alone measured the shared held-out half or built a model: %+v", f)
	}
	shared, corpus := f.LeaveOut["shared"], f.LeaveOut["corpus:fixture"]
	if shared.N != f.Train["shared/fixture"] || shared.N != f.LeaveOutRules["shared"].N || shared.N != f.LeaveOutGenre["shared/fixture"].N {
		t.Fatalf("left out shared: %d rows (rules alone %d, by genre %d), %d shared rows trained on", shared.N, f.LeaveOutRules["shared"].N, f.LeaveOutGenre["shared/fixture"].N, f.Train["shared/fixture"])
	}
	if corpus.N == 0 || corpus.N != f.LeaveOutRules["corpus:fixture"].N {
		t.Fatalf("left out corpus:fixture: %d rows, rules alone %d", corpus.N, f.LeaveOutRules["corpus:fixture"].N)
	}
	if len(f.Corpus) == 0 || len(f.Corpus) != len(f.CorpusRules) {
		t.Fatalf("the corpus's held-out slice was not measured: %v %v", f.Corpus, f.CorpusRules)
	}
	if f.GroupThresholds {
		t.Fatal("thresholds said to come from the leave-group-out scores without the option")
	}
	o.CVOnly, o.GroupThresholds = false, true
	g, err := risk.Train(o)
	if err != nil {
		t.Fatal(err)
	}
	if !g.Figures.GroupThresholds {
		t.Fatal("the option did not choose the thresholds on the leave-group-out scores")
	}
	var card bytes.Buffer
	if err := g.WriteCard(&card, ""); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Leave-group-out", "left out shared, rules + model", "left out corpus:fixture, the model's additions", "(chosen on\nthese scores)"} {
		if !strings.Contains(card.String(), want) {
			t.Errorf("card lacks %q", want)
		}
	}
}

// TestGravePrecision: the threshold from which the model's severity alone
// grades high is chosen for GravePrecision (MinPrecision when unset): a
// looser precision gives a lower threshold, a stricter one no lower, and
// the card records it.
func TestGravePrecision(t *testing.T) {
	o := fixtureOptions()
	o.Grave = true
	def, err := risk.Train(o)
	if err != nil {
		t.Fatal(err)
	}
	o.GravePrecision = 0.3
	loose, err := risk.Train(o)
	if err != nil {
		t.Fatal(err)
	}
	o.GravePrecision = 0.99
	strict, err := risk.Train(o)
	if err != nil {
		t.Fatal(err)
	}
	if def.Figures.GravePrecision != 0.8 || strict.Figures.GravePrecision != 0.99 {
		t.Fatalf("grave precision %g and %g, want 0.8 (the risk threshold's) and 0.99", def.Figures.GravePrecision, strict.Figures.GravePrecision)
	}
	t.Logf("grave threshold %.3f at 0.3, %.3f at 0.8, %.3f at 0.99", loose.Figures.ThreshGrave, def.Figures.ThreshGrave, strict.Figures.ThreshGrave)
	if !(loose.Figures.ThreshGrave < def.Figures.ThreshGrave && def.Figures.ThreshGrave <= strict.Figures.ThreshGrave) {
		t.Fatal("a looser grave precision must give a lower threshold, a stricter one no lower")
	}
	card, back := cardRoundTrip(t, strict)
	if back.GravePrecision != 0.99 || !strings.Contains(card, "are 0.99 risky out of fold") {
		t.Fatalf("the card says grave precision %g:\n%s", back.GravePrecision, card)
	}
}

// cardRoundTrip writes r's model card ("measured here" as its latency) and
// reads its figures back.
func cardRoundTrip(t *testing.T, r *risk.TrainResult) (string, risk.CardFigures) {
	t.Helper()
	var card bytes.Buffer
	if err := r.WriteCard(&card, "measured here"); err != nil {
		t.Fatal(err)
	}
	back, err := risk.ParseCard(card.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	return card.String(), back
}
