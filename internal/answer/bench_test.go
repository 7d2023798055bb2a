package answer_test

import (
	"context"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"xinqiao/internal/answer"
	"xinqiao/internal/openai/openaitest"
)

// BenchmarkStreamOverhead measures the server's own overhead on a streamed
// answer: the time from the fake endpoint writing its first token to the
// answerer handing the first delta to onDelta (go-openai's SSE parsing, the
// streaming guard, the goroutine hand-offs; loopback HTTP included). It
// reports p50 and p99 in microseconds.
//
//	go test ./internal/answer/ -run '^$' -bench StreamOverhead -benchtime 2000x
func BenchmarkStreamOverhead(b *testing.B) {
	s := openaitest.NewServer(b)
	s.Default = openaitest.Reply{Chunks: []string{"考试前", "有点紧张", "很正常。[1]", "睡前一小时", "放下手机。[2]"}}
	var tokenIn atomic.Int64
	s.OnFirstChunk = func(t time.Time) { tokenIn.Store(t.UnixNano()) }
	l := mustLLM(b, s, answer.Config{}, fakeRisk{"自杀"})
	req := examRequest()
	samples := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var first time.Time
		a, err := l.Answer(context.Background(), req, func(string) {
			if first.IsZero() {
				first = time.Now()
			}
		})
		if err != nil || a.Mode != answer.ModeLLM {
			b.Fatalf("answer: got %q, %v", a.Mode, err)
		}
		samples = append(samples, first.Sub(time.Unix(0, tokenIn.Load())))
	}
	b.StopTimer()
	slices.Sort(samples)
	q := func(p float64) float64 {
		return float64(samples[int(p*float64(len(samples)-1))].Microseconds())
	}
	b.ReportMetric(q(0.50), "p50-µs")
	b.ReportMetric(q(0.99), "p99-µs")
}

// BenchmarkExtractive is the CPU of one extractive answer from three
// passages of the vetted material (the default answer without an LLM):
//
//	go test ./internal/answer/ -run '^$' -bench Extractive -benchmem
func BenchmarkExtractive(b *testing.B) {
	e := answer.NewExtractive(answer.ExtractiveConfig{Cards: cards})
	req := examRequest()
	b.ReportAllocs()
	for b.Loop() {
		if a, err := e.Answer(context.Background(), req, nil); err != nil || a.Mode != answer.ModeExtractive {
			b.Fatalf("answer: %q, %v", a.Mode, err)
		}
	}
}
