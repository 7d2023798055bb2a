package handoff

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"xinqiao/internal/xinqiao"
)

// Transcript is a conversation as a counselor reads it: every message with
// its risk mark, and the conversation's handoffs.
type Transcript struct {
	Conversation xinqiao.Conversation `json:"conversation"`
	Messages     []xinqiao.Message    `json:"messages"`
	Handoffs     []xinqiao.Handoff    `json:"handoffs"`
	Brief        Brief                `json:"brief"`
}

// Transcript returns a conversation for a staff member who may see it. The
// caller audits the read before serving it.
func (s *Service) Transcript(ctx context.Context, st xinqiao.Staff, conversationID string) (Transcript, error) {
	conv, err := s.store.Conversation(ctx, conversationID)
	if err != nil {
		return Transcript{}, err
	}
	if !CanSee(st, xinqiao.Handoff{School: conv.School}) {
		return Transcript{}, xinqiao.Errorf(xinqiao.ENOTFOUND, "conversation not found")
	}
	var msgs []xinqiao.Message
	for after := int64(0); ; {
		batch, err := s.store.Messages(ctx, conversationID, after, 500)
		if err != nil {
			return Transcript{}, err
		}
		msgs = append(msgs, batch...)
		if len(batch) < 500 {
			break
		}
		after = batch[len(batch)-1].Seq
	}
	if msgs == nil {
		msgs = []xinqiao.Message{}
	}
	hs, err := s.store.Handoffs(ctx, xinqiao.HandoffFilter{ConversationID: conversationID})
	if err != nil {
		return Transcript{}, err
	}
	if hs == nil {
		hs = []xinqiao.Handoff{}
	}
	brief := MakeBrief(msgs, s.now())
	brief.AISummary = s.writtenBrief(ctx, conv, msgs)
	return Transcript{Conversation: conv, Messages: msgs, Handoffs: hs, Brief: brief}, nil
}

// Summarizer writes a short brief of a conversation for the counselor taking
// it over, e.g. with the configured LLM.
type Summarizer interface {
	Summarize(ctx context.Context, msgs []xinqiao.Message) (string, error)
}

// briefTimeout bounds the wait for a written brief: the console shows the
// extractive brief at once either way.
const briefTimeout = 8 * time.Second

// writtenBrief returns the Summarizer's brief of the conversation, cached
// until a new message arrives, or "" when there is no Summarizer, nothing
// the student said, or the Summarizer failed (logged, never fatal).
func (s *Service) writtenBrief(ctx context.Context, conv xinqiao.Conversation, msgs []xinqiao.Message) string {
	if s.cfg.Summarizer == nil || len(msgs) == 0 {
		return ""
	}
	last := msgs[len(msgs)-1].Seq
	s.briefMu.Lock()
	b, ok := s.briefs[conv.ID]
	s.briefMu.Unlock()
	if ok && b.seq == last {
		return b.text
	}
	ctx, cancel := context.WithTimeout(ctx, briefTimeout)
	defer cancel()
	text, err := s.cfg.Summarizer.Summarize(ctx, msgs)
	if err != nil {
		s.log.Warn("written brief failed; the extractive brief stands", "conversation", conv.ID, "err", err)
		return ""
	}
	s.briefMu.Lock()
	if s.briefs == nil {
		s.briefs = map[string]aiBrief{}
	}
	if len(s.briefs) > 1000 { // bounded: a node holds the briefs of its recent handoffs only
		clear(s.briefs)
	}
	s.briefs[conv.ID] = aiBrief{seq: last, text: text}
	s.briefMu.Unlock()
	return text
}

// Brief is a short extractive summary so the counselor never has to ask the
// student to repeat: counts, the levels and rules that matched, and the
// flagged sentences themselves.
type Brief struct {
	Summary string `json:"summary"`
	// AISummary is the written brief when an LLM is configured; the page
	// labels it as AI-generated.
	AISummary string      `json:"ai_summary,omitempty"`
	Flagged   []BriefLine `json:"flagged"`
	Rules     []string    `json:"rules"`
	Messages  int         `json:"messages"`
}

// BriefLine is one flagged student message, cut around its matched spans.
type BriefLine struct {
	Seq     int64    `json:"seq"`
	Level   string   `json:"level"`
	Excerpt string   `json:"excerpt"`
	Rules   []string `json:"rules"`
	At      string   `json:"at"`
}

// MakeBrief builds the extractive brief of a transcript: the last six
// flagged student messages (excerpts of up to 120 characters around what
// matched) and one line of counts.
func MakeBrief(msgs []xinqiao.Message, now time.Time) Brief {
	b := Brief{Flagged: []BriefLine{}, Rules: []string{}}
	top, students := "", 0
	var first, last time.Time
	seen := map[string]bool{}
	var cats []string
	for _, m := range msgs {
		if m.Role != xinqiao.RoleStudent {
			continue
		}
		students++
		if first.IsZero() {
			first = m.CreatedAt
		}
		last = m.CreatedAt
		if m.Risk == nil || xinqiao.LevelRank(m.Risk.Level) < xinqiao.LevelRank(xinqiao.LevelMedium) {
			continue
		}
		if xinqiao.LevelRank(m.Risk.Level) > xinqiao.LevelRank(top) {
			top = m.Risk.Level
		}
		for _, r := range m.Risk.Rules {
			if !seen["r:"+r] {
				seen["r:"+r] = true
				b.Rules = append(b.Rules, r)
			}
		}
		for _, c := range m.Risk.Categories {
			if !seen["c:"+c] {
				seen["c:"+c] = true
				cats = append(cats, c)
			}
		}
		b.Flagged = append(b.Flagged, BriefLine{Seq: m.Seq, Level: m.Risk.Level, Excerpt: excerpt(m.Text, m.Risk.Spans, 120),
			Rules: m.Risk.Rules, At: m.CreatedAt.Format(time.RFC3339)})
	}
	if len(b.Flagged) > 6 {
		b.Flagged = b.Flagged[len(b.Flagged)-6:]
	}
	b.Messages = students
	var sb strings.Builder
	fmt.Fprintf(&sb, "学生共发了 %d 条消息", students)
	if top != "" {
		fmt.Fprintf(&sb, "，其中被标记的最高等级为 %s（%s）", levelZH[top]+"/"+top, zhCategories(cats))
	}
	if !first.IsZero() {
		fmt.Fprintf(&sb, "；对话开始于 %s 前，最后一条在 %s 前", ago(now.Sub(first)), ago(now.Sub(last)))
	}
	sb.WriteString("。")
	b.Summary = sb.String()
	return b
}

func zhCategories(cs []string) string {
	out := make([]string, len(cs))
	for i, c := range cs {
		if zh, ok := categoryZH[c]; ok {
			out[i] = zh
		} else {
			out[i] = c
		}
	}
	return strings.Join(out, "、")
}

func ago(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d 秒", max(int(d.Seconds()), 0))
	case d < time.Hour:
		return fmt.Sprintf("%d 分钟", int(d.Minutes()))
	}
	return fmt.Sprintf("%d 小时", int(d.Hours()))
}

// excerpt cuts text around the matched spans to at most n runes, marking
// cuts with "…".
func excerpt(text string, spans []xinqiao.Span, n int) string {
	rs := []rune(text)
	if len(rs) <= n {
		return text
	}
	start := 0
	if len(spans) > 0 {
		start = max(spans[0].Start-n/3, 0)
	}
	end := min(start+n, len(rs))
	start = max(end-n, 0)
	out := string(rs[start:end])
	if start > 0 {
		out = "…" + out
	}
	if end < len(rs) {
		out += "…"
	}
	return out
}

// CaseView is a case with everything filed under it.
type CaseView struct {
	Case      xinqiao.Case       `json:"case"`
	Handoffs  []xinqiao.Handoff  `json:"handoffs"`
	Notes     []xinqiao.CaseNote `json:"notes"`
	Referrals []xinqiao.Referral `json:"referrals"`
	FollowUps []xinqiao.FollowUp `json:"follow_ups"`
}

// CaseView returns a case a staff member may see (the caller audits the read).
func (s *Service) CaseView(ctx context.Context, st xinqiao.Staff, id string) (CaseView, error) {
	c, err := s.caseFor(ctx, st, id)
	if err != nil {
		return CaseView{}, err
	}
	v := CaseView{Case: c}
	if v.Handoffs, err = s.store.Handoffs(ctx, xinqiao.HandoffFilter{CaseID: id}); err != nil {
		return v, err
	}
	if v.Notes, err = s.store.CaseNotes(ctx, id); err != nil {
		return v, err
	}
	if v.Referrals, err = s.store.Referrals(ctx, id); err != nil {
		return v, err
	}
	if v.FollowUps, err = s.store.FollowUps(ctx, id); err != nil {
		return v, err
	}
	v.Handoffs, v.Notes, v.Referrals, v.FollowUps = nonNil(v.Handoffs), nonNil(v.Notes), nonNil(v.Referrals), nonNil(v.FollowUps)
	return v, nil
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func (s *Service) caseFor(ctx context.Context, st xinqiao.Staff, id string) (xinqiao.Case, error) {
	c, err := s.store.Case(ctx, id)
	if err != nil {
		return c, err
	}
	if !CanSee(st, xinqiao.Handoff{School: c.School}) {
		return xinqiao.Case{}, xinqiao.Errorf(xinqiao.ENOTFOUND, "case not found")
	}
	return c, nil
}

// Cases lists cases for a supervisor; a supervisor of one school sees that
// school's cases and those from no registered terminal.
func (s *Service) Cases(ctx context.Context, st xinqiao.Staff, f xinqiao.CaseFilter) ([]xinqiao.Case, error) {
	if !st.Can(xinqiao.RoleSupervisor) {
		return nil, xinqiao.Errorf(xinqiao.EFORBIDDEN, "listing cases needs the supervisor role")
	}
	all, err := s.store.Cases(ctx, f)
	if err != nil {
		return nil, err
	}
	out := []xinqiao.Case{}
	for _, c := range all {
		if CanSee(st, xinqiao.Handoff{School: c.School}) {
			out = append(out, c)
		}
	}
	return out, nil
}

func checkText(what, text string) (string, error) {
	text = strings.TrimSpace(text)
	if text == "" || utf8.RuneCountInString(text) > MaxTextLen {
		return "", xinqiao.Errorf(xinqiao.EINVALID, "%s must be 1 to %d characters", what, MaxTextLen)
	}
	return text, nil
}

// AddNote files a private note on a case, optionally about one handoff.
func (s *Service) AddNote(ctx context.Context, st xinqiao.Staff, caseID, handoffID, text string) (xinqiao.CaseNote, error) {
	text, err := checkText("note", text)
	if err != nil {
		return xinqiao.CaseNote{}, err
	}
	if _, err := s.caseFor(ctx, st, caseID); err != nil {
		return xinqiao.CaseNote{}, err
	}
	if err := s.handoffOfCase(ctx, caseID, handoffID); err != nil {
		return xinqiao.CaseNote{}, err
	}
	n, err := s.store.AddCaseNote(ctx, xinqiao.CaseNote{CaseID: caseID, HandoffID: handoffID, Author: st.ID, Text: text, At: s.now()})
	n.AuthorName = st.DisplayName
	return n, err
}

// AddReferral records a referral on a case.
func (s *Service) AddReferral(ctx context.Context, st xinqiao.Staff, caseID, handoffID, kind, detail string) (xinqiao.Referral, error) {
	if !xinqiao.ValidReferral(kind) {
		return xinqiao.Referral{}, xinqiao.Errorf(xinqiao.EINVALID,
			"kind must be one of hospital_green_channel, parents_informed, police_110, ambulance_120, school_leadership, other")
	}
	if utf8.RuneCountInString(detail) > MaxTextLen {
		return xinqiao.Referral{}, xinqiao.Errorf(xinqiao.EINVALID, "detail is too long")
	}
	if _, err := s.caseFor(ctx, st, caseID); err != nil {
		return xinqiao.Referral{}, err
	}
	if err := s.handoffOfCase(ctx, caseID, handoffID); err != nil {
		return xinqiao.Referral{}, err
	}
	return s.store.AddReferral(ctx, xinqiao.Referral{CaseID: caseID, HandoffID: handoffID, Kind: kind, Detail: detail, By: st.ID, At: s.now()})
}

// AddFollowUp adds a follow-up task with a due date to a case.
func (s *Service) AddFollowUp(ctx context.Context, st xinqiao.Staff, caseID, task string, due time.Time, assignee string) (xinqiao.FollowUp, error) {
	task, err := checkText("task", task)
	if err != nil {
		return xinqiao.FollowUp{}, err
	}
	if due.IsZero() {
		return xinqiao.FollowUp{}, xinqiao.Errorf(xinqiao.EINVALID, "due is required (RFC 3339)")
	}
	c, err := s.caseFor(ctx, st, caseID)
	if err != nil {
		return xinqiao.FollowUp{}, err
	}
	if assignee == "" {
		assignee = st.ID
	} else if len(assignee) > 64 {
		return xinqiao.FollowUp{}, xinqiao.Errorf(xinqiao.EINVALID, "assignee must be a staff id")
	} else {
		to, err := s.store.StaffByID(ctx, assignee)
		if xinqiao.ErrorCode(err) == xinqiao.ENOTFOUND {
			return xinqiao.FollowUp{}, xinqiao.Errorf(xinqiao.EINVALID, "no staff account %q", assignee)
		} else if err != nil {
			return xinqiao.FollowUp{}, err
		}
		if !CanSee(to, xinqiao.Handoff{School: c.School}) || !sameSchool(st, to) {
			return xinqiao.FollowUp{}, xinqiao.Errorf(xinqiao.EINVALID, "no counselor %q of this case's school", assignee)
		}
	}
	return s.store.AddFollowUp(ctx, xinqiao.FollowUp{CaseID: caseID, Task: task, Due: due, Assignee: assignee, CreatedBy: st.ID, CreatedAt: s.now()})
}

// sameSchool reports whether two staff members may share work: both of one
// school, or either one district staff (no school).
func sameSchool(a, b xinqiao.Staff) bool {
	return a.School == "" || b.School == "" || a.School == b.School
}

// handoffOfCase checks that a note or referral's handoff, when given, is
// one filed under the case: a handoff of another case (or school) is
// EINVALID, without saying anything about it.
func (s *Service) handoffOfCase(ctx context.Context, caseID, handoffID string) error {
	if handoffID == "" {
		return nil
	}
	h, err := s.store.Handoff(ctx, handoffID)
	if xinqiao.ErrorCode(err) == xinqiao.ENOTFOUND || (err == nil && h.CaseID != caseID) {
		return xinqiao.Errorf(xinqiao.EINVALID, "handoff_id is not a handoff of this case")
	}
	return err
}

// followUpFor returns a follow-up whose case the staff member may see;
// another school's is ENOTFOUND, as its case is.
func (s *Service) followUpFor(ctx context.Context, st xinqiao.Staff, id int64) (xinqiao.FollowUp, error) {
	f, err := s.store.FollowUp(ctx, id)
	if err != nil {
		return f, err
	}
	if _, err := s.caseFor(ctx, st, f.CaseID); err != nil {
		return xinqiao.FollowUp{}, xinqiao.Errorf(xinqiao.ENOTFOUND, "follow-up not found")
	}
	return f, nil
}

// CompleteFollowUp marks a follow-up done, if its case is one the staff
// member may see.
func (s *Service) CompleteFollowUp(ctx context.Context, st xinqiao.Staff, id int64) (xinqiao.FollowUp, error) {
	if _, err := s.followUpFor(ctx, st, id); err != nil {
		return xinqiao.FollowUp{}, err
	}
	return s.store.CompleteFollowUp(ctx, id, st.ID, s.now())
}

// OpenFollowUps lists the open follow-ups a staff member works on: a
// supervisor's are every one of the cases they may see, a counselor's those
// assigned to or created by them (and still in a case they may see).
func (s *Service) OpenFollowUps(ctx context.Context, st xinqiao.Staff) ([]xinqiao.FollowUp, error) {
	all, err := s.store.FollowUps(ctx, "")
	if err != nil {
		return nil, err
	}
	visible := map[string]bool{}
	out := []xinqiao.FollowUp{}
	for _, f := range all {
		if !st.Can(xinqiao.RoleSupervisor) && f.Assignee != st.ID && f.CreatedBy != st.ID {
			continue
		}
		ok, seen := visible[f.CaseID]
		if !seen {
			_, err := s.caseFor(ctx, st, f.CaseID)
			if err != nil && xinqiao.ErrorCode(err) != xinqiao.ENOTFOUND {
				return nil, err
			}
			ok = err == nil
			visible[f.CaseID] = ok
		}
		if ok {
			out = append(out, f)
		}
	}
	return out, nil
}

// UpdateCase renames a case (e.g. to a pseudonym the school uses) or opens
// or closes it.
func (s *Service) UpdateCase(ctx context.Context, st xinqiao.Staff, id, subject, status string) (xinqiao.Case, error) {
	if _, err := s.caseFor(ctx, st, id); err != nil {
		return xinqiao.Case{}, err
	}
	if subject != "" {
		if utf8.RuneCountInString(subject) > 64 {
			return xinqiao.Case{}, xinqiao.Errorf(xinqiao.EINVALID, "subject is longer than 64 characters")
		}
		if err := s.store.SetCaseSubject(ctx, id, subject, s.now()); err != nil {
			return xinqiao.Case{}, err
		}
	}
	switch status {
	case "":
	case xinqiao.CaseOpen, xinqiao.CaseClosed:
		if err := s.store.SetCaseStatus(ctx, id, status, s.now()); err != nil {
			return xinqiao.Case{}, err
		}
	default:
		return xinqiao.Case{}, xinqiao.Errorf(xinqiao.EINVALID, "status must be open or closed")
	}
	return s.store.Case(ctx, id)
}

// ChatPort adapts the service to the student pipeline's interface
// (chat.Handoffs): Open by plain arguments, returning the on-duty count.
type ChatPort struct{ s *Service }

// ForChat returns the adapter the chat pipeline takes.
func (s *Service) ForChat() ChatPort { return ChatPort{s} }

// Open opens or raises the conversation's handoff of a kind; see Service.Open.
func (p ChatPort) Open(ctx context.Context, kind, conversationID, level string, categories, rules []string, seq int64) (onDuty int, created bool, err error) {
	r, err := p.s.Open(ctx, OpenRequest{ConversationID: conversationID, Kind: kind, Level: level, Categories: categories, Rules: rules, MessageSeq: seq})
	return r.OnDuty, r.Created, err
}

// StudentState is Service.StudentState.
func (p ChatPort) StudentState(ctx context.Context, conversationID string) (state, counselor, kind string, ok bool, err error) {
	return p.s.StudentState(ctx, conversationID)
}

// OnDuty counts the counselors on duty now who would see the
// conversation, and reports whether it is within duty hours.
func (p ChatPort) OnDuty(ctx context.Context, conversationID string) (n int, inHours bool, err error) {
	conv, err := p.s.store.Conversation(ctx, conversationID)
	if err != nil {
		return 0, false, err
	}
	n, err = p.s.OnDuty(ctx, conv.School)
	return n, p.s.InDutyHours(p.s.now()), err
}
