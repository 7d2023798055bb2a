package risk

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// Extra training rows: the district's labelled messages, as "xinqiao risk
// export" writes them ({"text", "label": "risk"|"none"|"unsure", "level",
// "question"}), or rows in our corpus's shape ({"text", "level",
// "category", …}). A row with a "label" is an exported one: risk trains as
// medium or above (and as high or above when the classifier graded it so at
// the time; otherwise its severity is unknown), none as below medium, and
// unsure is skipped and counted. A row without one is a corpus row.

// extraRow is one line of an extra training file, in either shape.
type extraRow struct {
	corpusRow
	Label    *string `json:"label"`
	Question string  `json:"question"`
}

// readExtra reads extra training rows from r (named name in errors). A bad
// row is an error naming its line; rows labelled unsure are skipped and
// counted.
func readExtra(name string, r io.Reader) (rows []trainRow, unsure int, err error) {
	err = eachLine(r, fileLine(name), func(ln int, line []byte) error {
		var x extraRow
		if err := json.Unmarshal(line, &x); err != nil {
			return fmt.Errorf("%s:%d: not a JSON object of the export or the corpus shape: %v", name, ln, err)
		}
		if x.Label == nil {
			row, err := x.corpusRow.trainRow()
			if err != nil {
				return fmt.Errorf("%s:%d: %v (a row without \"label\" is read in the corpus shape)", name, ln, err)
			}
			row.source, row.genre = "extra", "corpus"
			rows = append(rows, row)
			return nil
		}
		row, skip, err := x.labelled()
		if err != nil {
			return fmt.Errorf("%s:%d: %v", name, ln, err)
		}
		if skip {
			unsure++
			return nil
		}
		rows = append(rows, row)
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	return rows, unsure, nil
}

// labelled makes an exported row a training row; skip for unsure.
func (x extraRow) labelled() (row trainRow, skip bool, err error) {
	if x.Text == nil || strings.TrimSpace(*x.Text) == "" {
		return row, false, errors.New("no text")
	}
	graded := None
	if x.Level != "" {
		if graded, err = ParseLevel(x.Level); err != nil {
			return row, false, err
		}
	}
	row = trainRow{text: *x.Text, cat: -1, source: "extra", genre: "labelled", lang: x.Lang, weight: 1, maxLevel: Imminent}
	switch *x.Label {
	case "risk":
		row.risk, row.severe = 1, -1
		if graded >= High {
			row.severe = 1
		}
	case "none":
		row.risk, row.severe = 0, 0
	case "unsure":
		return row, true, nil
	default:
		return row, false, fmt.Errorf("label %q: want risk, none or unsure", *x.Label)
	}
	return row, false, nil
}

// readExtraFile reads extra training rows from a file ("": none).
func readExtraFile(path string) ([]trainRow, int, error) {
	if path == "" {
		return nil, 0, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, fmt.Errorf("extra training rows: %w", err)
	}
	defer f.Close()
	rows, unsure, err := readExtra(path, f)
	if err == nil && len(rows) == 0 {
		err = fmt.Errorf("%s: no rows to train on (%d labelled unsure, skipped)", path, unsure)
	}
	return rows, unsure, err
}
