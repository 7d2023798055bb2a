package risk_test

import (
	"slices"
	"testing"

	"xinqiao/internal/risk"
)

// loadCases returns our own labelled cases (exemplars/*.txt).
func loadCases(t *testing.T) []risk.Case {
	t.Helper()
	cs, err := risk.OwnCases()
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) == 0 {
		t.Fatal("no cases in exemplars/")
	}
	return cs
}

func hasCategory(cs []risk.Category, c risk.Category) bool { return slices.Contains(cs, c) }

// TestCases runs every labelled case in exemplars/*.txt. A rule change
// that breaks one fails the build.
func TestCases(t *testing.T) {
	c := mustLoad(t)
	cases := loadCases(t)
	if len(cases) < 400 {
		t.Fatalf("got %d labelled cases, want at least 400", len(cases))
	}
	for _, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			if why := tc.Fails(c.Classify(tc.Text)); why != "" {
				t.Errorf("Classify(%q): %s", tc.Text, why)
			}
		})
	}
}

func mustLoad(tb testing.TB) *risk.Classifier {
	tb.Helper()
	c, err := risk.Load("")
	if err != nil {
		tb.Fatalf("Load: %v", err)
	}
	return c
}
