package answer_test

import (
	"errors"
	"strings"
	"testing"

	"xinqiao/internal/answer"
)

func TestChecker(t *testing.T) {
	c := answer.NewChecker(answer.CheckConfig{Risk: fakeRisk{"割腕"}, MaxRunes: 100})
	allow := answer.NewChecker(answer.CheckConfig{AllowNumbers: []string{"86812121", "020-86812121"}})
	tests := []struct {
		name string
		c    answer.Checker
		text string
		want string
	}{
		{"plain", c, "考试前紧张很正常，可以试试3个小方法。[1]", ""},
		{"year and grade", c, "2026年，初二的同学有120个。", ""},
		{"mobile", c, "打13800138000就行", answer.CheckPhone},
		{"landline with area code", c, "电话 020-86812121", answer.CheckPhone},
		{"spaced", c, "call 138 0013 8000", answer.CheckPhone},
		{"full-width", c, "１３８００１３８０００", answer.CheckPhone},
		{"short emergency after a calling word", c, "请拨打110。", answer.CheckPhone},
		{"hotline 12355", c, "青少年热线12355", answer.CheckPhone},
		{"spelt in Chinese numerals", c, "可以打幺三八零零幺三八零零零", answer.CheckPhone},
		{"short line in Chinese numerals after a calling word", c, "马上拨打幺幺零", answer.CheckPhone},
		{"ordinary Chinese numerals", c, "第一步先深呼吸三次，第二步数到十，坚持一两个星期。", ""},
		{"allowed registry number", allow, "热线 020-86812121", ""},
		{"other number with allow list", allow, "热线 020-12345678", answer.CheckPhone},
		{"url", c, "see https://example.org/x", answer.CheckURL},
		{"bare domain", c, "上 example.com 看看", answer.CheckURL},
		{"email", c, "写信到 a@b.cn", answer.CheckURL},
		{"risk", c, "有人会割腕", answer.CheckRisk},
		{"length", c, strings.Repeat("好", 101), answer.CheckLength},
		{"empty", c, "  ", answer.CheckEmpty},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.c.Check(tt.text)
			got := ""
			var ce *answer.CheckError
			if errors.As(err, &ce) {
				got = ce.Reason
			} else if err != nil {
				t.Fatalf("error: got %v, want a *CheckError", err)
			}
			if got != tt.want {
				t.Errorf("Check(%q): got %q, want %q", tt.text, got, tt.want)
			}
		})
	}
}
