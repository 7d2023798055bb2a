// Package reports builds the supervisors', counselors' and curators' reports
// from the stores' aggregate queries: counts and durations only, never
// student text or conversation ids. It holds the rules the stores do not:
// the date range, who may see which part, percentiles and totals.
package reports

import (
	"cmp"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"time"

	"xinqiao/internal/xinqiao"
)

// Zone is the district's time zone (Guangzhou): dates in queries, the
// per-day series and the knowledge gaps are cut at its midnight.
var Zone = xinqiao.Zone

// Range limits.
const (
	DefaultDays = 30  // the period when none is given: the last 30 days, today included
	MaxDays     = 366 // the longest period, both ends included
)

// Scopes: what part of the report a staff member sees.
const (
	ScopeAll    = "all"    // supervisors and admins: everything, optionally one school
	ScopeSchool = "school" // counselors: everything of their own school
	ScopeGaps   = "gaps"   // curators: the knowledge gaps only
)

// Levels lists the risk levels in order, for series keyed by level.
var Levels = []string{xinqiao.LevelNone, xinqiao.LevelLow, xinqiao.LevelMedium, xinqiao.LevelHigh, xinqiao.LevelImminent}

// Query asks for a report: dates as YYYY-MM-DD in Zone, both included
// (empty for the default period), and a school ("" for all).
type Query struct {
	From, To string
	School   string
}

// Report is the JSON of GET /api/reports. Parts a scope does not include
// are left out.
type Report struct {
	From   string `json:"from"`
	To     string `json:"to"`
	School string `json:"school,omitempty"`
	Scope  string `json:"scope"`
	// Schools lists the schools of the registered terminals, for the
	// school filter of a full-scope report.
	Schools     []string  `json:"schools,omitempty"`
	Zone        string    `json:"zone"`
	GeneratedAt time.Time `json:"generated_at"`

	Days      []Day                   `json:"days,omitempty"`
	Totals    *Totals                 `json:"totals,omitempty"`
	Handoffs  *Handoffs               `json:"handoffs,omitempty"`
	FollowUps *xinqiao.FollowUpCounts `json:"follow_ups,omitempty"`
	Roster    *Roster                 `json:"roster,omitempty"`
	Gaps      *Gaps                   `json:"gaps"`
}

// Day is one day of the daily series.
type Day struct {
	Day             string         `json:"day"`
	Conversations   int            `json:"conversations"`
	StudentMessages map[string]int `json:"student_messages"` // by stored risk level, every level present
	HandoffsOpened  int            `json:"handoffs_opened"`
}

// Totals sums the daily series over the period.
type Totals struct {
	Conversations   int            `json:"conversations"`
	StudentMessages int            `json:"student_messages"`
	ByLevel         map[string]int `json:"student_messages_by_level"`
}

// Handoffs describes the handoffs opened in the period (counts, claims,
// outcomes), the escalations fired in it, and the queue now.
type Handoffs struct {
	Opened        int            `json:"opened"`
	OpenedByLevel map[string]int `json:"opened_by_level"`
	Claimed       int            `json:"claimed"`
	Closed        int            `json:"closed"`
	// TimeToClaim covers every kind; Kinds has it for each kind.
	TimeToClaim Durations `json:"time_to_claim"`
	// Kinds breaks the figures down by kind: urgent, requested, review
	// (issue 11). For a review the claim is a counselor's first look, so its
	// TimeToClaim is the time to a look.
	Kinds        map[string]*KindFigures `json:"kinds"`
	Outcomes     map[string]int          `json:"outcomes"`
	OpenedNoDuty int                     `json:"opened_no_duty"`
	Escalations  []xinqiao.StepCount     `json:"escalations"`
	Waiting      []Waiting               `json:"waiting"`
}

// KindFigures are the handoffs of one kind opened in the period.
type KindFigures struct {
	Opened      int            `json:"opened"`
	Claimed     int            `json:"claimed"`
	Closed      int            `json:"closed"`
	Outcomes    map[string]int `json:"outcomes"`
	TimeToClaim Durations      `json:"time_to_claim"`
}

// Kinds lists the handoff kinds, queue order.
var Kinds = []string{xinqiao.KindUrgent, xinqiao.KindRequested, xinqiao.KindReview}

// Durations summarises durations in seconds: nearest-rank percentiles.
type Durations struct {
	Count int     `json:"count"`
	P50   float64 `json:"p50_seconds"`
	P90   float64 `json:"p90_seconds"`
	Max   float64 `json:"max_seconds"`
}

// Waiting is a handoff unclaimed now and how long it has waited.
type Waiting struct {
	xinqiao.WaitingHandoff
	WaitedSeconds int64 `json:"waited_seconds"` // since it opened
}

// Roster is who is on duty now.
type Roster struct {
	OnDuty []OnDuty `json:"on_duty"`
}

// OnDuty is a staff member on duty now.
type OnDuty struct {
	Name     string     `json:"name"`
	Role     string     `json:"role"`
	School   string     `json:"school,omitempty"`
	LastSeen *time.Time `json:"last_seen,omitempty"` // last live console; none if never
}

// Gaps are the unanswered questions the knowledge base counted, per day (in
// Zone, as the knowledge base records them), topic and language.
type Gaps struct {
	Total  int                `json:"total"`
	Topics []TopicCount       `json:"topics"`
	Days   []xinqiao.GapTopic `json:"days"`
}

// TopicCount is a gap topic's total over the period.
type TopicCount struct {
	Topic string `json:"topic"`
	Lang  string `json:"lang"`
	Count int    `json:"count"`
}

// Service builds reports.
type Service struct {
	store  xinqiao.Store
	report xinqiao.ReportStore
	now    func() time.Time
}

// New returns the service, or an error when the store answers no report
// queries.
func New(store xinqiao.Store, now func() time.Time) (*Service, error) {
	rs, ok := store.(xinqiao.ReportStore)
	if !ok {
		return nil, fmt.Errorf("the %s store has no report queries", store.Engine())
	}
	if now == nil {
		now = time.Now
	}
	return &Service{store: store, report: rs, now: now}, nil
}

// ScopeOf returns what st may see of the reports asked for school: an
// EFORBIDDEN error for anyone else, a counselor without a school, or a
// counselor asking for another school. It returns the school the report
// is then limited to.
func ScopeOf(st xinqiao.Staff, school string) (scope, limitedTo string, err error) {
	switch {
	case st.Disabled:
		return "", "", xinqiao.Errorf(xinqiao.EFORBIDDEN, "this account is disabled")
	case st.Can(xinqiao.RoleSupervisor):
		return ScopeAll, school, nil
	case st.Role == xinqiao.RoleCounselor && st.School == "":
		return "", "", xinqiao.Errorf(xinqiao.EFORBIDDEN, "reports are shown to counselors for their own school; this account has no school")
	case st.Role == xinqiao.RoleCounselor && school != "" && school != st.School:
		return "", "", xinqiao.Errorf(xinqiao.EFORBIDDEN, "counselors see the reports of their own school only")
	case st.Role == xinqiao.RoleCounselor:
		return ScopeSchool, st.School, nil
	case st.Can(xinqiao.RoleCurator):
		return ScopeGaps, "", nil
	}
	return "", "", xinqiao.Errorf(xinqiao.EFORBIDDEN, "this role sees no reports")
}

// ParseRange reads the dates of q (YYYY-MM-DD in Zone, both included). An
// empty To is today; an empty From is DefaultDays before To. A malformed
// date, From after To, or more than MaxDays days is EINVALID.
func ParseRange(q Query, now time.Time) (from, to time.Time, err error) {
	parse := func(name, v string) (time.Time, error) {
		d, err := time.ParseInLocation(time.DateOnly, v, Zone)
		if err != nil {
			return d, xinqiao.Errorf(xinqiao.EINVALID, "%s must be a date like 2026-03-01, not %q", name, v)
		}
		return d, nil
	}
	y, m, d := now.In(Zone).Date()
	to = time.Date(y, m, d, 0, 0, 0, 0, Zone)
	if q.To != "" {
		if to, err = parse("to", q.To); err != nil {
			return from, to, err
		}
	}
	from = to.AddDate(0, 0, -(DefaultDays - 1))
	if q.From != "" {
		if from, err = parse("from", q.From); err != nil {
			return from, to, err
		}
	}
	if from.After(to) {
		return from, to, xinqiao.Errorf(xinqiao.EINVALID, "from (%s) is after to (%s)", from.Format(time.DateOnly), to.Format(time.DateOnly))
	}
	if days := daysBetween(from, to) + 1; days > MaxDays {
		return from, to, xinqiao.Errorf(xinqiao.EINVALID, "the period has %d days; at most %d", days, MaxDays)
	}
	return from, to, nil
}

// daysBetween counts calendar days from a to b (dates at midnight in Zone).
func daysBetween(a, b time.Time) int {
	return int(math.Round(b.Sub(a).Hours() / 24))
}

// Build returns the report st may see for q.
func (s *Service) Build(ctx context.Context, st xinqiao.Staff, q Query) (Report, error) {
	scope, school, err := ScopeOf(st, q.School)
	if err != nil {
		return Report{}, err
	}
	now := s.now()
	from, to, err := ParseRange(q, now)
	if err != nil {
		return Report{}, err
	}
	r := Report{From: from.Format(time.DateOnly), To: to.Format(time.DateOnly), School: school, Scope: scope,
		Zone: Zone.String(), GeneratedAt: now.UTC().Truncate(time.Second)}
	_, off := from.Zone()
	f := xinqiao.ReportFilter{From: from, To: to.AddDate(0, 0, 1), School: school, DayOffset: time.Duration(off) * time.Second, Now: now}

	if r.Gaps, err = s.gaps(ctx, from, to); err != nil {
		return r, err
	}
	if scope == ScopeGaps {
		return r, nil
	}
	if scope == ScopeAll {
		ts, err := s.store.Terminals(ctx)
		if err != nil {
			return r, err
		}
		r.Schools = []string{}
		for _, t := range ts {
			if t.School != "" && !slices.Contains(r.Schools, t.School) {
				r.Schools = append(r.Schools, t.School)
			}
		}
	}
	groups, err := s.report.HandoffGroups(ctx, f)
	if err != nil {
		return r, err
	}
	if err := s.series(ctx, f, from, to, groups, &r); err != nil {
		return r, err
	}
	if r.Handoffs, err = s.handoffs(ctx, f, groups); err != nil {
		return r, err
	}
	fu, err := s.report.CountFollowUps(ctx, f)
	if err != nil {
		return r, err
	}
	r.FollowUps = &fu
	if r.Roster, err = s.roster(ctx, school); err != nil {
		return r, err
	}
	return r, nil
}

// series fills the daily series (every day of the period, zeros included)
// and the totals.
func (s *Service) series(ctx context.Context, f xinqiao.ReportFilter, from, to time.Time, groups []xinqiao.HandoffGroup, r *Report) error {
	convs, err := s.report.ConversationsByDay(ctx, f)
	if err != nil {
		return err
	}
	msgs, err := s.report.StudentMessagesByDay(ctx, f)
	if err != nil {
		return err
	}
	index := map[string]int{}
	for d := from; !d.After(to); d = d.AddDate(0, 0, 1) {
		day := Day{Day: d.Format(time.DateOnly), StudentMessages: map[string]int{}}
		for _, l := range Levels {
			day.StudentMessages[l] = 0
		}
		index[day.Day] = len(r.Days)
		r.Days = append(r.Days, day)
	}
	t := &Totals{ByLevel: map[string]int{}}
	for _, l := range Levels {
		t.ByLevel[l] = 0
	}
	for _, c := range convs {
		if i, ok := index[c.Day]; ok {
			r.Days[i].Conversations += c.Count
		}
		t.Conversations += c.Count
	}
	for _, m := range msgs {
		if i, ok := index[m.Day]; ok {
			r.Days[i].StudentMessages[m.Level] += m.Count
		}
		t.ByLevel[m.Level] += m.Count
		t.StudentMessages += m.Count
	}
	for _, g := range groups {
		if i, ok := index[g.Day]; ok {
			r.Days[i].HandoffsOpened += g.Count
		}
	}
	r.Totals = t
	return nil
}

// handoffs sums the handoff groups and adds claim times, escalations and
// the queue now.
func (s *Service) handoffs(ctx context.Context, f xinqiao.ReportFilter, groups []xinqiao.HandoffGroup) (*Handoffs, error) {
	h := &Handoffs{OpenedByLevel: map[string]int{}, Outcomes: map[string]int{}, Kinds: map[string]*KindFigures{}}
	for _, l := range Levels[3:] {
		h.OpenedByLevel[l] = 0
	}
	for _, k := range Kinds {
		h.Kinds[k] = &KindFigures{Outcomes: map[string]int{}}
	}
	for _, g := range groups {
		k := h.Kinds[cmp.Or(g.Kind, xinqiao.KindUrgent)]
		if k == nil {
			k = &KindFigures{Outcomes: map[string]int{}}
			h.Kinds[g.Kind] = k
		}
		h.Opened += g.Count
		k.Opened += g.Count
		h.OpenedByLevel[g.Level] += g.Count
		if g.Claimed {
			h.Claimed += g.Count
			k.Claimed += g.Count
		}
		if g.State == xinqiao.HandoffClosed {
			h.Closed += g.Count
			k.Closed += g.Count
			h.Outcomes[cmp.Or(g.Outcome, xinqiao.OutcomeOther)] += g.Count
			k.Outcomes[cmp.Or(g.Outcome, xinqiao.OutcomeOther)] += g.Count
		}
		if g.NoDuty {
			h.OpenedNoDuty += g.Count
		}
	}
	waits, err := s.report.ClaimWaits(ctx, f)
	if err != nil {
		return nil, err
	}
	h.TimeToClaim = Summarise(waits)
	for _, k := range Kinds {
		kf := f
		kf.Kind = k
		if waits, err = s.report.ClaimWaits(ctx, kf); err != nil {
			return nil, err
		}
		h.Kinds[k].TimeToClaim = Summarise(waits)
	}
	if h.Escalations, err = s.report.Escalations(ctx, f); err != nil {
		return nil, err
	}
	waiting, err := s.report.WaitingHandoffs(ctx, f)
	if err != nil {
		return nil, err
	}
	h.Waiting = make([]Waiting, 0, len(waiting))
	for _, w := range waiting {
		h.Waiting = append(h.Waiting, Waiting{w, max(0, int64(f.Now.Sub(w.OpenedAt)/time.Second))})
	}
	return h, nil
}

// Summarise returns the count, nearest-rank p50 and p90, and maximum of
// ds, in seconds (zeros when ds is empty).
func Summarise(ds []time.Duration) Durations {
	if len(ds) == 0 {
		return Durations{}
	}
	ds = slices.Clone(ds)
	slices.Sort(ds)
	rank := func(p float64) float64 {
		i := int(math.Ceil(p*float64(len(ds)))) - 1
		return ds[max(0, i)].Seconds()
	}
	return Durations{Count: len(ds), P50: rank(0.5), P90: rank(0.9), Max: ds[len(ds)-1].Seconds()}
}

// gaps reads the knowledge base's gap counts for the dates from..to
// (midnights in Zone).
func (s *Service) gaps(ctx context.Context, from, to time.Time) (*Gaps, error) {
	days, err := s.store.Gaps(ctx, from, to)
	if err != nil {
		return nil, err
	}
	g := &Gaps{Days: days, Topics: []TopicCount{}}
	if g.Days == nil {
		g.Days = []xinqiao.GapTopic{}
	}
	totals := map[[2]string]int{}
	for _, d := range days {
		totals[[2]string{d.Topic, d.Lang}] += d.Count
		g.Total += d.Count
	}
	for k, n := range totals {
		g.Topics = append(g.Topics, TopicCount{Topic: k[0], Lang: k[1], Count: n})
	}
	slices.SortFunc(g.Topics, func(a, b TopicCount) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Topic, b.Topic), cmp.Compare(a.Lang, b.Lang))
	})
	return g, nil
}

// roster lists the staff on duty now who would see a handoff of school
// ("" for everyone on duty).
func (s *Service) roster(ctx context.Context, school string) (*Roster, error) {
	all, err := s.store.ListStaff(ctx)
	if err != nil {
		return nil, err
	}
	r := &Roster{OnDuty: []OnDuty{}}
	for _, st := range all {
		if !st.OnDuty || !st.Can(xinqiao.RoleCounselor) || (school != "" && st.School != "" && st.School != school) {
			continue
		}
		od := OnDuty{Name: st.DisplayName, Role: st.Role, School: st.School}
		if seen, err := s.store.Presence(ctx, st.ID); err != nil {
			return nil, err
		} else if !seen.IsZero() {
			seen = seen.UTC()
			od.LastSeen = &seen
		}
		r.OnDuty = append(r.OnDuty, od)
	}
	slices.SortFunc(r.OnDuty, func(a, b OnDuty) int { return cmp.Or(cmp.Compare(a.School, b.School), cmp.Compare(a.Name, b.Name)) })
	return r, nil
}

// WriteCSV writes the daily series of r as CSV, UTF-8 with a byte-order
// mark so that Excel reads the Chinese headers. A gaps-only report writes
// the gap counts per day, topic and language instead.
func WriteCSV(w io.Writer, r Report) error {
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	if r.Scope == ScopeGaps {
		cw.Write([]string{"日期 day", "主题 topic", "语言 lang", "未答问题 unanswered"})
		for _, g := range r.Gaps.Days {
			cw.Write([]string{g.Day, g.Topic, g.Lang, strconv.Itoa(g.Count)})
		}
	} else {
		gaps := map[string]int{}
		for _, g := range r.Gaps.Days {
			gaps[g.Day] += g.Count
		}
		head := []string{"日期 day", "新对话 conversations"}
		for _, l := range Levels {
			head = append(head, "学生消息-"+levelZH[l]+" student messages "+l)
		}
		head = append(head, "转介 handoffs opened", "知识缺口 gaps")
		cw.Write(head)
		for _, d := range r.Days {
			row := []string{d.Day, strconv.Itoa(d.Conversations)}
			for _, l := range Levels {
				row = append(row, strconv.Itoa(d.StudentMessages[l]))
			}
			row = append(row, strconv.Itoa(d.HandoffsOpened), strconv.Itoa(gaps[d.Day]))
			cw.Write(row)
		}
	}
	cw.Flush()
	return cw.Error()
}

var levelZH = map[string]string{
	xinqiao.LevelNone: "无", xinqiao.LevelLow: "低", xinqiao.LevelMedium: "中", xinqiao.LevelHigh: "高", xinqiao.LevelImminent: "紧急",
}
