package answer

import (
	"regexp"
	"strings"
	"unicode/utf8"
)

// Check failure reasons (CheckError.Reason).
const (
	CheckRisk   = "risk"
	CheckPhone  = "phone"
	CheckURL    = "url"
	CheckLength = "length"
	CheckEmpty  = "empty"
)

// CheckError is why a generated answer may not be sent.
type CheckError struct {
	Reason string // CheckRisk, CheckPhone, CheckURL, CheckLength or CheckEmpty
}

// Error implements error.
func (e *CheckError) Error() string { return "answer check failed: " + e.Reason }

// Checker decides whether a generated answer may be sent; a non-nil error
// (a *CheckError) sends the extractive answer instead.
type Checker interface {
	Check(text string) error
}

// CheckConfig configures NewChecker.
type CheckConfig struct {
	// Risk classifies the answer; medium or above fails. Nil skips the risk check.
	Risk RiskChecker
	// AllowNumbers are phone numbers that may appear (e.g. the registry's
	// Numbers()). Leave it empty, the default and the advice: generated text
	// never carries a number, the server adds the hotlines itself.
	AllowNumbers []string
	// MaxRunes caps the answer's length (default 1500 runes).
	MaxRunes int
}

// OutputChecker is the default Checker: risk, phone numbers, URLs and length.
type OutputChecker struct {
	cfg   CheckConfig
	allow map[string]bool
}

// NewChecker returns the default output check.
func NewChecker(cfg CheckConfig) *OutputChecker {
	if cfg.MaxRunes <= 0 {
		cfg.MaxRunes = 1500
	}
	c := &OutputChecker{cfg: cfg, allow: map[string]bool{}}
	for _, n := range cfg.AllowNumbers {
		if d := digitsOnly(n); d != "" {
			c.allow[d] = true
		}
	}
	return c
}

// Check implements Checker.
func (c *OutputChecker) Check(text string) error {
	if strings.TrimSpace(text) == "" {
		return &CheckError{CheckEmpty}
	}
	if utf8.RuneCountInString(text) > c.cfg.MaxRunes {
		return &CheckError{CheckLength}
	}
	if r := c.policy(text); r != "" {
		return &CheckError{r}
	}
	if c.cfg.Risk != nil && riskFails(c.cfg.Risk, text) {
		return &CheckError{CheckRisk}
	}
	return nil
}

// policy runs the cheap checks that the streaming guard also runs on every
// delta: phone numbers and URLs.
func (c *OutputChecker) policy(text string) string {
	if hasURL(text) {
		return CheckURL
	}
	if hasPhone(text, c.allow) {
		return CheckPhone
	}
	return ""
}

func riskFails(r RiskChecker, text string) bool {
	level, _ := r.Check(text)
	switch strings.ToLower(level) {
	case "", "none", "low":
		return false
	}
	return true // medium, high, imminent, or anything unknown
}

var (
	urlRE = regexp.MustCompile(`(?i)(?:[a-z][a-z0-9+.-]*://|www\.|\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|cn|net|org|edu|gov|io|me|info|top|xyz|cc|app|site|link|ly)\b|[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,})`)
	// a run of digits with at most single separators between them
	digitRunRE = regexp.MustCompile(`\+?\d(?:[ \-.()（）]?\d)*`)
	// words after which even a short number is a phone number
	phoneWordRE = regexp.MustCompile(`(?i)(拨打|打电话|电话|热线|致电|号码|call|dial|phone|hotline|ring)[^\d]{0,8}$`)
	// Chinese numerals as digits, for phone numbers spelt out (幺三八…)
	cnDigits  = strings.NewReplacer("零", "0", "〇", "0", "幺", "1", "一", "1", "二", "2", "三", "3", "四", "4", "五", "5", "六", "6", "七", "7", "八", "8", "九", "9")
	fullWidth = strings.NewReplacer("０", "0", "１", "1", "２", "2", "３", "3", "４", "4", "５", "5", "６", "6", "７", "7", "８", "8", "９", "9", "＋", "+", "－", "-", "．", ".", "：", ":", "／", "/")
)

// shortService lists short numbers that are phone numbers wherever they stand
// alone after a calling word: emergency and public service lines.
var shortService = map[string]bool{"110": true, "119": true, "120": true, "122": true, "12355": true, "12356": true, "12320": true, "12345": true, "12110": true, "95105": true}

func hasURL(text string) bool {
	return urlRE.MatchString(fullWidth.Replace(text))
}

// hasPhone reports whether text holds a phone-number-like digit run that is not
// allowed: seven or more digits (with or without separators, full-width or
// spelt in Chinese numerals included), or a known short service number after a
// calling word.
func hasPhone(text string, allow map[string]bool) bool {
	t := cnDigits.Replace(fullWidth.Replace(text))
	for _, loc := range digitRunRE.FindAllStringIndex(t, -1) {
		d := digitsOnly(t[loc[0]:loc[1]])
		if allow[d] {
			continue
		}
		if len(d) >= 7 {
			return true
		}
		if len(d) >= 3 && (shortService[d] || strings.HasPrefix(d, "400") || strings.HasPrefix(d, "800")) && phoneWordRE.MatchString(t[:loc[0]]) {
			return true
		}
	}
	return false
}

func digitsOnly(s string) string {
	var b strings.Builder
	for _, r := range fullWidth.Replace(s) {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}
