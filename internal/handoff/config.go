package handoff

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
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

// DutyHours is a daily span of working hours, Monday to Friday, in the
// district's time zone (Guangzhou), as offsets from local midnight.
// Public holidays are not known here.
type DutyHours struct {
	From time.Duration `json:"from"`
	To   time.Duration `json:"to"`
}

// DefaultDutyHours are 08:00 to 18:00.
func DefaultDutyHours() DutyHours { return DutyHours{From: 8 * time.Hour, To: 18 * time.Hour} }

// In reports whether t falls within duty hours.
func (d DutyHours) In(t time.Time) bool {
	l := t.In(schoolZone)
	if wd := l.Weekday(); wd == time.Saturday || wd == time.Sunday {
		return false
	}
	since := l.Sub(time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, schoolZone))
	return since >= d.From && since < d.To
}

// Next returns t when it falls within duty hours, else the start of the
// next duty period after it.
func (d DutyHours) Next(t time.Time) time.Time {
	if d.In(t) {
		return t
	}
	l := t.In(schoolZone)
	day := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, schoolZone)
	for i := 0; i < 8; i++ {
		start := day.Add(d.From)
		if wd := day.Weekday(); wd != time.Saturday && wd != time.Sunday && start.After(t) {
			return start.UTC()
		}
		day = day.AddDate(0, 0, 1)
	}
	return t // unreachable with a valid span
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
	if c.DutyHours == (DutyHours{}) {
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
	if c.DutyHours != (DutyHours{}) && (c.DutyHours.From < 0 || c.DutyHours.To > 24*time.Hour || c.DutyHours.From >= c.DutyHours.To) {
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
