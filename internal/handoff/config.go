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
