package risk_test

import (
	"bytes"
	"testing"

	"xinqiao/internal/risk"
)

// TestTrainAdaptOptions: the session 9 options (domain adaptation, naive
// Bayes scaling, a grave floor) train on the fixture, change the weights,
// keep the weights format, and still rank a risky message above a plain one.
func TestTrainAdaptOptions(t *testing.T) {
	base, err := risk.Train(fixtureOptions())
	if err != nil {
		t.Fatal(err)
	}
	for name, set := range map[string]func(*risk.TrainOptions){
		"domain":           func(o *risk.TrainOptions) { o.DomainAdapt = true },
		"domain real only": func(o *risk.TrainOptions) { o.DomainAdapt, o.DomainRealOnly, o.DomainLR = true, true, 0.25 },
		"nb":               func(o *risk.TrainOptions) { o.NBScale = true },
		"grave floor":      func(o *risk.TrainOptions) { o.Grave, o.GraveFloor = true, 0.5 },
	} {
		o := fixtureOptions()
		set(&o)
		res, err := risk.Train(o)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if name != "grave floor" && bytes.Equal(res.Weights, base.Weights) {
			t.Errorf("%s: the same weights as without it", name)
		}
		m, err := risk.ParseModel(res.Weights)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if m.Format() != base.Model.Format() && name != "grave floor" {
			t.Errorf("%s: format %d, without it %d", name, m.Format(), base.Model.Format())
		}
		risky, _, _ := res.Classifier.ScoreText("好想睡一觉就再也不醒来")
		plain, _, _ := res.Classifier.ScoreText("今天的篮球赛我们赢了哈哈")
		if risky <= plain {
			t.Errorf("%s: risk of a risky message %.3f, of an ordinary one %.3f", name, risky, plain)
		}
	}
}
