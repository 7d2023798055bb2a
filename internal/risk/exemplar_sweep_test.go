package risk_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"testing"
	"time"

	"xinqiao/internal/kb"
	"xinqiao/internal/risk"
	"xinqiao/knowledge"
)

// TestExemplarSweep (XINQIAO_RISK_SWEEP=1) prints tuning-half figures only for
// a grid of settings.
func TestExemplarSweep(t *testing.T) {
	if os.Getenv("XINQIAO_RISK_SWEEP") == "" {
		t.Skip("set XINQIAO_RISK_SWEEP=1")
	}
	data, err := os.ReadFile(sharedDataFile())
	if err != nil {
		t.Skip(err)
	}
	var tune bytes.Buffer
	for _, line := range bytes.Split(data, []byte("\n")) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var row struct{ ID string }
		json.Unmarshal(line, &row)
		if tuningHalf(row.ID) {
			tune.Write(line)
			tune.WriteByte('\n')
		}
	}
	emb, err := kb.NewLocalEmbedder(knowledge.FS, ".")
	if err != nil {
		t.Fatal(err)
	}
	ex, _ := risk.OwnExemplars()
	t0 := time.Now()
	op, err := risk.NewExemplarOpinion(context.Background(), emb, ex, risk.ExemplarOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("built %d in %v", op.Len(), time.Since(t0))
	c := mustLoad(t)
	ctx := context.Background()
	for _, k := range []int{3, 5, 7, 10} {
		for _, sim := range []float32{0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6} {
			for _, share := range []float64{0.5, 0.6, 0.8} {
				for _, mv := range []int{1, 2, 3} {
					op.SetOptions(risk.ExemplarOptions{K: k, MinSimilarity: sim, MediumShare: share, MinVoters: mv})
					rep, _ := risk.EvalWith(bytes.NewReader(tune.Bytes()), func(tn risk.Turn) risk.Result {
						s := tn.Text
						return risk.Combine(ctx, c.Classify(s), s, nil, op, time.Second)
					})
					fmt.Printf("k=%2d sim=%.2f share=%.1f mv=%d  P %.3f R %.3f F1 %.3f TP %d FP %d FN %d severe<med %d\n", k, sim, share, mv, rep.Precision, rep.Recall, rep.F1, rep.TP, rep.FP, rep.FN, rep.SevereBelowMedium)
				}
			}
		}
	}
}
