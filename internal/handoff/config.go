package handoff

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"xinqiao/internal/xinqiao"
)

// Ladder actions: whom a step of the escalation ladder alerts.
const (
	// ActionDuty alerts every on-duty counselor and supervisor.
	ActionDuty = "duty"
	// ActionOnCall alerts the district on-call contact.
	ActionOnCall = "oncall"
)

// Alert audiences beyond the ladder actions.
const (
	// AudienceCounselors hears of every handoff that opens or rises.
	AudienceCounselors = "counselors"
	// AudienceNoDuty hears when a handoff opens while nobody is on duty.
	AudienceNoDuty = "no_duty"
	// AudienceReleased hears when a handoff returns to the queue because its
	// counselor's console stayed away past the grace period.
	AudienceReleased = "released"
)

// Config shapes the handoff service. Zero fields take the defaults of
// DefaultConfig.
type Config struct {
	// Ladders is the escalation ladder of each level: steps taken while a
	// handoff stays unclaimed, timed from when it entered the queue.
	Ladders map[string][]xinqiao.LadderStep
	// Grace is how long a counselor's active handoff stays theirs after their
	// last console disconnects.
	Grace time.Duration
	// Tick is how often Run looks for due timers.
	Tick time.Duration
	// PresenceEvery is how often a node records the staff whose consoles it
	// holds. It must be well under Grace: a grace timer is not acted on while
	// presence is fresher than two of these.
	PresenceEvery time.Duration
	// Targets receive alerts.
	Targets []Target
	// Attempts bounds delivery tries per alert and target; Backoff is the
	// first wait between tries, doubled each time up to MaxBackoff.
	Attempts   int
	Backoff    time.Duration
	MaxBackoff time.Duration
	// HTTPTimeout bounds one delivery attempt.
	HTTPTimeout time.Duration
	// ConsoleURL is linked from alerts, e.g. "https://xinqiao.example.edu.cn/counselor".
	ConsoleURL string
	// OnCallContact names the district on-call line in on-call alerts.
	OnCallContact string
	// Client sends alerts; nil means a client with HTTPTimeout.
	Client *http.Client
	// Summarizer, when set (an LLM is configured), adds a written brief to
	// the extractive one; its failure leaves the extractive brief alone.
	Summarizer Summarizer
	// DutyHours are the school's working hours. Within them a counselor
	// with a console open is on duty; the explicit duty switch counts at any
	// hour. Reviews run on their clock.
	DutyHours DutyHours
	// ReviewWithin is how long a review may wait unread within duty hours
	// before the on-duty counselors are reminded: a review opened after
	// hours is due this long after the next duty period starts.
	ReviewWithin time.Duration
	// RequestedLadder is the ladder of a handoff the student asked for
	// (ask_counselor), whatever its level.
	RequestedLadder []xinqiao.LadderStep
}

// DutyHours is a daily span of working hours on the duty weekdays, in the
// district's time zone (Guangzhou), as offsets from local midnight, with
// the dates on which nobody is on duty by the clock (public holidays,
// school breaks). ParseDutyHours reads them from the environment's form.
type DutyHours struct {
	From time.Duration `json:"from"`
	To   time.Duration `json:"to"`
	// Days are the duty weekdays, bit 1<<time.Weekday each; 0 means
	// Monday to Friday.
	Days uint8 `json:"days,omitempty"`
	// Holidays are dates without duty by the clock, as "2026-10-01".
	Holidays []string `json:"holidays,omitempty"`
}

// weekdays is Monday to Friday as DutyHours.Days.
const weekdays uint8 = 1<<time.Monday | 1<<time.Tuesday | 1<<time.Wednesday | 1<<time.Thursday | 1<<time.Friday

// DefaultDutyHours are 08:00 to 18:00, Monday to Friday, with no holidays.
func DefaultDutyHours() DutyHours { return DutyHours{From: 8 * time.Hour, To: 18 * time.Hour} }

// IsZero reports duty hours that were never set.
func (d DutyHours) IsZero() bool { return d.From == 0 && d.To == 0 && d.Days == 0 && d.Holidays == nil }

// dutyDay reports whether day (local midnight) is a day of duty.
func (d DutyHours) dutyDay(day time.Time) bool {
	days := d.Days
	if days == 0 {
		days = weekdays
	}
	return days&(1<<uint(day.Weekday())) != 0 && !slices.Contains(d.Holidays, day.Format(time.DateOnly))
}

// In reports whether t falls within duty hours.
func (d DutyHours) In(t time.Time) bool {
	l := t.In(schoolZone)
	day := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, schoolZone)
	since := l.Sub(day)
	return d.dutyDay(day) && since >= d.From && since < d.To
}

// Next returns t when it falls within duty hours, else the start of the
// next duty period after it (within a year; t when there is none).
func (d DutyHours) Next(t time.Time) time.Time {
	if d.In(t) {
		return t
	}
	l := t.In(schoolZone)
	day := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, schoolZone)
	for i := 0; i < 400; i++ {
		if start := day.Add(d.From); d.dutyDay(day) && start.After(t) {
			return start.UTC()
		}
		day = day.AddDate(0, 0, 1)
	}
	return t
}

// NextDay returns the start of duty on the first duty day after t's day
// (within a year; the next calendar day's start when there is none).
func (d DutyHours) NextDay(t time.Time) time.Time {
	l := t.In(schoolZone)
	day := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, schoolZone).AddDate(0, 0, 1)
	for i := 0; i < 400; i++ {
		if d.dutyDay(day) {
			return day.Add(d.From).UTC()
		}
		day = day.AddDate(0, 0, 1)
	}
	return time.Date(l.Year(), l.Month(), l.Day()+1, 0, 0, 0, 0, schoolZone).Add(d.From).UTC()
}

var dayNames = map[string]time.Weekday{"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday}

// ParseDutyHours reads duty hours as "DAYS HH:MM-HH:MM" (Guangzhou time),
// DAYS a comma-separated list of days and ranges of days (mon-fri,
// mon,wed,fri or mon-fri,sat; a range runs forward from Monday to Sunday),
// the end at most 24:00; "" is DefaultDutyHours. An error says what is
// wrong and what is wanted.
func ParseDutyHours(span string) (DutyHours, error) {
	d := DefaultDutyHours()
	if span = strings.TrimSpace(span); span != "" {
		f := strings.Fields(strings.ToLower(span))
		if len(f) != 2 {
			return d, fmt.Errorf("%q: want days and a time span, e.g. \"mon-fri 08:00-18:00\"", span)
		}
		d.Days = 0
		for _, item := range strings.Split(f[0], ",") {
			a, b, isRange := strings.Cut(item, "-")
			from, ok1 := dayNames[a]
			to, ok2 := from, true
			if isRange {
				to, ok2 = dayNames[b]
			}
			if !ok1 || !ok2 {
				return d, fmt.Errorf("%q: unknown day in %q (want mon, tue, wed, thu, fri, sat, sun or a range such as mon-fri)", span, item)
			}
			mon := func(w time.Weekday) int { return (int(w) + 6) % 7 } // Monday 0 … Sunday 6
			if mon(to) < mon(from) {
				return d, fmt.Errorf("%q: the range %q runs backwards (a range runs from Monday to Sunday, e.g. mon-fri)", span, item)
			}
			for w := mon(from); w <= mon(to); w++ {
				d.Days |= 1 << uint((w+1)%7)
			}
		}
		a, b, ok := strings.Cut(f[1], "-")
		from, err1 := clock(a)
		to, err2 := clock(b)
		switch {
		case !ok || err1 != nil || err2 != nil:
			return d, fmt.Errorf("%q: the time span %q must be HH:MM-HH:MM, e.g. 08:00-18:00", span, f[1])
		case from >= to:
			return d, fmt.Errorf("%q: duty must end after it starts on the same day (%s is not before %s)", span, a, b)
		}
		d.From, d.To = from, to
	}
	return d, nil
}

// ParseHolidays reads a comma-separated list of dates (2026-10-01) and
// ranges of dates (2026-10-01..2026-10-07), the days on which nobody is on
// duty by the clock, as DutyHours.Holidays. An error names the bad item.
func ParseHolidays(list string) ([]string, error) {
	var out []string
	for _, item := range strings.Split(list, ",") {
		if item = strings.TrimSpace(item); item == "" {
			continue
		}
		a, b, isRange := strings.Cut(item, "..")
		from, err := time.ParseInLocation(time.DateOnly, a, schoolZone)
		to := from
		if err == nil && isRange {
			to, err = time.ParseInLocation(time.DateOnly, b, schoolZone)
		}
		switch {
		case err != nil:
			return nil, fmt.Errorf("%q is not a date: want YYYY-MM-DD (e.g. 2026-10-01) or a range such as 2026-10-01..2026-10-07", item)
		case to.Before(from) || to.Sub(from) > 366*24*time.Hour:
			return nil, fmt.Errorf("the range %q must run forwards, over a year at most", item)
		}
		for day := from; !day.After(to); day = day.AddDate(0, 0, 1) {
			if k := day.Format(time.DateOnly); !slices.Contains(out, k) {
				out = append(out, k)
			}
		}
	}
	return out, nil
}

// clock reads HH:MM as an offset from midnight, up to 24:00.
func clock(s string) (time.Duration, error) {
	h, m, ok := strings.Cut(s, ":")
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if !ok || len(h) != 2 || len(m) != 2 || err1 != nil || err2 != nil || hh < 0 || mm < 0 || mm > 59 || hh > 24 || (hh == 24 && mm != 0) {
		return 0, fmt.Errorf("%q is not a time of day", s)
	}
	return time.Duration(hh)*time.Hour + time.Duration(mm)*time.Minute, nil
}

// DefaultLadders are the escalation ladders of issue 6: imminent unclaimed
// for 60 s alerts every on-duty counselor and supervisor, 180 s the district
// on-call contact; high does the same at 120 s and 600 s.
func DefaultLadders() map[string][]xinqiao.LadderStep {
	return map[string][]xinqiao.LadderStep{
		xinqiao.LevelImminent: {{After: 60 * time.Second, Action: ActionDuty}, {After: 180 * time.Second, Action: ActionOnCall}},
		xinqiao.LevelHigh:     {{After: 120 * time.Second, Action: ActionDuty}, {After: 600 * time.Second, Action: ActionOnCall}},
	}
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{
		Ladders:       DefaultLadders(),
		Grace:         90 * time.Second,
		Tick:          time.Second,
		PresenceEvery: 15 * time.Second,
		Attempts:      5,
		Backoff:       time.Second,
		MaxBackoff:    30 * time.Second,
		HTTPTimeout:   5 * time.Second,
		DutyHours:     DefaultDutyHours(),
		ReviewWithin:  time.Hour,
		// A student waiting for a teacher they asked for: the on-duty
		// counselors are reminded after 3 minutes, as a high handoff is
		// after 2; nobody is paged at night for it.
		RequestedLadder: []xinqiao.LadderStep{{After: 3 * time.Minute, Action: ActionDuty}},
	}
}

func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.Ladders == nil {
		c.Ladders = d.Ladders
	}
	if c.Grace <= 0 {
		c.Grace = d.Grace
	}
	if c.Tick <= 0 {
		c.Tick = d.Tick
	}
	if c.PresenceEvery <= 0 {
		c.PresenceEvery = min(d.PresenceEvery, c.Grace/4)
	}
	if c.Attempts <= 0 {
		c.Attempts = d.Attempts
	}
	if c.Backoff <= 0 {
		c.Backoff = d.Backoff
	}
	if c.MaxBackoff <= 0 {
		c.MaxBackoff = d.MaxBackoff
	}
	if c.HTTPTimeout <= 0 {
		c.HTTPTimeout = d.HTTPTimeout
	}
	if c.Client == nil {
		c.Client = &http.Client{Timeout: c.HTTPTimeout}
	}
	if c.DutyHours.IsZero() {
		c.DutyHours = d.DutyHours
	}
	if c.ReviewWithin <= 0 {
		c.ReviewWithin = d.ReviewWithin
	}
	if c.RequestedLadder == nil {
		c.RequestedLadder = d.RequestedLadder
	}
	return c
}

// Validate reports a configuration that cannot work, naming the field.
func (c Config) Validate() error {
	for level, steps := range c.Ladders {
		if xinqiao.LevelRank(level) < xinqiao.LevelRank(xinqiao.LevelHigh) {
			return fmt.Errorf("handoff ladder: level %q does not open handoffs (want high or imminent)", level)
		}
		for i, st := range steps {
			if st.After < 0 || (i > 0 && st.After < steps[i-1].After) {
				return fmt.Errorf("handoff ladder %s: step %d must come at or after the one before", level, i+1)
			}
			if st.Action != ActionDuty && st.Action != ActionOnCall {
				return fmt.Errorf("handoff ladder %s: step %d has action %q (want duty or oncall)", level, i+1, st.Action)
			}
		}
	}
	if !c.DutyHours.IsZero() && (c.DutyHours.From < 0 || c.DutyHours.To > 24*time.Hour || c.DutyHours.From >= c.DutyHours.To) {
		return fmt.Errorf("handoff: duty hours %v–%v must be a span within one day", c.DutyHours.From, c.DutyHours.To)
	}
	for i, st := range c.RequestedLadder {
		if st.After < 0 || (i > 0 && st.After < c.RequestedLadder[i-1].After) || (st.Action != ActionDuty && st.Action != ActionOnCall) {
			return fmt.Errorf("handoff: requested ladder step %d must come at or after the one before, with action duty or oncall", i+1)
		}
	}
	if c.PresenceEvery > 0 && c.Grace > 0 && c.PresenceEvery*3 > c.Grace {
		return fmt.Errorf("handoff: presence interval %v must be under a third of the grace period %v", c.PresenceEvery, c.Grace)
	}
	for _, t := range c.Targets {
		if err := t.validate(); err != nil {
			return err
		}
	}
	return nil
}

// Target kinds.
const (
	// KindWebhook posts a JSON object describing the alert; with a Secret,
	// the body is signed (X-Xinqiao-Signature: sha256=HMAC-SHA256 hex).
	KindWebhook = "webhook"
	// KindRobot posts {"msgtype":"text","text":{"content":...}}, which WeCom
	// (企业微信) and DingTalk (钉钉) group robots accept; with a Secret, the
	// URL is signed the DingTalk way (timestamp and sign parameters).
	KindRobot = "robot"
)

// Target is one place alerts go.
type Target struct {
	Name      string   `json:"name"`
	Kind      string   `json:"kind"`
	URL       string   `json:"url"`
	Secret    string   `json:"secret,omitempty"`
	Audiences []string `json:"audiences,omitempty"` // empty: every alert
}

// String names the target without its secret or the URL's key.
func (t Target) String() string {
	u, err := url.Parse(t.URL)
	host := "?"
	if err == nil {
		host = u.Host
	}
	return fmt.Sprintf("%s (%s, %s)", t.Name, t.Kind, host)
}

// wants reports whether the target receives alerts for an audience.
func (t Target) wants(audience string) bool {
	if len(t.Audiences) == 0 {
		return true
	}
	for _, a := range t.Audiences {
		if a == audience {
			return true
		}
	}
	return false
}

func (t Target) validate() error {
	u, err := url.Parse(t.URL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("alert target %q: url must be an http(s) URL", t.Name)
	}
	if t.Kind != KindWebhook && t.Kind != KindRobot {
		return fmt.Errorf("alert target %q: kind must be webhook or robot", t.Name)
	}
	return nil
}

// TargetFromURL makes a target receiving every alert from one URL (such as
// XINQIAO_ALERT_WEBHOOK): WeCom and DingTalk robot URLs get the robot
// payload, any other URL the generic JSON.
func TargetFromURL(raw, secret string) Target {
	t := Target{Name: "default", Kind: KindWebhook, URL: raw, Secret: secret}
	if u, err := url.Parse(raw); err == nil {
		h := strings.ToLower(u.Host)
		if h == "qyapi.weixin.qq.com" || h == "oapi.dingtalk.com" || strings.HasSuffix(h, ".dingtalk.com") {
			t.Kind = KindRobot
		}
	}
	return t
}

// ParseTargets reads a JSON array of targets, e.g. from an environment
// variable: [{"name":"district","kind":"robot","url":"…","secret":"…","audiences":["oncall"]}].
func ParseTargets(s string) ([]Target, error) {
	var ts []Target
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	if err := json.Unmarshal([]byte(s), &ts); err != nil {
		return nil, fmt.Errorf("alert targets: not a JSON array of {name, kind, url, secret, audiences}: %v", err)
	}
	for i := range ts {
		if ts[i].Name == "" {
			ts[i].Name = fmt.Sprintf("target%d", i+1)
		}
		if err := ts[i].validate(); err != nil {
			return nil, err
		}
	}
	return ts, nil
}
