package riskrules

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"xinqiao/internal/handoff"
	"xinqiao/internal/xinqiao"
)

// Labels: a counselor marks a student's message 风险 / 无风险 / 不确定 in the
// console; the district exports its labelled messages ("xinqiao risk
// export") to measure the classifier on them and to retrain the model with
// them ("xinqiao risk train --extra").

// labelable returns the message seq of a conversation st may label: a
// student's message the classifier flagged (medium or above), or any
// student's message of a conversation that had a handoff.
func (s *Service) labelable(ctx context.Context, st xinqiao.Staff, conversationID string, seq int64) error {
	if seq < 1 {
		return xinqiao.Errorf(xinqiao.EINVALID, "seq must be a message number from 1")
	}
	conv, err := s.store.Conversation(ctx, conversationID)
	if err != nil {
		return err
	}
	if !handoff.CanSee(st, xinqiao.Handoff{School: conv.School}) {
		return xinqiao.Errorf(xinqiao.ENOTFOUND, "conversation not found")
	}
	ms, err := s.store.Messages(ctx, conversationID, seq-1, 1)
	if err != nil {
		return err
	}
	if len(ms) == 0 || ms[0].Seq != seq {
		return xinqiao.Errorf(xinqiao.ENOTFOUND, "message %d of this conversation not found", seq)
	}
	m := ms[0]
	if m.Role != xinqiao.RoleStudent {
		return xinqiao.Errorf(xinqiao.EINVALID, "message %d is not a student's message; only students' messages are labelled", seq)
	}
	if m.Risk != nil && xinqiao.LevelRank(m.Risk.Level) >= xinqiao.LevelRank(xinqiao.LevelMedium) {
		return nil
	}
	hs, err := s.store.Handoffs(ctx, xinqiao.HandoffFilter{ConversationID: conversationID, Limit: 1})
	if err != nil {
		return err
	}
	if len(hs) == 0 {
		return xinqiao.Errorf(xinqiao.EINVALID, "message %d was not flagged and its conversation had no handoff; label flagged messages and the messages of a handoff", seq)
	}
	return nil
}

// SetLabel records st's label for a student's message. The caller audits it.
func (s *Service) SetLabel(ctx context.Context, st xinqiao.Staff, conversationID string, seq int64, label string) (xinqiao.RiskLabel, error) {
	if !xinqiao.ValidLabel(label) {
		return xinqiao.RiskLabel{}, xinqiao.Errorf(xinqiao.EINVALID, "label must be risk (风险), none (无风险) or unsure (不确定)")
	}
	if err := s.labelable(ctx, st, conversationID, seq); err != nil {
		return xinqiao.RiskLabel{}, err
	}
	return s.store.SetRiskLabel(ctx, xinqiao.RiskLabel{ConversationID: conversationID, Seq: seq, Label: label,
		Source: xinqiao.LabelByCounselor, StaffID: st.ID, UpdatedAt: time.Now()})
}

// Labels lists the labels of a conversation st may see.
func (s *Service) Labels(ctx context.Context, st xinqiao.Staff, conversationID string) ([]xinqiao.RiskLabel, error) {
	conv, err := s.store.Conversation(ctx, conversationID)
	if err != nil {
		return nil, err
	}
	if !handoff.CanSee(st, xinqiao.Handoff{School: conv.School}) {
		return nil, xinqiao.Errorf(xinqiao.ENOTFOUND, "conversation not found")
	}
	return s.store.RiskLabels(ctx, conversationID)
}

// ExportSummary counts what Export wrote.
type ExportSummary struct {
	Rows   int
	Risk   int
	None   int
	Unsure int
	// Scrubbed counts the rows in which a staff member's, a school's or a
	// place's name was replaced.
	Scrubbed int
}

// ExportStore is what Export reads: the labels, and the names to scrub.
type ExportStore interface {
	xinqiao.RiskLabelStore
	ListStaff(ctx context.Context) ([]xinqiao.Staff, error)
	Terminals(ctx context.Context) ([]xinqiao.Terminal, error)
}

// Placeholders that stand for the names Export scrubs.
const (
	PlaceholderName   = "[姓名]"
	PlaceholderSchool = "[学校]"
	PlaceholderPlace  = "[地点]"
)

// Export writes the district's labelled messages as JSONL, one
// xinqiao.LabelledMessage a line ({"text","label","level","question"}: no
// names, no ids), the shape "xinqiao risk eval" and "xinqiao risk train
// --extra" read. The names the store knows are scrubbed from the text and
// the question (a counselor's 我是王老师, a student's 我们七中): every staff
// display name becomes PlaceholderName, every school PlaceholderSchool and
// every terminal's place PlaceholderPlace, longest first. A district with
// no labels yet is an error saying so, and nothing is written.
func Export(ctx context.Context, store ExportStore, w io.Writer) (ExportSummary, error) {
	var sum ExportSummary
	scrub, err := scrubber(ctx, store)
	if err != nil {
		return sum, err
	}
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	err = store.LabelledMessages(ctx, func(m xinqiao.LabelledMessage) error {
		sum.Rows++
		switch m.Label {
		case xinqiao.LabelRisk:
			sum.Risk++
		case xinqiao.LabelNone:
			sum.None++
		default:
			sum.Unsure++
		}
		text, question := scrub.Replace(m.Text), scrub.Replace(m.Question)
		if text != m.Text || question != m.Question {
			sum.Scrubbed++
		}
		m.Text, m.Question = text, question
		return enc.Encode(m)
	})
	if err != nil {
		return sum, err
	}
	if sum.Rows == 0 {
		return sum, xinqiao.Errorf(xinqiao.ENOTFOUND, "the district has no labelled messages yet: counselors label messages in the console (风险 / 无风险 / 不确定), or a handoff's outcome labels its flagged messages when it closes")
	}
	return sum, bw.Flush()
}

// scrubber replaces the staff display names, schools and places the store
// knows with their placeholders, the longest name first (王老师 before a
// staff member called 王老). A name of one character is left: it would
// take the same character out of every other word.
func scrubber(ctx context.Context, store ExportStore) (*strings.Replacer, error) {
	staff, err := store.ListStaff(ctx)
	if err != nil {
		return nil, fmt.Errorf("read the staff names to scrub: %w", err)
	}
	terms, err := store.Terminals(ctx)
	if err != nil {
		return nil, fmt.Errorf("read the school and place names to scrub: %w", err)
	}
	with := map[string]string{}
	add := func(name, placeholder string) {
		name = strings.TrimSpace(name)
		if _, ok := with[name]; !ok && utf8.RuneCountInString(name) >= 2 {
			with[name] = placeholder
		}
	}
	for _, st := range staff {
		add(st.DisplayName, PlaceholderName)
	}
	for _, st := range staff {
		add(st.School, PlaceholderSchool)
	}
	for _, t := range terms {
		add(t.School, PlaceholderSchool)
	}
	for _, t := range terms {
		add(t.Place, PlaceholderPlace)
	}
	names := make([]string, 0, len(with))
	for n := range with {
		names = append(names, n)
	}
	// strings.Replacer tries its pairs in order at each position.
	sort.Slice(names, func(i, j int) bool {
		if a, b := len(names[i]), len(names[j]); a != b {
			return a > b
		}
		return names[i] < names[j]
	})
	pairs := make([]string, 0, 2*len(names))
	for _, n := range names {
		pairs = append(pairs, n, with[n])
	}
	return strings.NewReplacer(pairs...), nil
}
