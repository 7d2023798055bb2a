package reports_test

import (
	"testing"
	"time"

	"xinqiao/internal/reports"
	"xinqiao/internal/storetest"
	"xinqiao/internal/xinqiao"
)

func TestParseRange(t *testing.T) {
	// 2026-03-10 01:00 in Guangzhou is still 03-09 in UTC.
	now := time.Date(2026, 3, 9, 17, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		q        reports.Query
		from, to string
		code     string
	}{
		{"default is the last 30 days in Guangzhou", reports.Query{}, "2026-02-09", "2026-03-10", ""},
		{"to only", reports.Query{To: "2026-01-31"}, "2026-01-02", "2026-01-31", ""},
		{"one day", reports.Query{From: "2026-03-01", To: "2026-03-01"}, "2026-03-01", "2026-03-01", ""},
		{"366 days", reports.Query{From: "2025-03-11", To: "2026-03-11"}, "2025-03-11", "2026-03-11", ""},
		{"367 days", reports.Query{From: "2025-03-10", To: "2026-03-11"}, "", "", xinqiao.EINVALID},
		{"reversed", reports.Query{From: "2026-03-02", To: "2026-03-01"}, "", "", xinqiao.EINVALID},
		{"bad from", reports.Query{From: "2026-3-1"}, "", "", xinqiao.EINVALID},
		{"bad to", reports.Query{To: "2026-02-30"}, "", "", xinqiao.EINVALID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			from, to, err := reports.ParseRange(tt.q, now)
			if got := xinqiao.ErrorCode(err); got != tt.code {
				t.Fatalf("got error %v, want code %q", err, tt.code)
			}
			if tt.code != "" {
				return
			}
			if got, want := from.Format(time.DateOnly)+".."+to.Format(time.DateOnly), tt.from+".."+tt.to; got != want {
				t.Errorf("got %s, want %s", got, want)
			}
			if _, off := from.Zone(); off != 8*3600 {
				t.Errorf("got offset %d, want +8h", off)
			}
		})
	}
}

func TestScopeOf(t *testing.T) {
	tests := []struct {
		name         string
		st           xinqiao.Staff
		school       string
		scope, limit string
		code         string
	}{
		{"admin", xinqiao.Staff{Role: xinqiao.RoleAdmin}, "", reports.ScopeAll, "", ""},
		{"supervisor picks a school", xinqiao.Staff{Role: xinqiao.RoleSupervisor}, "一中", reports.ScopeAll, "一中", ""},
		{"counselor of a school", xinqiao.Staff{Role: xinqiao.RoleCounselor, School: "一中"}, "", reports.ScopeSchool, "一中", ""},
		{"counselor asks another school", xinqiao.Staff{Role: xinqiao.RoleCounselor, School: "一中"}, "二中", "", "", xinqiao.EFORBIDDEN},
		{"counselor without a school", xinqiao.Staff{Role: xinqiao.RoleCounselor}, "", "", "", xinqiao.EFORBIDDEN},
		{"curator", xinqiao.Staff{Role: xinqiao.RoleCurator, School: "一中"}, "二中", reports.ScopeGaps, "", ""},
		{"disabled admin", xinqiao.Staff{Role: xinqiao.RoleAdmin, Disabled: true}, "", "", "", xinqiao.EFORBIDDEN},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			scope, limit, err := reports.ScopeOf(tt.st, tt.school)
			if got := xinqiao.ErrorCode(err); got != tt.code || scope != tt.scope || limit != tt.limit {
				t.Errorf("got %q %q %v, want %q %q code %q", scope, limit, err, tt.scope, tt.limit, tt.code)
			}
		})
	}
}

func TestSummarise(t *testing.T) {
	s := func(n ...int) []time.Duration {
		out := make([]time.Duration, len(n))
		for i, v := range n {
			out[i] = time.Duration(v) * time.Second
		}
		return out
	}
	tests := []struct {
		name string
		in   []time.Duration
		want reports.Durations
	}{
		{"none", nil, reports.Durations{}},
		{"one", s(42), reports.Durations{Count: 1, P50: 42, P90: 42, Max: 42}},
		{"unsorted ten", s(10, 1, 9, 2, 8, 3, 7, 4, 6, 5), reports.Durations{Count: 10, P50: 5, P90: 9, Max: 10}},
		{"eleven", s(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 100), reports.Durations{Count: 11, P50: 6, P90: 10, Max: 100}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := reports.Summarise(tt.in); got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestGapsOnBeijingDays checks, on both stores, that a gap counted in the
// early hours in Beijing (still the day before in UTC) is reported on its
// Beijing date, like every other figure of the report.
func TestGapsOnBeijingDays(t *testing.T) {
	// 20:00 UTC on 1 March is 04:00 on 2 March in Beijing.
	at := time.Date(2026, 3, 1, 20, 0, 0, 0, time.UTC)
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			st := e.Open(t)
			if err := st.CountGap(t.Context(), at.In(reports.Zone), "sleep", "zh"); err != nil {
				t.Fatal(err)
			}
			svc, err := reports.New(st, func() time.Time { return at })
			if err != nil {
				t.Fatal(err)
			}
			curator := xinqiao.Staff{Role: xinqiao.RoleCurator}
			for _, c := range []struct {
				day   string
				total int
			}{{"2026-03-02", 1}, {"2026-03-01", 0}} {
				r, err := svc.Build(t.Context(), curator, reports.Query{From: c.day, To: c.day})
				if err != nil {
					t.Fatal(err)
				}
				if r.Gaps.Total != c.total || (c.total == 1 && r.Gaps.Days[0].Day != c.day) {
					t.Errorf("report of %s: got gaps %+v, want %d", c.day, r.Gaps, c.total)
				}
			}
		})
	}
}
