package hotline_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"xinqiao/internal/hotline"
	"xinqiao/knowledge"
)

// entry builds one registry entry; override replaces whole fields by key.
func entry(id string, override map[string]string) string {
	f := map[string]string{
		"id":            fmt.Sprintf("%q", id),
		"number":        `"12345"`,
		"name":          `{"zh": "测试热线", "en": "Test line"}`,
		"audience":      `{"zh": "学生", "en": "Students"}`,
		"hours":         `{"always": true}`,
		"timezone":      `"Asia/Shanghai"`,
		"emergency":     `false`,
		"last_verified": `"2026-11-29"`,
		"source":        `"test"`,
	}
	for k, v := range override {
		if v == "" {
			delete(f, k)
		} else {
			f[k] = v
		}
	}
	keys := []string{"id", "number", "area_code", "name", "audience", "hours", "timezone", "emergency", "medical", "last_verified", "source", "note", "extra", "phone"}
	var parts []string
	for _, k := range keys {
		if v, ok := f[k]; ok {
			parts = append(parts, fmt.Sprintf("%q: %s", k, v))
		}
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

func registry(entries ...string) []byte {
	return []byte(`{"hotlines": [` + strings.Join(entries, ",") + `]}`)
}

func TestParseErrors(t *testing.T) {
	weekly := func(days, from, to string) string {
		return fmt.Sprintf(`{"weekly": [{"days": %s, "from": %q, "to": %q}]}`, days, from, to)
	}
	tests := []struct {
		name string
		data []byte
		want []string // substrings the error must contain
	}{
		{"unknown field", registry(entry("line-a", map[string]string{"extra": `"x"`})), []string{"extra"}},
		{"unknown field in entry named", registry(entry("ok-line", nil), entry("line-b", map[string]string{"phone": `"1"`})), []string{"phone"}},
		{"missing number", registry(entry("line-a", map[string]string{"number": ""})), []string{`"line-a"`, "missing number"}},
		{"number not digits", registry(entry("line-a", map[string]string{"number": `"123-45"`})), []string{`"line-a"`, "digits"}},
		{"bad day", registry(entry("line-a", map[string]string{"hours": weekly(`["mon", "funday"]`, "09:00", "17:00")})), []string{`"line-a"`, "funday"}},
		{"bad from", registry(entry("line-a", map[string]string{"hours": weekly(`["mon"]`, "9:00", "17:00")})), []string{`"line-a"`, "9:00"}},
		{"bad to", registry(entry("line-a", map[string]string{"hours": weekly(`["mon"]`, "09:00", "25:00")})), []string{`"line-a"`, "25:00"}},
		{"24:00 as from", registry(entry("line-a", map[string]string{"hours": weekly(`["mon"]`, "24:00", "08:00")})), []string{`"line-a"`, "24:00"}},
		{"empty range", registry(entry("line-a", map[string]string{"hours": weekly(`["mon"]`, "09:00", "09:00")})), []string{`"line-a"`, "09:00"}},
		{"no days", registry(entry("line-a", map[string]string{"hours": weekly(`[]`, "09:00", "17:00")})), []string{`"line-a"`, "no days"}},
		{"no hours", registry(entry("line-a", map[string]string{"hours": `{}`})), []string{`"line-a"`, "hours"}},
		{"always and weekly", registry(entry("line-a", map[string]string{"hours": `{"always": true, "weekly": [{"days": ["mon"], "from": "09:00", "to": "17:00"}]}`})), []string{`"line-a"`, "not both"}},
		{"bad timezone", registry(entry("line-a", map[string]string{"timezone": `"Asia/Guangzhou"`})), []string{`"line-a"`, "Asia/Guangzhou"}},
		{"missing timezone", registry(entry("line-a", map[string]string{"timezone": ""})), []string{`"line-a"`, "timezone"}},
		{"duplicate id", registry(entry("line-a", nil), entry("line-a", map[string]string{"number": `"54321"`})), []string{`"line-a"`, "duplicate"}},
		{"missing id", registry(entry("", nil)), []string{`"#1"`, "missing id"}},
		{"bad date", registry(entry("line-a", map[string]string{"last_verified": `"29/11/2026"`})), []string{`"line-a"`, "last_verified"}},
		{"missing source", registry(entry("line-a", map[string]string{"source": ""})), []string{`"line-a"`, "source"}},
		{"missing english name", registry(entry("line-a", map[string]string{"name": `{"zh": "热线"}`})), []string{`"line-a"`, "name"}},
		{"empty registry", []byte(`{"hotlines": []}`), []string{"no hotlines"}},
		{"trailing data", append(registry(entry("line-a", nil)), []byte(` {}`)...), []string{"trailing"}},
		{"not json", []byte(`hotlines:`), []string{"hotline registry"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := hotline.Parse(tt.data)
			if err == nil {
				t.Fatalf("Parse: got no error, want one containing %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Parse: got error %q, want it to contain %q", err, w)
				}
			}
		})
	}
}

func TestParseValid(t *testing.T) {
	r, err := hotline.Parse(registry(
		entry("line-a", map[string]string{"area_code": `"020"`, "number": `"86812121"`}),
		entry("line-b", map[string]string{"number": `"110"`, "emergency": "true"}),
	))
	if err != nil {
		t.Fatalf("Parse: got error %v, want none", err)
	}
	if got := len(r.All()); got != 2 {
		t.Errorf("All: got %d lines, want 2", got)
	}
	want := []string{"86812121", "020-86812121", "02086812121", "110"}
	if got := r.Numbers(); !slices.Equal(got, want) {
		t.Errorf("Numbers: got %v, want %v", got, want)
	}
}

var shanghai = mustLoc("Asia/Shanghai")

func mustLoc(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// at makes a time in Shanghai; 2026-11-30 is a Monday.
func at(day, hh, mm int) time.Time {
	return time.Date(2026, 11, day, hh, mm, 0, 0, shanghai)
}

func testRegistry(t *testing.T) *hotline.Registry {
	t.Helper()
	data := registry(
		entry("office", map[string]string{"number": `"11111"`, "hours": `{"weekly": [
			{"days": ["mon","tue","wed","thu","fri"], "from": "09:00", "to": "12:00"},
			{"days": ["mon","tue","wed","thu","fri"], "from": "14:00", "to": "17:00"}]}`}),
		entry("night", map[string]string{"number": `"22222"`, "hours": `{"weekly": [
			{"days": ["fri","sat"], "from": "20:00", "to": "08:00"}]}`}),
		entry("late", map[string]string{"number": `"33333"`, "hours": `{"weekly": [
			{"days": ["sun"], "from": "18:00", "to": "24:00"}]}`}),
		entry("police", map[string]string{"number": `"110"`, "emergency": "true"}),
		entry("ambulance", map[string]string{"number": `"120"`, "emergency": "true"}),
	)
	r, err := hotline.Parse(data)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return r
}

func ids[T any](xs []T, id func(T) string) []string {
	out := []string{}
	for _, x := range xs {
		out = append(out, id(x))
	}
	return out
}

func TestOpenAt(t *testing.T) {
	r := testRegistry(t)
	tests := []struct {
		name string
		t    time.Time
		want []string
	}{
		{"monday 08:59 before opening", at(30, 8, 59), []string{"police", "ambulance"}},
		{"monday 09:00 opening minute", at(30, 9, 0), []string{"office", "police", "ambulance"}},
		{"monday 11:59", at(30, 11, 59), []string{"office", "police", "ambulance"}},
		{"monday 12:00 lunch break starts", at(30, 12, 0), []string{"police", "ambulance"}},
		{"monday 14:00 afternoon", at(30, 14, 0), []string{"office", "police", "ambulance"}},
		{"monday 17:00 closing minute", at(30, 17, 0), []string{"police", "ambulance"}},
		{"friday 19:59", time.Date(2026, 12, 4, 19, 59, 0, 0, shanghai), []string{"police", "ambulance"}},
		{"friday 20:00 night opens", time.Date(2026, 12, 4, 20, 0, 0, 0, shanghai), []string{"night", "police", "ambulance"}},
		{"saturday 03:00 across midnight", time.Date(2026, 12, 5, 3, 0, 0, 0, shanghai), []string{"night", "police", "ambulance"}},
		{"saturday 08:00 night closes", time.Date(2026, 12, 5, 8, 0, 0, 0, shanghai), []string{"police", "ambulance"}},
		{"sunday 07:59 from saturday night", time.Date(2026, 12, 6, 7, 59, 0, 0, shanghai), []string{"night", "police", "ambulance"}},
		{"monday 02:00 no sunday night range", time.Date(2026, 12, 7, 2, 0, 0, 0, shanghai), []string{"police", "ambulance"}},
		{"sunday 23:59 until 24:00", time.Date(2026, 12, 6, 23, 59, 0, 0, shanghai), []string{"late", "police", "ambulance"}},
		{"monday 00:00 after 24:00", time.Date(2026, 12, 7, 0, 0, 0, 0, shanghai), []string{"police", "ambulance"}},
		// 01:30 UTC on Monday is 09:30 in Shanghai.
		{"utc monday 01:30 is shanghai 09:30", time.Date(2026, 11, 30, 1, 30, 0, 0, time.UTC), []string{"office", "police", "ambulance"}},
		// 23:30 UTC on Sunday is 07:30 on Monday in Shanghai: office still closed.
		{"utc sunday 23:30 is shanghai monday 07:30", time.Date(2026, 11, 29, 23, 30, 0, 0, time.UTC), []string{"police", "ambulance"}},
		// 12:30 UTC Friday is 20:30 Friday in Shanghai: the night line is open.
		{"utc friday 12:30 is shanghai 20:30", time.Date(2026, 12, 4, 12, 30, 0, 0, time.UTC), []string{"night", "police", "ambulance"}},
		// 09:30 in Los Angeles on Monday is 01:30 Tuesday in Shanghai.
		{"los angeles monday morning", time.Date(2026, 11, 30, 9, 30, 0, 0, mustLoc("America/Los_Angeles")), []string{"police", "ambulance"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ids(r.OpenAt(tt.t), func(h hotline.Hotline) string { return h.ID })
			if !slices.Equal(got, tt.want) {
				t.Errorf("OpenAt(%s): got %v, want %v", tt.t, got, tt.want)
			}
		})
	}
}

func TestHotlineOpenAtZeroValueZone(t *testing.T) {
	// A Hotline built in code (not parsed) still reads its time zone.
	h := hotline.Hotline{ID: "x", Timezone: "Asia/Shanghai", Hours: hotline.Hours{Weekly: []hotline.Range{{Days: []string{"mon"}, From: "09:00", To: "10:00"}}}}
	if got := h.OpenAt(time.Date(2026, 11, 30, 1, 15, 0, 0, time.UTC)); !got {
		t.Errorf("OpenAt(Mon 01:15 UTC): got %v, want true", got)
	}
}

func TestForCrisis(t *testing.T) {
	r := testRegistry(t)
	cardID := func(c hotline.Card) string { return c.ID }
	tests := []struct {
		name     string
		t        time.Time
		imminent bool
		want     []string
	}{
		{"office hours, not imminent", at(30, 10, 0), false, []string{"office", "night", "late"}},
		{"office hours, imminent", at(30, 10, 0), true, []string{"police", "ambulance", "office", "night", "late"}},
		{"nothing else open, not imminent", at(30, 13, 0), false, []string{"police", "ambulance", "office", "night", "late"}},
		{"night line open first", time.Date(2026, 12, 5, 3, 0, 0, 0, shanghai), false, []string{"night", "office", "late"}},
		{"night line open, imminent", time.Date(2026, 12, 5, 3, 0, 0, 0, shanghai), true, []string{"police", "ambulance", "night", "office", "late"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ids(r.ForCrisis(tt.t, tt.imminent, "zh"), cardID)
			if !slices.Equal(got, tt.want) {
				t.Errorf("ForCrisis: got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestForCrisisClosedLinesSayClosed(t *testing.T) {
	r := testRegistry(t)
	for _, lang := range []string{"zh", "en"} {
		for _, c := range r.ForCrisis(at(30, 13, 0), true, lang) {
			h := findLine(t, r, c.ID)
			open := h.OpenAt(at(30, 13, 0))
			if c.Open != open {
				t.Errorf("%s %s: got Open %v, want %v", lang, c.ID, c.Open, open)
			}
			closedWord := map[string]string{"zh": "现在不在服务时间", "en": "Closed now"}[lang]
			if got := strings.HasPrefix(c.Hours, closedWord); got == open {
				t.Errorf("%s %s: got hours %q (open %v), want the closed notice only when closed", lang, c.ID, c.Hours, open)
			}
		}
	}
}

func findLine(t *testing.T, r *hotline.Registry, id string) hotline.Hotline {
	t.Helper()
	for _, h := range r.All() {
		if h.ID == id {
			return h
		}
	}
	t.Fatalf("no line %q", id)
	return hotline.Hotline{}
}

func TestForCrisisText(t *testing.T) {
	r := testRegistry(t)
	tests := []struct {
		lang, id, name, hours string
	}{
		{"zh", "office", "测试热线", "周一至周五 9:00–12:00、14:00–17:00"},
		{"en", "office", "Test line", "Mon–Fri 9:00–12:00, 14:00–17:00"},
		{"zh", "police", "测试热线", "24小时"},
		{"en", "police", "Test line", "24 hours"},
		{"zh", "night", "测试热线", "现在不在服务时间（服务时间：周五、周六 20:00–8:00）"},
		{"en", "late", "Test line", "Closed now (hours: Sun 18:00–24:00)"},
	}
	for _, tt := range tests {
		t.Run(tt.lang+" "+tt.id, func(t *testing.T) {
			var got *hotline.Card
			for _, c := range r.ForCrisis(at(30, 10, 0), true, tt.lang) {
				if c.ID == tt.id {
					got = &c
				}
			}
			if got == nil {
				t.Fatalf("ForCrisis: got no card %q, want one", tt.id)
			}
			if got.Name != tt.name || got.Hours != tt.hours {
				t.Errorf("card %s: got name %q hours %q, want %q %q", tt.id, got.Name, got.Hours, tt.name, tt.hours)
			}
		})
	}
}

func TestDescribe(t *testing.T) {
	tests := []struct {
		days []string
		zh   string
		en   string
	}{
		{[]string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}, "每天 8:00–22:00", "Daily 8:00–22:00"},
		{[]string{"sat", "sun"}, "周六、周日 8:00–22:00", "Sat, Sun 8:00–22:00"},
		{[]string{"wed", "mon", "tue"}, "周一至周三 8:00–22:00", "Mon–Wed 8:00–22:00"},
	}
	for _, tt := range tests {
		h := hotline.Hours{Weekly: []hotline.Range{{Days: tt.days, From: "08:00", To: "22:00"}}}
		if got := h.Describe("zh"); got != tt.zh {
			t.Errorf("Describe(zh, %v): got %q, want %q", tt.days, got, tt.zh)
		}
		if got := h.Describe("en"); got != tt.en {
			t.Errorf("Describe(en, %v): got %q, want %q", tt.days, got, tt.en)
		}
	}
}

func TestLoad(t *testing.T) {
	fsys := fstest.MapFS{"lines.json": {Data: registry(entry("line-a", nil))}}
	if _, err := hotline.Load(fsys, "lines.json"); err != nil {
		t.Errorf("Load: got error %v, want none", err)
	}
	if _, err := hotline.Load(fsys, "missing.json"); err == nil {
		t.Errorf("Load(missing): got no error, want one")
	}
}

// The real registry embedded in package knowledge parses, holds the five lines the
// district named, and gives a crisis card with 110 and 120 when imminent.
func TestEmbeddedRegistry(t *testing.T) {
	r, err := hotline.Load(knowledge.FS, knowledge.HotlinesFile)
	if err != nil {
		t.Fatalf("Load(embedded): got error %v, want none", err)
	}
	nums := r.Numbers()
	for _, n := range []string{"12355", "12356", "86812121", "020-86812121", "110", "120"} {
		if !slices.Contains(nums, n) {
			t.Errorf("Numbers: got %v, want it to contain %s", nums, n)
		}
	}
	for _, h := range r.All() {
		if h.LastVerified == "" || h.Source == "" {
			t.Errorf("%s: got empty last_verified or source, want both", h.ID)
		}
		if h.Emergency != (h.Number == "110" || h.Number == "120") {
			t.Errorf("%s: got emergency %v, want true only for 110 and 120", h.ID, h.Emergency)
		}
		if !h.Hours.Always && !strings.Contains(h.Note, "confirmed") {
			t.Errorf("%s: got note %q, want lines with uncertain hours to say they are to be confirmed", h.ID, h.Note)
		}
	}
	// Sunday 03:00 in Shanghai: only the emergency lines answer.
	night := time.Date(2026, 11, 29, 3, 0, 0, 0, shanghai)
	for _, imminent := range []bool{false, true} {
		cards := r.ForCrisis(night, imminent, "zh")
		got := ids(cards, func(c hotline.Card) string { return c.Number })
		if len(got) < 2 || got[0] != "110" || got[1] != "120" {
			t.Errorf("ForCrisis(night, imminent=%v): got %v, want 110 and 120 first", imminent, got)
		}
	}
	// Wednesday 10:00: the district line is open and comes before closed lines.
	day := time.Date(2026, 12, 2, 10, 0, 0, 0, shanghai)
	cards := r.ForCrisis(day, true, "en")
	got := ids(cards, func(c hotline.Card) string { return c.Number })
	want := []string{"110", "120", "020-86812121", "12355", "12356"}
	if !slices.Equal(got, want) {
		t.Errorf("ForCrisis(Wed 10:00, imminent, en): got %v, want %v", got, want)
	}
	for _, c := range cards {
		if !c.Open {
			t.Errorf("ForCrisis(Wed 10:00): got %s closed, want every line open", c.Number)
		}
	}
}

// TestForSomeoneElse: the card for someone else in danger leads with the
// emergency lines, the medical one (120) first, whether or not helplines are
// open; the embedded registry marks 120 medical. A medical line that is no
// emergency line is refused.
func TestForSomeoneElse(t *testing.T) {
	r, err := hotline.Load(knowledge.FS, knowledge.HotlinesFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, when := range []time.Time{time.Date(2026, 12, 2, 10, 0, 0, 0, shanghai), time.Date(2026, 11, 29, 3, 0, 0, 0, shanghai)} {
		got := ids(r.ForSomeoneElse(when, "zh"), func(c hotline.Card) string { return c.Number })
		if len(got) != 5 || got[0] != "120" || got[1] != "110" {
			t.Errorf("ForSomeoneElse(%s): got %v, want 120, 110, then the three helplines", when, got)
		}
	}
	if _, err := hotline.Parse(registry(entry("x", map[string]string{"number": `"11111"`, "medical": "true"}))); err == nil || !strings.Contains(err.Error(), "medical") {
		t.Errorf("medical helpline: got %v, want an error naming medical", err)
	}
}
