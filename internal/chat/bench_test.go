package chat_test

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"xinqiao/internal/app"
	"xinqiao/internal/apptest"
	"xinqiao/internal/storetest"
)

var questions = []string{
	"明天考试，我紧张得睡不着怎么办", "作业太多写不完，好焦虑", "和好朋友吵架了怎么和好",
	"我总觉得自己什么都做不好", "爸妈总是拿我和别人比", "上课不敢举手发言",
	"I can't sleep before exams", "how do I make friends at a new school",
}

// BenchmarkStudentLoad is the hot path without an LLM: 200 student sockets
// send one message a second each, 200 messages a second in all, paced; it
// reports the latency from sending to the ack and from sending to the
// extractive answer. Run it for a fixed count, e.g.:
//
//	go test ./internal/chat/ -run '^$' -bench StudentLoad -benchtime 4000x
func BenchmarkStudentLoad(b *testing.B) {
	for _, e := range storetest.Engines(b) {
		b.Run(e.Name, func(b *testing.B) {
			s := apptest.Start(b, e.Open(b), app.Options{})
			const sockets = 200
			const rate = 200.0 // messages per second, all sockets together
			clients := make([]*apptest.Client, sockets)
			for i := range clients {
				clients[i] = s.DialStudent(b, s.NewSession(b, "").Token)
			}
			type timing struct{ sent, ack, answer time.Time }
			var mu sync.Mutex
			times := map[string]*timing{}
			queues := make([][]*timing, sockets) // per socket, sent and not yet answered, oldest first
			var wg sync.WaitGroup
			for i, c := range clients {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						f, ok := c.TryNext(30 * time.Second)
						if !ok {
							return
						}
						now := time.Now()
						mu.Lock()
						switch {
						case f.Type == "ack":
							if t := times[f.ClientID]; t != nil && t.ack.IsZero() {
								t.ack = now
							}
						case f.Type == "message" && f.Role == "assistant" && len(queues[i]) > 0:
							queues[i][0].answer = now // answers come in order per conversation
							queues[i] = queues[i][1:]
						}
						mu.Unlock()
					}
				}()
			}
			b.ResetTimer()
			start := time.Now()
			for i := range b.N {
				due := start.Add(time.Duration(float64(i) / rate * float64(time.Second)))
				time.Sleep(time.Until(due))
				k := i % sockets
				id := fmt.Sprint("m", i)
				t := &timing{sent: time.Now()}
				mu.Lock()
				times[id] = t
				queues[k] = append(queues[k], t)
				mu.Unlock()
				clients[k].Message(b, id, questions[i%len(questions)])
			}
			// Wait for the stragglers, then close the sockets to end the readers.
			deadline := time.Now().Add(20 * time.Second)
			for time.Now().Before(deadline) {
				mu.Lock()
				left := 0
				for _, q := range queues {
					left += len(q)
				}
				mu.Unlock()
				if left == 0 {
					break
				}
				time.Sleep(50 * time.Millisecond)
			}
			b.StopTimer()
			for _, c := range clients {
				c.Conn.Close()
			}
			wg.Wait()
			var acks, answers []time.Duration
			for _, t := range times {
				if !t.ack.IsZero() {
					acks = append(acks, t.ack.Sub(t.sent))
				}
				if !t.answer.IsZero() {
					answers = append(answers, t.answer.Sub(t.sent))
				}
			}
			report := func(name string, ds []time.Duration) {
				if len(ds) == 0 {
					b.Fatalf("no %s measured", name)
				}
				slices.Sort(ds)
				b.ReportMetric(float64(ds[len(ds)/2].Microseconds())/1000, name+"_p50_ms")
				b.ReportMetric(float64(ds[len(ds)*99/100].Microseconds())/1000, name+"_p99_ms")
			}
			report("ack", acks)
			report("answer", answers)
			b.ReportMetric(float64(len(acks))/float64(b.N), "acked/msg")
			b.ReportMetric(float64(len(answers))/float64(b.N), "answered/msg")
		})
	}
}
