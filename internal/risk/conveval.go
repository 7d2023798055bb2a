package risk

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
)

// Roles of a conversation's turns in EvalConversations' input.
const (
	roleStudent   = "student"
	roleAssistant = "assistant"
	roleCounselor = "counselor"
)

// maxConvTurns bounds one conversation of EvalConversations' input.
const maxConvTurns = 500

type convRow struct {
	ID    string `json:"id"`
	Label string `json:"label"`
	Level string `json:"level"`
	// FirstRiskTurn is the index into Turns of the student turn after which
	// a counselor reading the conversation so far would grade it medium or
	// above; nil when the row does not say.
	FirstRiskTurn *int `json:"first_risk_turn"`
	Turns         []struct {
		Role string  `json:"role"`
		Text *string `json:"text"`
	} `json:"turns"`
}

// ConvReport measures the conversation reading against labelled
// conversations: a conversation is flagged when any of its student turns
// reached medium (the review tier), as the service would have flagged it.
type ConvReport struct {
	// Confusion counts the conversations against their labels (flagged:
	// medium or above) and, of those labelled high or imminent (Severe),
	// the ones that reached high (SevereHigh, a handoff opened).
	Confusion

	// ByLevel counts, for each labelled level, the conversations whose
	// highest level reached each level.
	ByLevel map[string]map[Level]int `json:"by_level"`
	// Timed is the number of caught risk conversations that say when their
	// risk showed (first_risk_turn); OnTime of them were flagged by that
	// turn, and the others were flagged LateTurns student turns later in all.
	Timed     int `json:"timed"`
	OnTime    int `json:"on_time"`
	LateTurns int `json:"late_turns"`
	// Missed, FalseAlarms and SevereLow name conversations by id (or line):
	// risk not flagged, no risk flagged, high or imminent graded below high.
	Missed      []string `json:"missed,omitempty"`
	FalseAlarms []string `json:"false_alarms,omitempty"`
	SevereLow   []string `json:"severe_low,omitempty"`
	Unsure      int      `json:"unsure"`
}

// EvalConversations reads labelled conversations, one JSON object a line:
// {"id", "label": "risk"|"none"|"unsure", "level"?, "first_risk_turn"?,
// "turns": [{"role": "student"|"assistant"|"counselor", "text"}]}, reads
// each student turn in its conversation as the service does (Classify, then
// ReadTurn with the assistant's or counselor's message right before it as
// the question and the student's messages before it) and measures the conversations' highest levels against the
// labels. A bad line is an error naming its line number.
func EvalConversations(c *Classifier, in io.Reader) (ConvReport, error) {
	rep := ConvReport{ByLevel: map[string]map[Level]int{}}
	err := eachLine(in, lineNo, func(ln int, line []byte) error {
		var row convRow
		if err := json.Unmarshal(line, &row); err != nil {
			return fmt.Errorf("line %d: %v", ln, err)
		}
		want, unsure, err := wantRisk(row.Label)
		switch {
		case err != nil:
			return fmt.Errorf("line %d: %v", ln, err)
		case unsure:
			rep.Unsure++
			return nil
		}
		var lvl Level
		if row.Level != "" {
			l, err := ParseLevel(row.Level)
			if err != nil {
				return fmt.Errorf("line %d: %v", ln, err)
			}
			lvl = l
		}
		if len(row.Turns) == 0 || len(row.Turns) > maxConvTurns {
			return fmt.Errorf("line %d: %d turns: want 1 to %d", ln, len(row.Turns), maxConvTurns)
		}
		students := 0
		for i, t := range row.Turns {
			switch {
			case t.Text == nil || strings.TrimSpace(*t.Text) == "":
				return fmt.Errorf("line %d: turn %d has no text", ln, i)
			case t.Role == roleStudent:
				students++
			case t.Role != roleAssistant && t.Role != roleCounselor:
				return fmt.Errorf("line %d: turn %d: role %q: want %q, %q or %q", ln, i, t.Role, roleStudent, roleAssistant, roleCounselor)
			}
		}
		if students == 0 {
			return fmt.Errorf("line %d: no student turn", ln)
		}
		if f := row.FirstRiskTurn; f != nil && (*f < 0 || *f >= len(row.Turns) || row.Turns[*f].Role != roleStudent) {
			return fmt.Errorf("line %d: first_risk_turn %d is not a student turn", ln, *f)
		}
		name := row.ID
		if name == "" {
			name = lineNo(ln)
		}

		var (
			st      ConversationState
			ctx     Context
			top     Level
			flagged = -1 // index of the first turn at medium or above
		)
		for i, t := range row.Turns {
			text := strings.TrimSpace(*t.Text)
			if t.Role != roleStudent {
				ctx.Question = text
				continue
			}
			res, next := c.ReadTurn(st, c.Classify(text), text, func() Context { return ctx })
			st = next
			ctx.Question = "" // a student message answers nothing after it
			if ctx.Earlier = append(ctx.Earlier, text); len(ctx.Earlier) > RecentTurns {
				ctx.Earlier = ctx.Earlier[1:]
			}
			l := max(res.Level, st.Level)
			top = max(top, l)
			if l >= Medium && flagged < 0 {
				flagged = i
			}
		}

		severe := row.Level != "" && lvl >= High
		rep.add(want, severe, top)
		got := top >= Medium
		switch {
		case want && got:
			if f := row.FirstRiskTurn; f != nil {
				rep.Timed++
				if flagged <= *f {
					rep.OnTime++
				} else {
					for _, t := range row.Turns[*f+1 : flagged+1] {
						if t.Role == roleStudent {
							rep.LateTurns++
						}
					}
				}
			}
		case want:
			rep.Missed = append(rep.Missed, name)
		case got:
			rep.FalseAlarms = append(rep.FalseAlarms, name)
		}
		if row.Level != "" {
			m := rep.ByLevel[lvl.String()]
			if m == nil {
				m = map[Level]int{}
				rep.ByLevel[lvl.String()] = m
			}
			m[top]++
		}
		if severe && top < High {
			rep.SevereLow = append(rep.SevereLow, name)
		}
		return nil
	})
	return rep, err
}

// WriteText writes the report for a terminal: figures with their counts,
// then the conversations missed or wrongly flagged, by id.
func (r ConvReport) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "conversations %d (flagged = a student turn reached medium)\n", r.N)
	fmt.Fprintf(&b, "precision     %.3f  (%d/%d)\n", r.Precision(), r.TP, r.TP+r.FP)
	fmt.Fprintf(&b, "recall        %.3f  (%d/%d)\n", r.Recall(), r.TP, r.TP+r.FN)
	fmt.Fprintf(&b, "confusion     TP %d  FP %d  TN %d  FN %d\n", r.TP, r.FP, r.TN, r.FN)
	fmt.Fprintf(&b, "high/imminent reaching high: %d of %d\n", r.SevereHigh, r.Severe)
	if r.Timed > 0 {
		fmt.Fprintf(&b, "flagged by the turn the risk showed: %d of %d (the others %d student turns late in all)\n", r.OnTime, r.Timed, r.LateTurns)
	}
	if r.Unsure > 0 {
		fmt.Fprintf(&b, "skipped (labelled unsure): %d\n", r.Unsure)
	}
	if len(r.ByLevel) > 0 {
		lvls := make([]string, 0, len(r.ByLevel))
		for s := range r.ByLevel {
			lvls = append(lvls, s)
		}
		sort.Slice(lvls, func(i, j int) bool { return mustLevel(lvls[i]) < mustLevel(lvls[j]) })
		fmt.Fprintf(&b, "labelled level → highest level reached\n")
		fmt.Fprintf(&b, "  %-9s %6s %6s %6s %6s %8s\n", "", "none", "low", "medium", "high", "imminent")
		for _, s := range lvls {
			m := r.ByLevel[s]
			fmt.Fprintf(&b, "  %-9s %6d %6d %6d %6d %8d\n", s, m[None], m[Low], m[Medium], m[High], m[Imminent])
		}
	}
	for _, l := range []struct {
		what string
		ids  []string
	}{{"missed", r.Missed}, {"false alarms", r.FalseAlarms}, {"high/imminent below high", r.SevereLow}} {
		if len(l.ids) > 0 {
			fmt.Fprintf(&b, "%s: %s\n", l.what, strings.Join(l.ids, " "))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// mustLevel is ParseLevel for a level name already checked.
func mustLevel(s string) Level {
	l, _ := ParseLevel(s)
	return l
}
