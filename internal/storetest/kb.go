package storetest

import (
	"context"
	"math"
	"slices"
	"testing"
	"time"

	"xinqiao/internal/xinqiao"
)

func init() {
	register("Knowledge", func(t *testing.T, open func(tb testing.TB) xinqiao.Store) {
		tests := []struct {
			name string
			fn   func(t *testing.T, s xinqiao.Store)
		}{
			{"DraftsKeepEveryVersion", testKBDrafts},
			{"TwoPersonApproval", testKBTwoPerson},
			{"SupersededVersionNeverRetrieved", testKBSuperseded},
			{"RetiredNeverRetrieved", testKBRetired},
			{"ImportApproved", testKBImport},
			{"SearchFilters", testKBFilters},
			{"Reembedding", testKBReembed},
			{"Gaps", testKBGaps},
			{"KeywordRareTokens", testKBKeywordRare},
			{"ImportBulk", testKBImportBulk},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) { tt.fn(t, open(t)) })
		}
	})
}

// testVec returns a unit vector of dim 8 pointing mostly along axis i.
func testVec(i int) []float32 {
	v := make([]float32, 8)
	for j := range v {
		v[j] = 0.05
	}
	v[i%8] = 1
	var n float64
	for _, f := range v {
		n += float64(f * f)
	}
	for j := range v {
		v[j] /= float32(math.Sqrt(n))
	}
	return v
}

func kbVersion(id string) xinqiao.DocumentVersion {
	return xinqiao.DocumentVersion{DocID: id, Title: "考试焦虑", Lang: "zh", Kind: xinqiao.KindArticle,
		Audience: []string{xinqiao.BandJunior, xinqiao.BandSenior}, Topics: []string{"exam", "anxiety"},
		Body: "## 紧张\n\n考试前紧张很正常。", Hash: "h-" + id, Author: "alice"}
}

func kbChunk(text string, tokens []string, axis int) xinqiao.Chunk {
	return xinqiao.Chunk{Heading: "紧张", Text: text, Context: "考试焦虑\n" + text, Tokens: tokens,
		Embedding: testVec(axis), Embedder: "test-embedder", Dim: 8}
}

var kbAll = xinqiao.ChunkFilter{K: 10}

func testKBDrafts(t *testing.T, s xinqiao.Store) {
	ctx := context.Background()
	v1, err := s.CreateDraft(ctx, kbVersion("exam"))
	if err != nil {
		t.Fatal(err)
	}
	if v1.Version != 1 || v1.State != xinqiao.StateDraft {
		t.Fatalf("got version %d state %s, want 1 draft", v1.Version, v1.State)
	}
	nv := kbVersion("exam")
	nv.Body = "## 紧张\n\n考试前紧张很正常，也可以深呼吸。"
	v2, err := s.CreateDraft(ctx, nv)
	if err != nil || v2.Version != 2 {
		t.Fatalf("got version %d err %v, want 2", v2.Version, err)
	}
	vs, err := s.Versions(ctx, "exam")
	if err != nil || len(vs) != 2 || vs[0].Body != kbVersion("exam").Body || vs[1].Body != nv.Body {
		t.Fatalf("got %d versions (%v), want both bodies kept", len(vs), err)
	}
	if vs[0].Audience[1] != xinqiao.BandSenior || vs[0].Topics[0] != "exam" || vs[0].Author != "alice" {
		t.Fatalf("got %+v, want the metadata round-tripped", vs[0])
	}
	d, err := s.Document(ctx, "exam")
	if err != nil || d.Latest != 2 || d.Current != 0 || d.LatestState != xinqiao.StateDraft {
		t.Fatalf("got %+v (%v), want latest 2, current 0, draft", d, err)
	}
	_, err = s.Document(ctx, "nope")
	wantCode(t, err, xinqiao.ENOTFOUND)
	_, err = s.Version(ctx, "exam", 3)
	wantCode(t, err, xinqiao.ENOTFOUND)
	bad := kbVersion("x")
	bad.Lang = "fr"
	_, err = s.CreateDraft(ctx, bad)
	wantCode(t, err, xinqiao.EINVALID)
}

func testKBTwoPerson(t *testing.T, s xinqiao.Store) {
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Millisecond)
	v, err := s.CreateDraft(ctx, kbVersion("exam"))
	if err != nil {
		t.Fatal(err)
	}
	tr := func(actor string) xinqiao.Transition {
		return xinqiao.Transition{DocID: "exam", Version: v.Version, Actor: actor, At: now}
	}
	chunks := []xinqiao.Chunk{kbChunk("考试前紧张很正常。", []string{"考试", "紧张"}, 0)}
	_, err = s.ApproveVersion(ctx, tr("bob"), chunks)
	wantCode(t, err, xinqiao.ECONFLICT) // a draft cannot be approved
	if _, err := s.SubmitVersion(ctx, tr("alice")); err != nil {
		t.Fatal(err)
	}
	_, err = s.SubmitVersion(ctx, tr("alice"))
	wantCode(t, err, xinqiao.ECONFLICT)
	_, err = s.ApproveVersion(ctx, tr("alice"), chunks)
	wantCode(t, err, xinqiao.EFORBIDDEN) // the author
	if got, _ := s.SearchKeyword(ctx, []string{"考试"}, kbAll); len(got) != 0 {
		t.Fatalf("got %d hits before approval, want 0", len(got))
	}
	got, err := s.ApproveVersion(ctx, tr("bob"), chunks)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != xinqiao.StateApproved || got.Reviewer != "bob" || !got.Current || !got.ReviewedAt.Equal(now) {
		t.Fatalf("got %+v, want approved by bob, current, reviewed at %v", got, now)
	}
	if got.ReviewDue.IsZero() {
		t.Fatalf("got no review date, want one set at approval")
	}
	hits, err := s.SearchKeyword(ctx, []string{"考试"}, kbAll)
	if err != nil || len(hits) != 1 || hits[0].DocID != "exam" || hits[0].Version != 1 || hits[0].Title != "考试焦虑" {
		t.Fatalf("got %+v (%v), want the approved chunk with its version", hits, err)
	}
	d, _ := s.Document(ctx, "exam")
	if d.DueForReview(now) || !d.DueForReview(now.AddDate(2, 0, 0)) {
		t.Fatalf("got due %v, want due after a year", d.ReviewDue)
	}
}

// approve runs a version through review to approval by another person.
func approve(t *testing.T, s xinqiao.Store, v xinqiao.DocumentVersion, chunks []xinqiao.Chunk) {
	t.Helper()
	ctx := context.Background()
	stored, err := s.CreateDraft(ctx, v)
	if err != nil {
		t.Fatal(err)
	}
	tr := xinqiao.Transition{DocID: stored.DocID, Version: stored.Version, Actor: "reviewer", At: time.Now()}
	if _, err := s.SubmitVersion(ctx, tr); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ApproveVersion(ctx, tr, chunks); err != nil {
		t.Fatal(err)
	}
}

func testKBSuperseded(t *testing.T, s xinqiao.Store) {
	ctx := context.Background()
	approve(t, s, kbVersion("exam"), []xinqiao.Chunk{kbChunk("旧的说法", []string{"旧的", "说法"}, 1)})
	v2 := kbVersion("exam")
	v2.Body = "新的说法"
	approve(t, s, v2, []xinqiao.Chunk{kbChunk("新的说法", []string{"新的", "说法"}, 2)})
	if hits, _ := s.SearchKeyword(ctx, []string{"旧的"}, kbAll); len(hits) != 0 {
		t.Fatalf("got %+v, want the superseded version never retrieved", hits)
	}
	hits, err := s.SearchKeyword(ctx, []string{"说法"}, kbAll)
	if err != nil || len(hits) != 1 || hits[0].Version != 2 {
		t.Fatalf("got %+v (%v), want only version 2", hits, err)
	}
	vhits, err := s.SearchVector(ctx, testVec(1), kbAll)
	if err != nil || len(vhits) != 1 || vhits[0].Version != 2 {
		t.Fatalf("got %+v (%v), want only version 2 by vector", vhits, err)
	}
	vs, _ := s.Versions(ctx, "exam")
	if len(vs) != 2 || vs[0].Current || !vs[1].Current || vs[0].State != xinqiao.StateApproved {
		t.Fatalf("got %+v, want v1 approved but not current, v2 current", vs)
	}
	// An older version approved late must not replace the current one.
	v3, _ := s.CreateDraft(ctx, kbVersion("exam"))
	v4 := kbVersion("exam")
	v4.Body = "第四版"
	approve(t, s, v4, []xinqiao.Chunk{kbChunk("第四版", []string{"第四"}, 3)})
	tr := xinqiao.Transition{DocID: "exam", Version: v3.Version, Actor: "reviewer", At: time.Now()}
	if _, err := s.SubmitVersion(ctx, tr); err != nil {
		t.Fatal(err)
	}
	_, err = s.ApproveVersion(ctx, tr, nil)
	wantCode(t, err, xinqiao.ECONFLICT)
}

func testKBRetired(t *testing.T, s xinqiao.Store) {
	ctx := context.Background()
	approve(t, s, kbVersion("exam"), []xinqiao.Chunk{kbChunk("考试前紧张很正常。", []string{"考试"}, 0)})
	card := kbVersion("card-x")
	card.Kind, card.PinnedFor = xinqiao.KindCard, []string{"medium_risk"}
	approve(t, s, card, []xinqiao.Chunk{kbChunk("谢谢你说出来", []string{"谢谢"}, 4)})
	if cards, err := s.CurrentCards(ctx, "zh"); err != nil || len(cards) != 1 || cards[0].PinnedFor[0] != "medium_risk" {
		t.Fatalf("got %+v (%v), want the card", cards, err)
	}
	retire := func(id, actor string) (bool, error) {
		return s.RetireDocument(ctx, xinqiao.Transition{DocID: id, Actor: actor, At: time.Now()})
	}
	if retired, err := retire("exam", "bob"); err != nil || !retired {
		t.Fatalf("an article: got %v, %v; want it retired by one curator", retired, err)
	}
	// The only Chinese card for medium risk cannot go.
	_, err := retire("card-x", "bob")
	wantCode(t, err, xinqiao.ECONFLICT)
	other := kbVersion("card-y")
	other.Kind, other.PinnedFor = xinqiao.KindCard, []string{"medium_risk", "crisis"}
	approve(t, s, other, []xinqiao.Chunk{kbChunk("你不是一个人", []string{"一个人"}, 5)})
	// With another one current, retiring a card takes two curators.
	if retired, err := retire("card-x", "bob"); err != nil || retired {
		t.Fatalf("first curator: got %v, %v; want a request, not a retirement", retired, err)
	}
	_, err = retire("card-x", "bob")
	wantCode(t, err, xinqiao.EFORBIDDEN)
	if cards, _ := s.CurrentCards(ctx, "zh"); len(cards) != 2 {
		t.Fatalf("got %d current cards after a request alone, want both still current", len(cards))
	}
	if retired, err := retire("card-x", "carol"); err != nil || !retired {
		t.Fatalf("second curator: got %v, %v; want it retired", retired, err)
	}
	_, err = retire("card-y", "bob") // now the last Chinese card for both situations
	wantCode(t, err, xinqiao.ECONFLICT)
	// Nor can a new version of it stop being that card.
	for _, change := range []func(v *xinqiao.DocumentVersion){
		func(v *xinqiao.DocumentVersion) { v.Kind, v.PinnedFor = xinqiao.KindArticle, nil },
		func(v *xinqiao.DocumentVersion) { v.PinnedFor = []string{"medium_risk"} },
		func(v *xinqiao.DocumentVersion) { v.Lang = "en" },
	} {
		next := kbVersion("card-y")
		next.Kind, next.PinnedFor, next.Hash = xinqiao.KindCard, []string{"medium_risk", "crisis"}, "h-next"
		change(&next)
		stored, err := s.CreateDraft(ctx, next)
		if err != nil {
			t.Fatal(err)
		}
		tr := xinqiao.Transition{DocID: "card-y", Version: stored.Version, Actor: "reviewer", At: time.Now()}
		if _, err := s.SubmitVersion(ctx, tr); err != nil {
			t.Fatal(err)
		}
		_, err = s.ApproveVersion(ctx, tr, nil)
		wantCode(t, err, xinqiao.ECONFLICT)
	}
	en := kbVersion("card-en")
	en.Lang, en.Kind, en.PinnedFor = "en", xinqiao.KindCard, []string{"crisis"}
	approve(t, s, en, []xinqiao.Chunk{kbChunk("you are not alone", []string{"alone"}, 6)})
	if retired, err := retire("card-en", "bob"); err != nil || retired {
		t.Fatalf("an English card, first curator: got %v, %v", retired, err)
	}
	if retired, err := retire("card-en", "carol"); err != nil || !retired {
		t.Fatalf("an English card, second curator: got %v, %v", retired, err)
	}
	if cards, _ := s.CurrentCards(ctx, ""); len(cards) != 1 || cards[0].DocID != "card-y" {
		t.Fatalf("got %+v, want only card-y current", cards)
	}
	if hits, _ := s.SearchKeyword(ctx, []string{"考试"}, kbAll); len(hits) != 0 {
		t.Fatalf("got %+v by keyword, want nothing of a retired document", hits)
	}
	if hits, _ := s.SearchVector(ctx, testVec(0), kbAll); len(hits) != 0 {
		t.Fatalf("got %+v by vector, want nothing of a retired document", hits)
	}
	d, _ := s.Document(ctx, "exam")
	v, _ := s.Version(ctx, "exam", 1)
	if !d.Retired || d.Current != 0 || v.State != xinqiao.StateRetired {
		t.Fatalf("got document %+v, version state %s; want retired", d, v.State)
	}
	_, err = retire("exam", "bob")
	wantCode(t, err, xinqiao.ECONFLICT)
	_, err = retire("nope", "bob")
	wantCode(t, err, xinqiao.ENOTFOUND)
}

func testKBImport(t *testing.T, s xinqiao.Store) {
	ctx := context.Background()
	v := kbVersion("exam")
	v.Version, v.Author, v.Reviewer, v.ReviewedAt = 3, "git", "区心理教研员", time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)
	if err := s.ImportApproved(ctx, v, []xinqiao.Chunk{kbChunk("一", []string{"一"}, 0)}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Version(ctx, "exam", 3)
	if err != nil || got.State != xinqiao.StateApproved || !got.Current || got.Reviewer != "区心理教研员" {
		t.Fatalf("got %+v (%v), want version 3 approved and current", got, err)
	}
	wantCode(t, s.ImportApproved(ctx, v, nil), xinqiao.ECONFLICT)
	v.Version = 4
	if err := s.ImportApproved(ctx, v, []xinqiao.Chunk{kbChunk("二", []string{"二"}, 0)}); err != nil {
		t.Fatal(err)
	}
	if hits, _ := s.SearchKeyword(ctx, []string{"一"}, kbAll); len(hits) != 0 {
		t.Fatalf("got %+v, want the imported version 3 superseded", hits)
	}
}

func testKBFilters(t *testing.T, s xinqiao.Store) {
	ctx := context.Background()
	zh := kbVersion("zh-doc")
	zh.Audience = []string{xinqiao.BandPrimary}
	approve(t, s, zh, []xinqiao.Chunk{kbChunk("睡觉", []string{"睡觉"}, 0)})
	en := kbVersion("en-doc")
	en.Lang, en.Audience = "en", []string{xinqiao.BandSenior}
	approve(t, s, en, []xinqiao.Chunk{kbChunk("sleep", []string{"睡觉", "sleep"}, 0)})
	card := kbVersion("card")
	card.Kind, card.PinnedFor = xinqiao.KindCard, []string{"crisis"}
	approve(t, s, card, []xinqiao.Chunk{kbChunk("睡觉", []string{"睡觉"}, 0)})
	tests := []struct {
		name string
		f    xinqiao.ChunkFilter
		want []string
	}{
		{"all articles", xinqiao.ChunkFilter{K: 10}, []string{"en-doc", "zh-doc"}},
		{"lang", xinqiao.ChunkFilter{Lang: "en", K: 10}, []string{"en-doc"}},
		{"band", xinqiao.ChunkFilter{Band: xinqiao.BandPrimary, K: 10}, []string{"zh-doc"}},
		{"band not matched", xinqiao.ChunkFilter{Lang: "zh", Band: xinqiao.BandSenior, K: 10}, nil},
		{"cards only when asked", xinqiao.ChunkFilter{Kind: xinqiao.KindCard, K: 10}, []string{"card"}},
		{"k", xinqiao.ChunkFilter{K: 1}, []string{"*"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for name, search := range map[string]func() ([]xinqiao.ScoredChunk, error){
				"keyword": func() ([]xinqiao.ScoredChunk, error) { return s.SearchKeyword(ctx, []string{"睡觉"}, tt.f) },
				"vector":  func() ([]xinqiao.ScoredChunk, error) { return s.SearchVector(ctx, testVec(0), tt.f) },
			} {
				hits, err := search()
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, h := range hits {
					got = append(got, h.DocID)
				}
				if len(tt.want) == 1 && tt.want[0] == "*" {
					if len(got) != 1 {
						t.Errorf("%s: got %v, want one hit", name, got)
					}
					continue
				}
				if !sameSet(got, tt.want) {
					t.Errorf("%s: got %v, want %v", name, got, tt.want)
				}
			}
		})
	}
	hits, _ := s.SearchVector(ctx, testVec(0), xinqiao.ChunkFilter{Lang: "zh", K: 1})
	if len(hits) != 1 || math.Abs(hits[0].Score-1) > 1e-5 {
		t.Fatalf("got %+v, want cosine 1 for the same vector", hits)
	}
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	m := map[string]int{}
	for _, x := range a {
		m[x]++
	}
	for _, x := range b {
		m[x]--
	}
	for _, n := range m {
		if n != 0 {
			return false
		}
	}
	return true
}

func testKBReembed(t *testing.T, s xinqiao.Store) {
	ctx := context.Background()
	approve(t, s, kbVersion("a"), []xinqiao.Chunk{kbChunk("一", []string{"一"}, 0), kbChunk("二", []string{"二"}, 1)})
	approve(t, s, kbVersion("b"), []xinqiao.Chunk{kbChunk("三", []string{"三"}, 2)})
	counts, err := s.EmbedderCounts(ctx)
	if err != nil || len(counts) != 1 || counts[0] != (xinqiao.EmbedderCount{Embedder: "test-embedder", Dim: 8, Chunks: 3}) {
		t.Fatalf("got %+v (%v), want 3 chunks of test-embedder/8", counts, err)
	}
	var all []xinqiao.Chunk
	for after := int64(0); ; {
		page, err := s.Chunks(ctx, after, 2)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		all = append(all, page...)
		after = page[len(page)-1].ID
	}
	if len(all) != 3 || all[0].Context == "" || len(all[0].Tokens) == 0 || len(all[0].Embedding) != 8 {
		t.Fatalf("got %+v, want 3 chunks with context, tokens and vector", all)
	}
	if err := s.EnsureVectorIndex(ctx, 4); err != nil {
		t.Fatal(err)
	}
	ids := []int64{all[0].ID, all[1].ID, all[2].ID}
	vecs := [][]float32{{1, 0, 0, 0}, {0, 1, 0, 0}, {0, 0, 1, 0}}
	if err := s.SetEmbeddings(ctx, "new-embedder", 4, ids, vecs); err != nil {
		t.Fatal(err)
	}
	wantCode(t, s.SetEmbeddings(ctx, "new-embedder", 4, ids[:1], [][]float32{{1, 0}}), xinqiao.EINVALID)
	counts, _ = s.EmbedderCounts(ctx)
	if len(counts) != 1 || counts[0].Embedder != "new-embedder" || counts[0].Dim != 4 {
		t.Fatalf("got %+v, want every chunk re-embedded", counts)
	}
	hits, err := s.SearchVector(ctx, []float32{0, 0, 1, 0}, kbAll)
	if err != nil || len(hits) == 0 || hits[0].ID != ids[2] {
		t.Fatalf("got %+v (%v), want the new vectors searched", hits, err)
	}
	if hits, _ := s.SearchVector(ctx, testVec(0), kbAll); len(hits) != 0 {
		t.Fatalf("got %d hits for a vector of the old dimension, want 0", len(hits))
	}
}

func testKBGaps(t *testing.T, s xinqiao.Store) {
	ctx := context.Background()
	d1 := time.Date(2026, 3, 1, 23, 0, 0, 0, time.UTC)
	d2 := d1.Add(2 * time.Hour)
	for _, g := range []struct {
		at    time.Time
		topic string
	}{{d1, "sleep"}, {d1, "sleep"}, {d1, "exam"}, {d2, "sleep"}} {
		if err := s.CountGap(ctx, g.at, g.topic, "zh"); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Gaps(ctx, d1, d2)
	if err != nil {
		t.Fatal(err)
	}
	want := []xinqiao.GapTopic{
		{Day: "2026-03-01", Topic: "sleep", Lang: "zh", Count: 2},
		{Day: "2026-03-02", Topic: "sleep", Lang: "zh", Count: 1},
		{Day: "2026-03-01", Topic: "exam", Lang: "zh", Count: 1},
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %+v, want %+v", got, want)
		}
	}
	if only, _ := s.Gaps(ctx, d2, d2); len(only) != 1 {
		t.Fatalf("got %+v, want one day", only)
	}
	// A time in the district's zone counts on its own date there: 20:00 UTC
	// on 5 March is 04:00 on 6 March in Beijing.
	bj := time.Date(2026, 3, 5, 20, 0, 0, 0, time.UTC).In(xinqiao.Zone)
	if err := s.CountGap(ctx, bj, "exam", "en"); err != nil {
		t.Fatal(err)
	}
	day := time.Date(2026, 3, 6, 0, 0, 0, 0, xinqiao.Zone)
	got, err = s.Gaps(ctx, day, day)
	if err != nil || len(got) != 1 || got[0] != (xinqiao.GapTopic{Day: "2026-03-06", Topic: "exam", Lang: "en", Count: 1}) {
		t.Fatalf("got %+v (%v), want the gap on 2026-03-06, its Beijing date", got, err)
	}
}

// testKBKeywordRare checks keyword search over tokens of very different
// frequencies: the chunk with the rare token is found beside the common
// ones, a query of common tokens alone still finds chunks, and unknown
// tokens find nothing. (Which comes first differs: FTS5's BM25 weighs
// tokens by rarity, PostgreSQL's ts_rank does not.)
func testKBKeywordRare(t *testing.T, s xinqiao.Store) {
	ctx := context.Background()
	for i := range 12 {
		id := "common-" + string(rune('a'+i))
		approve(t, s, kbVersion(id), []xinqiao.Chunk{kbChunk("我们知道", []string{"我们", "知道", "们知"}, i)})
	}
	approve(t, s, kbVersion("rare"), []xinqiao.Chunk{kbChunk("我们的纸鹤", []string{"我们", "纸鹤"}, 0)})
	tests := []struct {
		name   string
		tokens []string
		first  string
		n      int
	}{
		{"rare among common", []string{"我们", "知道", "纸鹤"}, "", 13},
		{"rare alone", []string{"纸鹤", "没有"}, "rare", 1},
		{"common only", []string{"知道", "们知"}, "common-", 12},
		{"unknown", []string{"火星", "土星"}, "", 0},
	}
	for _, tt := range tests {
		hits, err := s.SearchKeyword(ctx, tt.tokens, xinqiao.ChunkFilter{K: 20})
		if err != nil {
			t.Fatal(err)
		}
		if len(hits) != tt.n {
			t.Errorf("%s: got %d hits, want %d", tt.name, len(hits), tt.n)
			continue
		}
		if tt.n > 0 && (len(hits[0].DocID) < len(tt.first) || hits[0].DocID[:len(tt.first)] != tt.first) {
			t.Errorf("%s: got %s first, want %s", tt.name, hits[0].DocID, tt.first)
		}
		if tt.name == "rare among common" && !slices.ContainsFunc(hits, func(h xinqiao.ScoredChunk) bool { return h.DocID == "rare" }) {
			t.Errorf("%s: the chunk with the rare token is missing", tt.name)
		}
		for i := 1; i < len(hits); i++ {
			if hits[i].Score > hits[i-1].Score {
				t.Errorf("%s: scores out of order: %v after %v", tt.name, hits[i].Score, hits[i-1].Score)
			}
		}
	}
}

// bulkImporter is the stores' fast path for benchmark corpora.
type bulkImporter interface {
	ImportBulk(ctx context.Context, vs []xinqiao.DocumentVersion, chunks [][]xinqiao.Chunk) error
}

func testKBImportBulk(t *testing.T, s xinqiao.Store) {
	bi, ok := s.(bulkImporter)
	if !ok {
		t.Skip("no bulk import on this store")
	}
	ctx := context.Background()
	a, b := kbVersion("bulk-a"), kbVersion("bulk-b")
	a.Version, b.Version, b.Lang = 1, 2, "en"
	err := bi.ImportBulk(ctx, []xinqiao.DocumentVersion{a, b}, [][]xinqiao.Chunk{
		{kbChunk("纸鹤", []string{"纸鹤"}, 1), kbChunk("心愿", []string{"心愿"}, 2)},
		{kbChunk("crane", []string{"crane", "纸鹤"}, 1)},
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Version(ctx, "bulk-b", 2)
	if err != nil || got.State != xinqiao.StateApproved || !got.Current || got.Lang != "en" {
		t.Fatalf("got %+v (%v), want bulk-b version 2 approved and current", got, err)
	}
	for _, tt := range []struct {
		f    xinqiao.ChunkFilter
		want []string
	}{{kbAll, []string{"bulk-a", "bulk-b"}}, {xinqiao.ChunkFilter{Lang: "en", K: 10}, []string{"bulk-b"}}} {
		hits, err := s.SearchKeyword(ctx, []string{"纸鹤"}, tt.f)
		if err != nil {
			t.Fatal(err)
		}
		vhits, err := s.SearchVector(ctx, testVec(1), tt.f)
		if err != nil {
			t.Fatal(err)
		}
		var kw, vec []string
		for _, h := range hits {
			kw = append(kw, h.DocID)
		}
		for _, h := range vhits {
			if !slices.Contains(vec, h.DocID) {
				vec = append(vec, h.DocID)
			}
		}
		if !sameSet(kw, tt.want) || !sameSet(vec, tt.want) {
			t.Errorf("filter %+v: got keyword %v and vector %v, want %v", tt.f, kw, vec, tt.want)
		}
	}
	wantCode(t, bi.ImportBulk(ctx, []xinqiao.DocumentVersion{a}, [][]xinqiao.Chunk{nil}), xinqiao.ECONFLICT)
	bad := kbVersion("bulk-c")
	bad.Version, bad.Lang = 1, "fr"
	wantCode(t, bi.ImportBulk(ctx, []xinqiao.DocumentVersion{bad}, [][]xinqiao.Chunk{nil}), xinqiao.EINVALID)
}
