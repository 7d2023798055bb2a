package risk_test

import (
	"testing"

	"xinqiao/internal/risk"
)

// TestOtherInDanger: someone else in danger now is read as such
// (OtherLevel high, the card for someone else), the writer's own crisis is
// not, and the conversation keeps it until a counselor lowers it.
func TestOtherInDanger(t *testing.T) {
	c := mustLoad(t)
	for _, tc := range []struct {
		text     string
		forOther bool
	}{
		{"我妹妹吃了好多药，叫不醒", true},
		{"同学站在天台边上说要跳", true},
		{"my friend just said she took all her pills and now she's not answering", true},
		{"我不想活了，今晚就从楼顶跳下去", false},
		{"我朋友最近好像很不开心，我担心她", false},
	} {
		r := c.Classify(tc.text)
		if got := risk.ForOther(r.Level, r.OtherLevel()); got != tc.forOther {
			t.Errorf("%q: level %s, other %s: ForOther %v, want %v", tc.text, r.Level, r.OtherLevel(), got, tc.forOther)
		}
	}
	st := c.Accumulate(risk.ConversationState{}, c.Classify("我妹妹吃了好多药，叫不醒"))
	st = c.Accumulate(st, c.Classify("我好害怕"))
	if st.Other < risk.High || !risk.ForOther(st.Level, st.Other) {
		t.Fatalf("after a second message: state %+v, want someone else's danger kept", st)
	}
	low, err := risk.Lower(st, risk.Low, "120 came, she is in hospital")
	if err != nil || low.Other > risk.Low || risk.ForOther(low.Level, low.Other) {
		t.Fatalf("lowered: %+v, %v; want other at most low", low, err)
	}
}
