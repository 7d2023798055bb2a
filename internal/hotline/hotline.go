// Package hotline loads and validates the hotline registry (knowledge/hotlines.json)
// and answers the questions the service asks of it: which lines are open now,
// which numbers may appear in an answer, and what a crisis card shows.
//
// The registry is the only source of phone numbers in the service: documents and
// generated answers never carry a number of their own.
package hotline

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // the registry names IANA zones; do not depend on the host's zoneinfo
)

// Text is a string in the two languages of the service.
type Text struct {
	ZH string `json:"zh"`
	EN string `json:"en"`
}

// Lang returns the text in lang ("en" gives English, anything else Chinese).
func (t Text) Lang(lang string) string {
	if lang == "en" {
		return t.EN
	}
	return t.ZH
}

// Range is one weekly opening period. From and To are "HH:MM" in the line's time
// zone; To may be "24:00". When To is earlier than From the period runs past
// midnight into the next day (a "sat" 20:00–08:00 range covers Saturday evening and
// early Sunday morning).
type Range struct {
	Days []string `json:"days"`
	From string   `json:"from"`
	To   string   `json:"to"`
}

// Hours says when a line answers: either always, or the weekly ranges.
type Hours struct {
	Always bool    `json:"always,omitempty"`
	Weekly []Range `json:"weekly,omitempty"`
}

// Hotline is one entry of the registry, as stored in the JSON.
type Hotline struct {
	ID        string `json:"id"`
	Number    string `json:"number"`
	AreaCode  string `json:"area_code,omitempty"`
	Name      Text   `json:"name"`
	Audience  Text   `json:"audience"`
	Hours     Hours  `json:"hours"`
	Timezone  string `json:"timezone"`
	Emergency bool   `json:"emergency"`
	// Medical marks an emergency line that sends medical help (120): the
	// first line on the card for someone else in danger (ForSomeoneElse).
	Medical      bool   `json:"medical,omitempty"`
	LastVerified string `json:"last_verified"`
	Source       string `json:"source"`
	Note         string `json:"note,omitempty"`

	loc *time.Location
}

// Registry is a validated list of hotlines in registry order.
type Registry struct {
	lines []Hotline
}

type file struct {
	Hotlines []Hotline `json:"hotlines"`
}

var (
	idRE     = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)
	digitsRE = regexp.MustCompile(`^[0-9]+$`)
	dayIndex = map[string]int{"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6}
)

// Parse decodes and validates a registry. Unknown fields, a missing number or name,
// a bad day or time, an unknown time zone, a bad date and a duplicate id are errors;
// an error about one entry names it.
func Parse(data []byte) (*Registry, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var f file
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("hotline registry: %w", err)
	}
	if dec.More() {
		return nil, errors.New("hotline registry: trailing data after the JSON object")
	}
	if len(f.Hotlines) == 0 {
		return nil, errors.New("hotline registry: no hotlines")
	}
	seen := map[string]bool{}
	for i := range f.Hotlines {
		h := &f.Hotlines[i]
		name := h.ID
		if name == "" {
			name = fmt.Sprintf("#%d", i+1)
		}
		if err := h.validate(); err != nil {
			return nil, fmt.Errorf("hotline registry: entry %q: %w", name, err)
		}
		if seen[h.ID] {
			return nil, fmt.Errorf("hotline registry: entry %q: duplicate id", h.ID)
		}
		seen[h.ID] = true
	}
	return &Registry{lines: f.Hotlines}, nil
}

// Load reads and parses the registry file name from fsys.
func Load(fsys fs.FS, name string) (*Registry, error) {
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, fmt.Errorf("hotline registry: %w", err)
	}
	return Parse(data)
}

func (h *Hotline) validate() error {
	if h.ID == "" {
		return errors.New("missing id")
	}
	if !idRE.MatchString(h.ID) {
		return fmt.Errorf("id %q: use lower-case letters, digits and dashes", h.ID)
	}
	if h.Number == "" {
		return errors.New("missing number")
	}
	if !digitsRE.MatchString(h.Number) {
		return fmt.Errorf("number %q: digits only", h.Number)
	}
	if h.AreaCode != "" && !digitsRE.MatchString(h.AreaCode) {
		return fmt.Errorf("area_code %q: digits only", h.AreaCode)
	}
	if strings.TrimSpace(h.Name.ZH) == "" || strings.TrimSpace(h.Name.EN) == "" {
		return errors.New("missing name (zh and en)")
	}
	if strings.TrimSpace(h.Audience.ZH) == "" || strings.TrimSpace(h.Audience.EN) == "" {
		return errors.New("missing audience (zh and en)")
	}
	if h.Medical && !h.Emergency {
		return errors.New("medical is for an emergency line (set emergency too)")
	}
	if h.Timezone == "" {
		return errors.New("missing timezone")
	}
	loc, err := time.LoadLocation(h.Timezone)
	if err != nil || h.Timezone == "Local" {
		return fmt.Errorf("bad timezone %q", h.Timezone)
	}
	h.loc = loc
	if err := h.Hours.validate(); err != nil {
		return err
	}
	if _, err := time.Parse(time.DateOnly, h.LastVerified); err != nil {
		return fmt.Errorf("last_verified %q: want a date YYYY-MM-DD", h.LastVerified)
	}
	if strings.TrimSpace(h.Source) == "" {
		return errors.New("missing source")
	}
	return nil
}

func (hs Hours) validate() error {
	switch {
	case hs.Always && len(hs.Weekly) > 0:
		return errors.New("hours: give either always or weekly, not both")
	case hs.Always:
		return nil
	case len(hs.Weekly) == 0:
		return errors.New("hours: missing (want always or weekly)")
	}
	for i, r := range hs.Weekly {
		if len(r.Days) == 0 {
			return fmt.Errorf("hours: range %d: no days", i+1)
		}
		dup := map[string]bool{}
		for _, d := range r.Days {
			if _, ok := dayIndex[d]; !ok {
				return fmt.Errorf("hours: range %d: bad day %q (want mon, tue, wed, thu, fri, sat, sun)", i+1, d)
			}
			if dup[d] {
				return fmt.Errorf("hours: range %d: day %q twice", i+1, d)
			}
			dup[d] = true
		}
		from, err := parseClock(r.From, false)
		if err != nil {
			return fmt.Errorf("hours: range %d: from: %w", i+1, err)
		}
		to, err := parseClock(r.To, true)
		if err != nil {
			return fmt.Errorf("hours: range %d: to: %w", i+1, err)
		}
		if from == to {
			return fmt.Errorf("hours: range %d: from and to are both %s (use always for 24 hours)", i+1, r.From)
		}
	}
	return nil
}

// parseClock turns "HH:MM" into minutes after midnight; "24:00" only when allow24.
func parseClock(s string, allow24 bool) (int, error) {
	if len(s) != 5 || s[2] != ':' {
		return 0, fmt.Errorf("bad time %q (want HH:MM)", s)
	}
	hh, err1 := strconv.Atoi(s[:2])
	mm, err2 := strconv.Atoi(s[3:])
	if err1 != nil || err2 != nil || hh < 0 || mm < 0 || mm > 59 {
		return 0, fmt.Errorf("bad time %q (want HH:MM)", s)
	}
	if hh == 24 && mm == 0 && allow24 {
		return 24 * 60, nil
	}
	if hh > 23 {
		return 0, fmt.Errorf("bad time %q (want HH:MM)", s)
	}
	return hh*60 + mm, nil
}

func (h Hotline) location() *time.Location {
	if h.loc != nil {
		return h.loc
	}
	if loc, err := time.LoadLocation(h.Timezone); err == nil {
		return loc
	}
	return time.UTC
}

// OpenAt reports whether the line answers at t, read in the line's own time zone.
// A range includes its From minute and excludes its To minute.
func (h Hotline) OpenAt(t time.Time) bool {
	if h.Hours.Always {
		return true
	}
	lt := t.In(h.location())
	day := int(lt.Weekday())
	prev := (day + 6) % 7
	m := lt.Hour()*60 + lt.Minute()
	for _, r := range h.Hours.Weekly {
		from, err1 := parseClock(r.From, false)
		to, err2 := parseClock(r.To, true)
		if err1 != nil || err2 != nil {
			continue
		}
		for _, d := range r.Days {
			di, ok := dayIndex[d]
			if !ok {
				continue
			}
			if from < to {
				if di == day && m >= from && m < to {
					return true
				}
				continue
			}
			// Past midnight: the evening of day di and the morning of di+1.
			if di == day && m >= from {
				return true
			}
			if di == prev && m < to {
				return true
			}
		}
	}
	return false
}

// All returns every line in registry order.
func (r *Registry) All() []Hotline {
	return append([]Hotline(nil), r.lines...)
}

// OpenAt returns the lines open at t, in registry order.
func (r *Registry) OpenAt(t time.Time) []Hotline {
	var out []Hotline
	for _, h := range r.lines {
		if h.OpenAt(t) {
			out = append(out, h)
		}
	}
	return out
}

// Numbers returns every number a student may be shown: each line's number and,
// for a line with an area code, the number with the code in front (as "020-86812121"
// and "02086812121"). The answer checker rejects any other phone number.
func (r *Registry) Numbers() []string {
	var out []string
	for _, h := range r.lines {
		out = append(out, h.Number)
		if h.AreaCode != "" {
			out = append(out, h.AreaCode+"-"+h.Number, h.AreaCode+h.Number)
		}
	}
	return out
}

// Dial returns the number as it is shown to students: with the area code when the
// line has one.
func (h Hotline) Dial() string {
	if h.AreaCode != "" {
		return h.AreaCode + "-" + h.Number
	}
	return h.Number
}

// Card is one line as shown on a crisis card, in one language.
type Card struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Number    string `json:"number"`
	Hours     string `json:"hours"`
	Open      bool   `json:"open"`
	Emergency bool   `json:"emergency"`
}

// ForCrisis returns the lines for a crisis card at t in lang ("zh" or "en"; anything
// else gives Chinese).
//
// Order: when imminent, the emergency lines (110, 120) first; then the other lines
// open at t; then the other lines closed at t. A closed line is never shown as if
// open: its Hours string begins with "现在不在服务时间" / "Closed now" and then gives
// the hours, and Open is false. Emergency lines are included when imminent, and
// also whenever no other line is open at t, so a card always has a line that
// answers now.
func (r *Registry) ForCrisis(t time.Time, imminent bool, lang string) []Card {
	var emergency, open, closed []Card
	for _, h := range r.lines {
		c := Card{ID: h.ID, Name: h.Name.Lang(lang), Number: h.Dial(), Emergency: h.Emergency}
		c.Open = h.OpenAt(t)
		desc := h.Hours.Describe(lang)
		switch {
		case h.Emergency:
			c.Hours = desc
			emergency = append(emergency, c)
		case c.Open:
			c.Hours = desc
			open = append(open, c)
		default:
			if lang == "en" {
				c.Hours = "Closed now (hours: " + desc + ")"
			} else {
				c.Hours = "现在不在服务时间（服务时间：" + desc + "）"
			}
			closed = append(closed, c)
		}
	}
	var out []Card
	if imminent || len(open) == 0 {
		out = append(out, emergency...)
	}
	out = append(out, open...)
	return append(out, closed...)
}

// ForSomeoneElse returns the lines for the crisis card of a student telling
// of someone else in danger now (a friend who took pills and does not wake,
// a sibling at a roof's edge): the emergency lines first, those that send
// medical help before the others, then the lines of ForCrisis. Help for that
// person comes from an emergency line, not from a helpline.
func (r *Registry) ForSomeoneElse(t time.Time, lang string) []Card {
	lines := r.ForCrisis(t, true, lang)
	medical := map[string]bool{}
	for _, h := range r.lines {
		medical[h.ID] = h.Medical
	}
	rank := func(c Card) int {
		switch {
		case c.Emergency && medical[c.ID]:
			return 0
		case c.Emergency:
			return 1
		}
		return 2
	}
	slices.SortStableFunc(lines, func(a, b Card) int { return rank(a) - rank(b) })
	return lines
}

var (
	dayOrder = []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}
	dayZH    = map[string]string{"mon": "周一", "tue": "周二", "wed": "周三", "thu": "周四", "fri": "周五", "sat": "周六", "sun": "周日"}
	dayEN    = map[string]string{"mon": "Mon", "tue": "Tue", "wed": "Wed", "thu": "Thu", "fri": "Fri", "sat": "Sat", "sun": "Sun"}
)

// Describe renders the hours for people: "24小时" / "24 hours", or for example
// "周一至周五 9:00–12:00、14:00–17:00" / "Mon–Fri 9:00–12:00, 14:00–17:00".
// Ranges with the same days are joined.
func (hs Hours) Describe(lang string) string {
	en := lang == "en"
	if hs.Always {
		if en {
			return "24 hours"
		}
		return "24小时"
	}
	type group struct {
		days  string
		times []string
	}
	var groups []*group
	byDays := map[string]*group{}
	for _, r := range hs.Weekly {
		d := describeDays(r.Days, en)
		g := byDays[d]
		if g == nil {
			g = &group{days: d}
			byDays[d] = g
			groups = append(groups, g)
		}
		g.times = append(g.times, shortClock(r.From)+"–"+shortClock(r.To))
	}
	parts := make([]string, 0, len(groups))
	for _, g := range groups {
		if en {
			parts = append(parts, g.days+" "+strings.Join(g.times, ", "))
		} else {
			parts = append(parts, g.days+" "+strings.Join(g.times, "、"))
		}
	}
	if en {
		return strings.Join(parts, "; ")
	}
	return strings.Join(parts, "；")
}

func shortClock(s string) string {
	if len(s) == 5 && s[0] == '0' {
		return s[1:]
	}
	return s
}

// describeDays names a set of days: every day, a run ("周一至周五"), or a list.
func describeDays(days []string, en bool) string {
	set := map[string]bool{}
	for _, d := range days {
		set[d] = true
	}
	var idx []int
	for i, d := range dayOrder {
		if set[d] {
			idx = append(idx, i)
		}
	}
	names := dayZH
	if en {
		names = dayEN
	}
	if len(idx) == 7 {
		if en {
			return "Daily"
		}
		return "每天"
	}
	run := len(idx) >= 3
	for i := 1; i < len(idx) && run; i++ {
		run = idx[i] == idx[i-1]+1
	}
	if run {
		first, last := names[dayOrder[idx[0]]], names[dayOrder[idx[len(idx)-1]]]
		if en {
			return first + "–" + last
		}
		return first + "至" + last
	}
	list := make([]string, len(idx))
	for i, j := range idx {
		list[i] = names[dayOrder[j]]
	}
	if en {
		return strings.Join(list, ", ")
	}
	return strings.Join(list, "、")
}
