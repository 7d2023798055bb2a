package handoff

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"xinqiao/internal/xinqiao"
)

// Alert events.
const (
	EventOpened     = "opened"     // a handoff opened or its level rose
	EventEscalation = "escalation" // a ladder step fired
	EventNoDuty     = "no_duty"    // a handoff opened while nobody was on duty
	EventReleased   = "released"   // a handoff returned to the queue after its counselor's grace period
)

// Alert is what a target is told. It carries no message text: only the
// level, categories, where the terminal is and how long the student waited.
type Alert struct {
	Event          string    `json:"event"`
	Audience       string    `json:"audience"`
	HandoffID      string    `json:"handoff_id"`
	Kind           string    `json:"kind"` // urgent, requested or review
	ConversationID string    `json:"conversation_id"`
	Level          string    `json:"level"`
	Categories     []string  `json:"categories"`
	School         string    `json:"school,omitempty"`
	Place          string    `json:"place,omitempty"`
	Step           int       `json:"step,omitempty"`
	WaitedSeconds  int       `json:"waited_seconds"`
	OnDuty         int       `json:"on_duty"`
	Text           string    `json:"text"`
	Console        string    `json:"console,omitempty"`
	At             time.Time `json:"at"`
}

var levelZH = map[string]string{xinqiao.LevelImminent: "紧急", xinqiao.LevelHigh: "高风险", xinqiao.LevelMedium: "中风险",
	xinqiao.LevelLow: "低风险", xinqiao.LevelNone: "无风险"}

var categoryZH = map[string]string{
	"suicide": "自杀", "self_harm": "自伤", "abuse": "受虐", "violence": "暴力", "bullying": "欺凌", "crisis": "危机",
}

// text renders the alert for people, in Chinese, without any student words.
func (a Alert) text(onCall string) string {
	var b strings.Builder
	b.WriteString("【心桥】")
	b.WriteString(levelZH[a.Level])
	switch a.Kind {
	case xinqiao.KindReview:
		b.WriteString("待阅")
	case xinqiao.KindRequested:
		b.WriteString("找老师")
	default:
		b.WriteString("求助")
	}
	switch {
	case a.Event == EventOpened && a.Kind == xinqiao.KindRequested:
		b.WriteString("：有学生请求和老师聊聊，请尽快接手。")
	case a.Event == EventOpened:
		b.WriteString("：有学生需要老师，请尽快接手。")
	case a.Event == EventEscalation && a.Kind == xinqiao.KindReview:
		b.WriteString("：一段中风险对话还没有老师看过，请今天内阅读并决定是否跟进。")
	case a.Event == EventEscalation:
		fmt.Fprintf(&b, "已等待 %d 秒仍无人接手（第 %d 级升级）。", a.WaitedSeconds, a.Step)
		if a.Audience == ActionOnCall && onCall != "" {
			fmt.Fprintf(&b, "请区值班联系人（%s）立即处理。", onCall)
		}
	case a.Event == EventNoDuty:
		b.WriteString("：现在没有老师在值班。学生已看到热线电话；请值班负责人安排，或下一个上学日第一时间跟进。")
	case a.Event == EventReleased:
		b.WriteString("：接手的老师已断线超过宽限时间，对话已回到队列，请其他老师接手。")
	}
	where := strings.TrimSpace(strings.Join([]string{a.School, a.Place}, " · "))
	if where == "·" || where == "" {
		where = "未登记终端"
	}
	fmt.Fprintf(&b, "\n地点：%s", where)
	if len(a.Categories) > 0 {
		cs := make([]string, len(a.Categories))
		for i, c := range a.Categories {
			if zh, ok := categoryZH[c]; ok {
				cs[i] = zh
			} else {
				cs[i] = c
			}
		}
		fmt.Fprintf(&b, "\n类别：%s", strings.Join(cs, "、"))
	}
	fmt.Fprintf(&b, "\n在岗老师：%d 人", a.OnDuty)
	if a.Console != "" {
		fmt.Fprintf(&b, "\n值班台：%s", a.Console)
	}
	return b.String()
}

// alert queues delivery of a to every target that wants its audience. It
// returns at once; deliveries run in the background with retries, and
// every attempt is recorded in the store.
func (s *Service) alert(a Alert) { s.alertThen(a, nil) }

// alertThen is alert, then done (when set) once every delivery has ended,
// with whether a target accepted the alert; no target wanting it counts
// as delivered (the consoles were told by the event), and done is then
// called before alertThen returns. Drain waits for done too.
func (s *Service) alertThen(a Alert, done func(delivered bool)) {
	a.Console = s.cfg.ConsoleURL
	if a.At.IsZero() {
		a.At = s.now()
	}
	a.Text = a.text(s.cfg.OnCallContact)
	s.publish(context.Background(), xinqiao.Event{Kind: "alert", ConversationID: a.ConversationID, HandoffID: a.HandoffID, Seq: int64(a.Step)})
	var targets []Target
	for _, t := range s.cfg.Targets {
		if t.wants(a.Audience) {
			targets = append(targets, t)
		}
	}
	if len(targets) == 0 {
		if done != nil {
			done(true)
		}
		return
	}
	var left atomic.Int32
	var accepted atomic.Bool
	left.Store(int32(len(targets)))
	for _, t := range targets {
		s.inflight.Add(1)
		go func() {
			defer s.inflight.Done()
			s.sem <- struct{}{}
			ok := s.deliver(s.bg, t, a)
			<-s.sem
			if ok {
				accepted.Store(true)
			}
			if left.Add(-1) == 0 && done != nil {
				done(accepted.Load())
			}
		}()
	}
}

// Drain waits until every queued alert is delivered or given up, or ctx
// ends. Shutdown and tests use it.
func (s *Service) Drain(ctx context.Context) error {
	done := make(chan struct{})
	go func() { s.inflight.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// deliver tries one target until it accepts, a try fails for good, or the
// attempts run out, recording each try; it reports whether it accepted.
func (s *Service) deliver(ctx context.Context, t Target, a Alert) bool {
	wait := s.cfg.Backoff
	for attempt := 1; attempt <= s.cfg.Attempts; attempt++ {
		status, err := s.post(ctx, t, a)
		rec := xinqiao.AlertAttempt{HandoffID: a.HandoffID, Event: a.Event, Audience: a.Audience, Target: t.Name,
			Attempt: attempt, OK: err == nil, Status: status, At: s.now()}
		if err != nil {
			rec.Error = err.Error()
		}
		rctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if rerr := s.store.RecordAlertAttempt(rctx, rec); rerr != nil {
			s.log.Warn("record alert attempt failed", "handoff", a.HandoffID, "err", rerr)
		}
		cancel()
		if err == nil {
			alertsSent.WithLabelValues(a.Event, "ok").Inc()
			return true
		}
		permanent := status >= 400 && status < 500 && status != http.StatusTooManyRequests && status != http.StatusRequestTimeout
		s.log.Warn("alert delivery failed", "target", t.String(), "handoff", a.HandoffID, "attempt", attempt, "status", status, "err", err, "permanent", permanent)
		if permanent || attempt == s.cfg.Attempts {
			break
		}
		select {
		case <-ctx.Done():
			alertsSent.WithLabelValues(a.Event, "failed").Inc()
			return false
		case <-time.After(wait):
		}
		wait = min(wait*2, s.cfg.MaxBackoff)
	}
	alertsSent.WithLabelValues(a.Event, "failed").Inc()
	s.log.Error("alert not delivered", "target", t.String(), "handoff", a.HandoffID, "event", a.Event)
	return false
}

// robotPayload is the WeCom/DingTalk group-robot text message.
type robotPayload struct {
	MsgType string `json:"msgtype"`
	Text    struct {
		Content string `json:"content"`
	} `json:"text"`
}

// post makes one delivery attempt and returns the HTTP status (0 when none
// came back) and an error unless the target accepted the alert.
func (s *Service) post(ctx context.Context, t Target, a Alert) (int, error) {
	var body []byte
	var err error
	target := t.URL
	hdr := http.Header{"Content-Type": {"application/json; charset=utf-8"}}
	switch t.Kind {
	case KindRobot:
		var p robotPayload
		p.MsgType, p.Text.Content = "text", a.Text
		body, err = json.Marshal(p)
		if t.Secret != "" {
			target = signDingTalk(t.URL, t.Secret, s.now())
		}
	default:
		body, err = json.Marshal(a)
		if t.Secret != "" {
			ts := strconv.FormatInt(s.now().Unix(), 10)
			mac := hmac.New(sha256.New, []byte(t.Secret))
			mac.Write([]byte(ts + "."))
			mac.Write(body)
			hdr.Set("X-Xinqiao-Timestamp", ts)
			hdr.Set("X-Xinqiao-Signature", "sha256="+hex.EncodeToString(mac.Sum(nil)))
		}
	}
	if err != nil {
		return 0, err
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.HTTPTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return 0, fmt.Errorf("build request: %w", err)
	}
	req.Header = hdr
	resp, err := s.cfg.Client.Do(req)
	if err != nil {
		return 0, redactURL(err)
	}
	defer resp.Body.Close()
	rb, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode/100 != 2 {
		return resp.StatusCode, fmt.Errorf("status %d", resp.StatusCode)
	}
	if t.Kind == KindRobot {
		// Robots answer 200 with {"errcode": N, "errmsg": "..."}; 0 is success.
		var r struct {
			ErrCode *int   `json:"errcode"`
			ErrMsg  string `json:"errmsg"`
		}
		if json.Unmarshal(rb, &r) == nil && r.ErrCode != nil && *r.ErrCode != 0 {
			return resp.StatusCode, fmt.Errorf("robot errcode %d: %.100s", *r.ErrCode, r.ErrMsg)
		}
	}
	return resp.StatusCode, nil
}

// signDingTalk adds DingTalk's 加签 parameters: timestamp in ms and
// sign = base64(HMAC-SHA256(secret, timestamp + "\n" + secret)).
func signDingTalk(raw, secret string, now time.Time) string {
	ts := strconv.FormatInt(now.UnixMilli(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts + "\n" + secret))
	sign := base64.StdEncoding.EncodeToString(mac.Sum(nil))
	sep := "?"
	if strings.Contains(raw, "?") {
		sep = "&"
	}
	return raw + sep + "timestamp=" + ts + "&sign=" + url.QueryEscape(sign)
}

// redactURL keeps a transport error's kind but drops the URL, whose query
// may hold a robot's key.
func redactURL(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return fmt.Errorf("%s: %v", ue.Op, ue.Err)
	}
	return err
}
