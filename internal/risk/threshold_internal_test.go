package risk

import (
	"math/rand/v2"
	"slices"
	"sort"
	"testing"
)

// lowestCrossing is the rule the thresholds followed before
// precisionFromTop: the lowest cut-off at which the rows at or above it are
// want precise (5 or more of them), wherever it falls.
func lowestCrossing(vs []scored, want float64) float32 {
	best := float32(0.99)
	tp, fp := 0, 0
	for i, v := range vs {
		if v.v < 0.05 {
			break
		}
		if v.risk {
			tp++
		} else {
			fp++
		}
		if i+1 < len(vs) && vs[i+1].v == v.v {
			continue
		}
		if tp+fp >= 5 && ratio(tp, tp+fp) >= want {
			best = v.v
		}
	}
	return best
}

// precisionAt is the precision of the rows of vs scored at or above t, and
// how many they are.
func precisionAt(vs []scored, t float32) (float64, int) {
	tp, n := 0, 0
	for _, v := range vs {
		if v.v >= t {
			n++
			if v.risk {
				tp++
			}
		}
	}
	return ratio(tp, n), n
}

// bands is 50 rows from 0.95 of which 9 in 10 are risky, then 100 rows from
// 0.75 of which 7 in 10 are: the precision of the rows at or above a score
// falls to 0.8 some 45 rows into the second band and stays below it.
func bands() []scored {
	var vs []scored
	for i := 0; i < 50; i++ {
		vs = append(vs, scored{0.95 - 0.004*float32(i), i%10 != 0})
	}
	for i := 0; i < 100; i++ {
		vs = append(vs, scored{0.75 - 0.004*float32(i), i%10 != 0 && i%10 != 3 && i%10 != 6})
	}
	return vs
}

// TestPrecisionFromTopLuckyCluster: 25 risky rows low down lift the
// precision of the rows at or above them back to 0.8. The lowest score at
// which it is 0.8 jumps down to them; the threshold read from the top does
// not move, and every cut-off above it (fromTopRows rows or more) is 0.8
// precise.
func TestPrecisionFromTopLuckyCluster(t *testing.T) {
	base := bands()
	lucky := slices.Clone(base)
	for i := 0; i < 25; i++ {
		lucky = append(lucky, scored{0.20 - 0.001*float32(i), true})
	}
	oldBase, oldLucky := lowestCrossing(base, 0.8), lowestCrossing(lucky, 0.8)
	newBase, newLucky := precisionFromTop(base, 0.8), precisionFromTop(lucky, 0.8)
	t.Logf("lowest crossing %.3f, with the cluster %.3f; from the top %.3f, with the cluster %.3f", oldBase, oldLucky, newBase, newLucky)
	if oldBase-oldLucky < 0.3 {
		t.Fatalf("the fixture does not show the jump: lowest crossing %.3f without the cluster, %.3f with it", oldBase, oldLucky)
	}
	if newLucky != newBase {
		t.Errorf("from the top: %.3f without the cluster, %.3f with it", newBase, newLucky)
	}
	if newBase < oldBase || newBase-oldBase > 0.05 {
		t.Errorf("from the top %.3f, want at or a little above the lowest crossing %.3f when the precision falls once", newBase, oldBase)
	}
	for _, v := range lucky {
		if p, n := precisionAt(lucky, v.v); v.v >= newLucky && n >= fromTopRows && p < 0.8 {
			t.Errorf("the rows at or above %.3f (above the threshold %.3f) are %.3f precise", v.v, newLucky, p)
		}
	}
}

// TestPrecisionFromTopSteady: on random score lists, rows added below the
// first cut-off (fromTopRows rows or more) that falls short never move the
// threshold, the order of rows of equal score does not matter, every such
// cut-off at or above the threshold is want precise, and the threshold is
// never below the lowest crossing.
func TestPrecisionFromTopSteady(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 1))
	for k := 0; k < 200; k++ {
		var vs []scored
		n := 20 + rng.IntN(300)
		for range n {
			s := float32(rng.IntN(100)) / 100 // ties are common
			vs = append(vs, scored{s, rng.Float64() < float64(s)*1.1})
		}
		sort.SliceStable(vs, func(i, j int) bool { return vs[i].v > vs[j].v })
		want := 0.7 + 0.2*rng.Float64()
		th := precisionFromTop(vs, want)
		if th < lowestCrossing(vs, want) {
			t.Fatalf("list %d: from the top %.3f below the lowest crossing %.3f", k, th, lowestCrossing(vs, want))
		}
		for _, v := range vs {
			if p, n := precisionAt(vs, v.v); v.v >= th && v.v >= 0.05 && n >= fromTopRows && p < want {
				t.Fatalf("list %d: the rows at or above %.2f (threshold %.2f) are %.3f precise, want %.3f", k, v.v, th, p, want)
			}
		}
		// the same rows, those of equal score in another order
		shuffled := slices.Clone(vs)
		rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		sort.SliceStable(shuffled, func(i, j int) bool { return shuffled[i].v > shuffled[j].v })
		if got := precisionFromTop(shuffled, want); got != th {
			t.Fatalf("list %d: %.3f, %.3f with equal scores in another order", k, th, got)
		}
		// rows below the first cut-off that falls short
		below := float32(-1)
		for _, v := range vs {
			if p, n := precisionAt(vs, v.v); v.v >= 0.05 && n >= fromTopRows && p < want {
				below = v.v
				break
			}
		}
		if below <= 0.05 {
			continue
		}
		more := slices.Clone(vs)
		for range 1 + rng.IntN(50) {
			more = append(more, scored{below * rng.Float32() * 0.99, rng.IntN(2) == 0})
		}
		sort.SliceStable(more, func(i, j int) bool { return more[i].v > more[j].v })
		if got := precisionFromTop(more, want); got != th {
			t.Fatalf("list %d: rows below %.2f moved the threshold from %.3f to %.3f", k, below, th, got)
		}
	}
}
