package risk_test

import (
	"sort"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"xinqiao/internal/risk"
)

// benchMessages are 200-rune messages, half benign and half risky, built from
// our own sentences.
func benchMessages() []string { return benchMessagesOf(200) }

// benchMessagesOf builds the messages at n runes (600: a long forum post).
func benchMessagesOf(n int) []string {
	parts := []string{
		"今天数学课讲了二次函数，老师布置了很多作业，我写到晚上十点才写完，累死了。",
		"周末想和同学去图书馆复习，然后去吃火锅，妈妈说考完试再说。",
		"我最近总觉得活着没意思，每天都好累，有时候真的想死，不知道该跟谁说。",
		"I have a big exam tomorrow and I'm so nervous, my mom keeps asking about my grades.",
		"我攒了很多安眠药，今晚等爸妈睡着了就吃，谢谢你们陪我这么久，永别了。",
		"班上的同学总是孤立我，还给我起外号，他们叫我去死，我不敢跟老师说。",
		"这道物理题难死了，我问了三个同学都不会，笑死，明天只能抄答案了。",
		"My friend said she wants to kill herself and I don't know what to do, please help.",
		"我在写一篇关于预防自杀的作文，想找一些数据和新闻报道作为例子。",
		"爸爸喝醉了就打我，用皮带打得我浑身是伤，我不敢回家。",
	}
	var out []string
	for i := range parts {
		var b strings.Builder
		for j := 0; utf8.RuneCountInString(b.String()) < n; j++ {
			b.WriteString(parts[(i+j*3)%len(parts)])
		}
		rs := []rune(b.String())
		out = append(out, string(rs[:n]))
	}
	return out
}

// BenchmarkClassify measures layer 1 on 200-rune messages.
//
//	go test ./internal/risk -run '^$' -bench Classify -benchmem
func BenchmarkClassify(b *testing.B) {
	c := mustLoad(b)
	msgs := benchMessages()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c.Classify(msgs[i%len(msgs)])
	}
}

// BenchmarkClassifyLatency records every call's duration (rules and the
// learned model, as the server runs them) and reports the median and 99th
// percentile as p50-ns and p99-ns.
//
//	go test ./internal/risk -run '^$' -bench Latency -benchtime 20000x
func BenchmarkClassifyLatency(b *testing.B) { benchLatency(b, mustLoad(b), benchMessages()) }

// BenchmarkClassifyLatency600 is BenchmarkClassifyLatency on 600-rune posts.
func BenchmarkClassifyLatency600(b *testing.B) {
	benchLatency(b, mustLoad(b), benchMessagesOf(600))
}

// BenchmarkClassifyLatencyRules is BenchmarkClassifyLatency by the rules
// alone, to show what the model costs.
func BenchmarkClassifyLatencyRules(b *testing.B) {
	benchLatency(b, mustLoad(b).WithModel(nil), benchMessages())
}

// BenchmarkReadTurnLatency is the whole reading of one student message as
// the server does it, on 200-rune messages after two earlier 200-rune
// messages of the same student: layer 1 (Classify), then layer 2
// (ReadTurn: the message read with the earlier ones, and Accumulate).
func BenchmarkReadTurnLatency(b *testing.B) {
	c, msgs := mustLoad(b), benchMessages()
	d := make([]time.Duration, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		text := msgs[i%len(msgs)]
		ctx := risk.Context{Earlier: []string{msgs[(i+3)%len(msgs)], msgs[(i+7)%len(msgs)]}}
		t0 := time.Now()
		c.ReadTurn(risk.ConversationState{}, c.Classify(text), text, func() risk.Context { return ctx })
		d[i] = time.Since(t0)
	}
	b.StopTimer()
	p50, p99 := percentiles(d)
	b.ReportMetric(float64(p50.Nanoseconds()), "p50-ns")
	b.ReportMetric(float64(p99.Nanoseconds()), "p99-ns")
}

func benchLatency(b *testing.B, c *risk.Classifier, msgs []string) {
	d := make([]time.Duration, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		c.Classify(msgs[i%len(msgs)])
		d[i] = time.Since(t0)
	}
	b.StopTimer()
	p50, p99 := percentiles(d)
	b.ReportMetric(float64(p50.Nanoseconds()), "p50-ns")
	b.ReportMetric(float64(p99.Nanoseconds()), "p99-ns")
}

func percentiles(d []time.Duration) (p50, p99 time.Duration) {
	if len(d) == 0 {
		return 0, 0
	}
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2], s[len(s)*99/100]
}

// TestLatencyReport logs per-call percentiles; it reports and never asserts
// timing (machines differ).
func TestLatencyReport(t *testing.T) {
	c := mustLoad(t)
	msgs := benchMessages()
	const n = 20000
	d := make([]time.Duration, n)
	for i := 0; i < n; i++ {
		t0 := time.Now()
		c.Classify(msgs[i%len(msgs)])
		d[i] = time.Since(t0)
	}
	p50, p99 := percentiles(d)
	t.Logf("Classify on 200-rune messages, %d calls: p50 %v, p99 %v", n, p50, p99)
}
