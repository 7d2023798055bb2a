package handoff_test

import (
	"fmt"
	"sort"
	"testing"
	"time"

	"xinqiao/internal/apptest"
	"xinqiao/internal/storetest"
)

// BenchmarkRiskyMessage measures, on one node, the time from a risky
// student message written to the socket to (a) the crisis frame at the
// student and (b) the queue event at a counselor's console, and reports the
// p50 and p99 of each in milliseconds. Every iteration is a new
// conversation, so each opens a new handoff.
//
//	TEST_DATABASE_URL=... go test ./internal/handoff/ -run '^$' -bench RiskyMessage -benchtime 300x
func BenchmarkRiskyMessage(b *testing.B) {
	for _, e := range storetest.Engines(b) {
		b.Run(e.Name, func(b *testing.B) {
			clk := apptest.NewClock(time.Now())
			s := boot(b, e.Open, clk)
			wang := loginDirect(b, s, "wang")
			console := wang.DialStaff(b)
			console.WaitType(b, wait, "queue")
			crisis := make([]time.Duration, 0, b.N)
			queue := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for i := range b.N {
				b.StopTimer()
				sess := s.NewSession(b, `{"lang":"zh"}`)
				student := s.DialStudent(b, sess.Token)
				b.StartTimer()
				start := time.Now()
				student.Message(b, fmt.Sprint("b", i), risky)
				student.WaitType(b, wait, "crisis")
				crisis = append(crisis, time.Since(start))
				console.Wait(b, wait, func(f apptest.Frame) bool {
					return f.Type == "handoff" && decodeStaff(f).Handoff.ConversationID == sess.ConversationID
				})
				queue = append(queue, time.Since(start))
				b.StopTimer()
				student.Conn.Close()
				b.StartTimer()
			}
			b.StopTimer()
			report(b, "crisis", crisis)
			report(b, "console", queue)
		})
	}
}

func report(b *testing.B, name string, ds []time.Duration) {
	if len(ds) == 0 {
		return
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	q := func(p float64) float64 {
		i := min(int(p*float64(len(ds))), len(ds)-1)
		return float64(ds[i].Microseconds()) / 1000
	}
	b.ReportMetric(q(0.50), name+"-p50-ms")
	b.ReportMetric(q(0.99), name+"-p99-ms")
}

// BenchmarkReviewMessage measures, on one node, the time from a medium-risk
// student message (有时候觉得活着没什么意思，不想活了) written to the socket to the
// review's queue event at a counselor's console, and reports its p50 and p99
// in milliseconds. Every iteration is a new conversation, so each opens a
// new review.
//
//	TEST_DATABASE_URL=... go test ./internal/handoff/ -run '^$' -bench ReviewMessage -benchtime 300x
func BenchmarkReviewMessage(b *testing.B) {
	for _, e := range storetest.Engines(b) {
		b.Run(e.Name, func(b *testing.B) {
			clk := apptest.NewClock(time.Now())
			s := boot(b, e.Open, clk)
			wang := loginDirect(b, s, "wang")
			console := wang.DialStaff(b)
			console.WaitType(b, wait, "queue")
			queue := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for i := range b.N {
				b.StopTimer()
				sess := s.NewSession(b, `{"lang":"zh"}`)
				student := s.DialStudent(b, sess.Token)
				b.StartTimer()
				start := time.Now()
				student.Message(b, fmt.Sprint("r", i), "有时候觉得活着没什么意思，不想活了")
				console.Wait(b, wait, func(f apptest.Frame) bool {
					h := decodeStaff(f).Handoff
					return f.Type == "handoff" && h.ConversationID == sess.ConversationID && h.Kind == "review"
				})
				queue = append(queue, time.Since(start))
				b.StopTimer()
				student.Conn.Close()
				b.StartTimer()
			}
			b.StopTimer()
			report(b, "console", queue)
		})
	}
}
