package storetest_test

import (
	"testing"

	"xinqiao/internal/storetest"
)

// TestConformance runs the suite on every engine available: SQLite always,
// PostgreSQL when TEST_DATABASE_URL is set.
func TestConformance(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) { storetest.Run(t, e.Open) })
	}
}
