package risk

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
)

// maxLine is the longest JSONL line ClassifyJSONL and Eval accept.
const maxLine = 8 << 20

// cliRisk is the "risk" object added to each classified line.
type cliRisk struct {
	Level      Level      `json:"level"`
	Categories []Category `json:"categories"`
	Rules      []string   `json:"rules"`
}

func newLineReader(in io.Reader) *bufio.Scanner {
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64*1024), maxLine)
	return sc
}

// eachLine calls f with each line of in that is not blank, trimmed, and its
// number from 1, and stops at f's first error. A line the reader cannot
// take (longer than maxLine) is an error placed by at, as f places its own.
func eachLine(in io.Reader, at func(ln int) string, f func(ln int, line []byte) error) error {
	sc := newLineReader(in)
	ln := 0
	for sc.Scan() {
		ln++
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		if err := f(ln, line); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%s: %v", at(ln+1), err)
	}
	return nil
}

// lineNo places an error of a file read from standard input.
func lineNo(ln int) string { return fmt.Sprintf("line %d", ln) }

// fileLine places an error of the file named name.
func fileLine(name string) func(ln int) string {
	return func(ln int) string { return fmt.Sprintf("%s:%d", name, ln) }
}

// ClassifyJSONL reads JSON objects, one a line, each with a string "text",
// and writes each object back with a "risk" field added:
// {"level","categories","rules"}. Other fields are kept (in their order when
// the input has no "risk" field). Blank lines are skipped; any other bad line
// stops with an error naming its line number.
func ClassifyJSONL(c *Classifier, in io.Reader, out io.Writer) error {
	w := bufio.NewWriter(out)
	err := eachLine(in, lineNo, func(ln int, line []byte) error {
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(line, &obj); err != nil {
			return fmt.Errorf("line %d: not a JSON object: %v", ln, err)
		}
		var text string
		raw, ok := obj["text"]
		if !ok {
			return fmt.Errorf("line %d: no \"text\" field", ln)
		}
		if err := json.Unmarshal(raw, &text); err != nil {
			return fmt.Errorf("line %d: \"text\" is not a string", ln)
		}
		var question string
		if raw, ok := obj["question"]; ok {
			if err := json.Unmarshal(raw, &question); err != nil {
				return fmt.Errorf("line %d: \"question\" is not a string", ln)
			}
		}
		r := c.ClassifyTurn(Turn{Question: question, Text: text})
		rk := cliRisk{Level: r.Level, Categories: r.Categories, Rules: r.Rules}
		if rk.Categories == nil {
			rk.Categories = []Category{}
		}
		if rk.Rules == nil {
			rk.Rules = []string{}
		}
		rb, err := json.Marshal(rk)
		if err != nil {
			return fmt.Errorf("line %d: %v", ln, err)
		}
		if _, dup := obj["risk"]; dup || line[len(line)-1] != '}' {
			obj["risk"] = rb
			b, err := json.Marshal(obj)
			if err != nil {
				return fmt.Errorf("line %d: %v", ln, err)
			}
			w.Write(b)
		} else {
			// splice before the closing brace to keep the field order
			body := bytes.TrimSpace(line[:len(line)-1])
			w.Write(body)
			if len(obj) > 0 {
				w.WriteByte(',')
			}
			w.WriteString(`"risk":`)
			w.Write(rb)
			w.WriteByte('}')
		}
		return w.WriteByte('\n')
	})
	if err != nil {
		return err
	}
	return w.Flush()
}

// Report is what Eval measured. A prediction is positive when the level is at
// or above Threshold (medium: the label "risk" means medium or above).
type Report struct {
	Threshold Level `json:"threshold"`
	N         int   `json:"n"`
	TP        int   `json:"tp"`
	FP        int   `json:"fp"`
	TN        int   `json:"tn"`
	FN        int   `json:"fn"`

	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	F1        float64 `json:"f1"`
	FPR       float64 `json:"fpr"`
	Accuracy  float64 `json:"accuracy"`

	// BySeverity counts, for each labelled severity (when rows carry one),
	// how many rows were predicted at each level.
	BySeverity map[string]map[Level]int `json:"by_severity,omitempty"`
	// SevereRows is the number of rows labelled high or imminent.
	SevereRows int `json:"severe_rows"`
	// SevereBelowMedium counts rows labelled high or imminent that were graded
	// below medium: the misses that matter most.
	SevereBelowMedium int `json:"severe_below_medium"`
	// Failed counts rows whose classification panicked.
	Failed int `json:"failed"`
	// Unsure counts rows labelled "unsure" (as "xinqiao risk export"
	// writes them), skipped.
	Unsure int `json:"unsure"`
}

type evalRow struct {
	Text     *string `json:"text"`
	Question string  `json:"question"`
	Label    string  `json:"label"`
	Severity string  `json:"severity"`
}

// Turn is one student message with, optionally, the counselor's or the
// assistant's message it answers.
type Turn struct {
	Question string
	Text     string
}

// ClassifyTurn classifies a message, read as the answer to Question when
// there is one (Answered).
func (c *Classifier) ClassifyTurn(t Turn) Result {
	r := c.Classify(t.Text)
	if t.Question != "" {
		r = c.Answered(t.Question, t.Text, r)
	}
	return r
}

// Eval classifies labelled JSONL ({"text", "label": "risk"|"none",
// "severity"?, "question"?}) and measures the classifier against the
// labels; "question" is the message the text answers. Rows labelled
// "unsure" and blank lines are skipped; a bad line is an error naming its
// line number.
func Eval(c *Classifier, in io.Reader) (Report, error) {
	return EvalWith(in, c.ClassifyTurn)
}

// EvalWith is Eval with any classification of a turn, e.g. layer 1
// combined with a second opinion.
func EvalWith(in io.Reader, classify func(Turn) Result) (Report, error) {
	rep := Report{Threshold: Medium, BySeverity: map[string]map[Level]int{}}
	err := eachLine(in, lineNo, func(ln int, line []byte) error {
		var row evalRow
		if err := json.Unmarshal(line, &row); err != nil {
			return fmt.Errorf("line %d: %v", ln, err)
		}
		if row.Text == nil {
			return fmt.Errorf("line %d: no \"text\" field", ln)
		}
		want, unsure, err := wantRisk(row.Label)
		switch {
		case err != nil:
			return fmt.Errorf("line %d: %v", ln, err)
		case unsure:
			rep.Unsure++
			return nil
		}
		r := classify(Turn{Question: row.Question, Text: *row.Text})
		if r.Failed {
			rep.Failed++
		}
		got := r.Level >= rep.Threshold
		rep.N++
		switch {
		case want && got:
			rep.TP++
		case want && !got:
			rep.FN++
		case !want && got:
			rep.FP++
		default:
			rep.TN++
		}
		if row.Severity != "" {
			m := rep.BySeverity[row.Severity]
			if m == nil {
				m = map[Level]int{}
				rep.BySeverity[row.Severity] = m
			}
			m[r.Level]++
			if row.Severity == "high" || row.Severity == "imminent" {
				rep.SevereRows++
				if r.Level < Medium {
					rep.SevereBelowMedium++
				}
			}
		}
		return nil
	})
	if err != nil {
		return rep, err
	}
	rep.Precision = ratio(rep.TP, rep.TP+rep.FP)
	rep.Recall = ratio(rep.TP, rep.TP+rep.FN)
	if rep.Precision+rep.Recall > 0 {
		rep.F1 = 2 * rep.Precision * rep.Recall / (rep.Precision + rep.Recall)
	}
	rep.FPR = ratio(rep.FP, rep.FP+rep.TN)
	rep.Accuracy = ratio(rep.TP+rep.TN, rep.N)
	return rep, nil
}

// wantRisk reads a labelled row's label: "risk" is wanted, "none" is not,
// and "unsure" (as xinqiao risk export writes it) is skipped; anything else
// is an error.
func wantRisk(label string) (want, unsure bool, err error) {
	switch label {
	case "risk":
		return true, false, nil
	case "none":
		return false, false, nil
	case "unsure":
		return false, true, nil
	}
	return false, false, fmt.Errorf("label %q: want \"risk\", \"none\" or \"unsure\"", label)
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// WriteText writes the report for a terminal: figures with their counts.
func (r Report) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "rows        %d (positive = level >= %s)\n", r.N, r.Threshold)
	fmt.Fprintf(&b, "precision   %.3f  (%d/%d)\n", r.Precision, r.TP, r.TP+r.FP)
	fmt.Fprintf(&b, "recall      %.3f  (%d/%d)\n", r.Recall, r.TP, r.TP+r.FN)
	fmt.Fprintf(&b, "f1          %.3f\n", r.F1)
	fmt.Fprintf(&b, "fpr         %.3f  (%d/%d)\n", r.FPR, r.FP, r.FP+r.TN)
	fmt.Fprintf(&b, "accuracy    %.3f\n", r.Accuracy)
	fmt.Fprintf(&b, "confusion   TP %d  FP %d  TN %d  FN %d\n", r.TP, r.FP, r.TN, r.FN)
	fmt.Fprintf(&b, "high/imminent graded below medium: %d of %d\n", r.SevereBelowMedium, r.SevereRows)
	if r.Unsure > 0 {
		fmt.Fprintf(&b, "skipped (labelled unsure): %d\n", r.Unsure)
	}
	if r.Failed > 0 {
		fmt.Fprintf(&b, "failed (panicked, graded high): %d\n", r.Failed)
	}
	if len(r.BySeverity) > 0 {
		sevs := make([]string, 0, len(r.BySeverity))
		for s := range r.BySeverity {
			sevs = append(sevs, s)
		}
		order := func(s string) int {
			if l, err := ParseLevel(s); err == nil {
				return int(l)
			}
			return 99
		}
		sort.Slice(sevs, func(i, j int) bool {
			if order(sevs[i]) != order(sevs[j]) {
				return order(sevs[i]) < order(sevs[j])
			}
			return sevs[i] < sevs[j]
		})
		fmt.Fprintf(&b, "labelled severity → predicted level\n")
		fmt.Fprintf(&b, "  %-9s %6s %6s %6s %6s %8s\n", "", "none", "low", "medium", "high", "imminent")
		for _, s := range sevs {
			m := r.BySeverity[s]
			fmt.Fprintf(&b, "  %-9s %6d %6d %6d %6d %8d\n", s, m[None], m[Low], m[Medium], m[High], m[Imminent])
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
