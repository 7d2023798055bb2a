package risk_test

import (
	"testing"

	"xinqiao/internal/risk"
)

// TestRulesLead16: session 16's pass (rules/40_lead16.rules): an early end
// wished for with nothing named that ends, told with or without a laugh; an
// end with a time after which nobody will be bothered; each beside its
// everyday look-alikes. Our own sentences.
func TestRulesLead16(t *testing.T) {
	N, L, M, H, I := risk.None, risk.Low, risk.Medium, risk.High, risk.Imminent
	checkRules(t, []rulesCase{
		{"end early laugh", "其实早点结束也挺好的 哈哈哈", M, I},
		{"end early plain", "有时候觉得 早些结束也不错", M, I},
		{"end early gave up", "活着好没意思 早点结束算了", M, I},
		{"exam ends", "期末考试早点结束也挺好的 哈哈", N, L},
		{"term ends", "这学期早点结束也挺好，想放假", N, L},
		{"meeting ends", "班会早点结束也好 可以去打球", N, L},
		{"cold ends", "感冒早点结束也挺好的 鼻子好难受", N, L},
		{"not end early", "不早点结束也挺好的", N, L},
		{"nobody tomorrow", "过了明天就不会有人再烦我了", H, I},
		{"nobody tonight", "今晚之后再也没人烦我了", H, I},
		{"nobody yue", "听朝之后就冇人会再烦我", H, I},
		{"nobody blocked", "我把他们都拉黑了，明天开始就没人会再烦我了", N, L},
		{"nobody dorm", "下周开始住校，就不会有人再烦我了", N, L},
		{"nobody trip", "明天爸妈去旅游，就没人会再烦我了哈哈", N, L},
		{"nobody exam", "考完试就不会有人再烦我了", N, L},
		{"deal friday", "after friday nobody has to deal with me anymore", H, I},
		{"deal tomorrow", "tomorrow no one will have to put up with me", H, I},
		{"deal moving", "after friday nobody has to deal with me, im moving to my aunts", N, L},
		{"deal no time", "nobody has to worry about me, im fine", N, L},
	})
}
