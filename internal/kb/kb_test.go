package kb_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"testing/fstest"
	"unicode/utf8"

	"xinqiao/internal/embed"
	"xinqiao/internal/kb"
	"xinqiao/internal/kb/seg"
	"xinqiao/internal/storetest"
	"xinqiao/internal/xinqiao"
	"xinqiao/knowledge"
)

const sleepDoc = `---
id: sleep-test
title: 睡不着的时候
lang: zh
audience: [junior, senior]
topics: [sleep]
version: 1
reviewed_by: 区心理教研员
reviewed_at: 2026-11-29
review_due: 2027-11-29
---

## 为什么会失眠

考试前想得太多，躺下以后脑子停不下来，这很常见。

## 可以试试

睡前一小时放下手机，做几次慢慢的呼吸。
`

func TestParse(t *testing.T) {
	tests := []struct {
		name, src, wantErr string
	}{
		{"ok", sleepDoc, ""},
		{"no front matter", "# 标题\n正文", "no front matter"},
		{"not closed", "---\nid: x\n", "not closed"},
		{"bad yaml", "---\nid: [x\n---\n正文", "front matter"},
		{"no id", strings.Replace(sleepDoc, "id: sleep-test", "id: ", 1), "id is missing"},
		{"bad lang", strings.Replace(sleepDoc, "lang: zh", "lang: fr", 1), "lang"},
		{"bad band", strings.Replace(sleepDoc, "[junior, senior]", "[college]", 1), "audience"},
		{"bad date", strings.Replace(sleepDoc, "reviewed_at: 2026-11-29", "reviewed_at: soon", 1), "reviewed_at"},
		{"card without pin", strings.Replace(sleepDoc, "version: 1", "version: 1\nkind: card", 1), "pinned_for"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := kb.Parse([]byte(tt.src))
			if tt.wantErr == "" {
				if err != nil || !p.Reviewed() || p.ID != "sleep-test" || p.Kind != xinqiao.KindArticle || p.ReviewDue.Year() != 2027 {
					t.Fatalf("got %+v, %v; want a reviewed article", p.FrontMatter, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || xinqiao.ErrorCode(err) != xinqiao.EINVALID {
				t.Fatalf("got error %v, want EINVALID mentioning %q", err, tt.wantErr)
			}
		})
	}
}

func TestChunkMarkdown(t *testing.T) {
	long := strings.Repeat("这是一句比较长的话，用来把段落撑大。", 40) // ~720 runes
	tests := []struct {
		name       string
		body       string
		wantPieces int
	}{
		{"short sections merge", "## 一\n\n短。\n\n## 二\n\n也短。", 1},
		{"sections", "## 一\n\n" + strings.Repeat("甲", 200) + "\n\n## 二\n\n" + strings.Repeat("乙", 200), 2},
		{"long paragraph splits", "## 长\n\n" + long, 2},
		{"no headings", "只有一段。", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps := kb.ChunkMarkdown("标题", tt.body)
			if len(ps) != tt.wantPieces {
				t.Fatalf("got %d pieces, want %d: %+v", len(ps), tt.wantPieces, ps)
			}
			for _, p := range ps {
				if !strings.HasPrefix(p.Context, "标题\n") {
					t.Errorf("got context %q, want the title first", p.Context)
				}
				if n := utf8.RuneCountInString(p.Text); n > kb.MaxChunkRunes+kb.MinChunkRunes {
					t.Errorf("got a piece of %d runes, want at most about %d", n, kb.MaxChunkRunes)
				}
			}
		})
	}
}

func TestChunksOfTheKnowledgeAreSized(t *testing.T) {
	corpus, err := kb.Corpus(knowledge.FS, ".")
	if err != nil || len(corpus) == 0 {
		t.Fatalf("got %d chunks, %v", len(corpus), err)
	}
	for _, c := range corpus {
		if n := utf8.RuneCountInString(c); n > 800 {
			t.Errorf("got a chunk of %d runes: %.40q", n, c)
		}
	}
}

func TestTokens(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"考试，紧张！", []string{"考试", "紧张"}},
		{"我 怕", []string{"我", "怕"}},
		{"Ｅｘａｍｓ make me NERVOUS", []string{"exam", "make", "nervous", "anxiety"}},
		{"12355 热线", []string{"12355", "热线"}},
	}
	for _, tt := range tests {
		got := seg.Tokens(tt.in)
		for _, w := range tt.want {
			if !contains(got, w) {
				t.Errorf("Tokens(%q) = %v, want %q among them", tt.in, got, w)
			}
		}
	}
	if got := seg.Tokens("晚上睡不着"); !contains(got, "失眠") {
		t.Errorf("got %v, want the colloquial 睡不着 expanded to 失眠", got)
	}
}

func contains(s []string, w string) bool {
	for _, x := range s {
		if x == w {
			return true
		}
	}
	return false
}

func TestLocalEmbedder(t *testing.T) {
	e := embed.NewLocal([]string{"考试 焦虑", "睡眠 失眠", "朋友 吵架"})
	vs, err := e.Embed(context.Background(), []string{"考试前很焦虑", "考试前很焦虑", "和朋友吵架了"})
	if err != nil {
		t.Fatal(err)
	}
	if len(vs[0]) != e.Dim() {
		t.Fatalf("got dim %d, want %d", len(vs[0]), e.Dim())
	}
	var same, other float64
	for i := range vs[0] {
		same += float64(vs[0][i] * vs[1][i])
		other += float64(vs[0][i] * vs[2][i])
	}
	if same < 0.999 || other > 0.5 {
		t.Fatalf("got cosine %.3f for the same text and %.3f for another, want 1 and low", same, other)
	}
	if e2 := embed.NewLocal([]string{"别的语料"}); e2.Name() == e.Name() {
		t.Fatalf("got the same name %q for another IDF corpus, want a different one", e.Name())
	}
}

func TestSyncIsIdempotentAndReportsMalformed(t *testing.T) {
	ctx := context.Background()
	fsys := fstest.MapFS{
		"zh/sleep.md":  {Data: []byte(sleepDoc)},
		"zh/broken.md": {Data: []byte("---\nid: broken\ntitle: 坏的\n---\n正文")},
		"zh/draft.md":  {Data: []byte(strings.NewReplacer("id: sleep-test", "id: draft-doc", "reviewed_by: 区心理教研员\n", "", "reviewed_at: 2026-11-29\n", "").Replace(sleepDoc))},
		"README.md":    {Data: []byte("# not a document")},
		".hidden/x.md": {Data: []byte("junk")},
		"zh/notes.txt": {Data: []byte("not markdown")},
		"zh/dup-id.md": {Data: []byte(strings.Replace(sleepDoc, "睡不着的时候", "重复", 1))},
	}
	emb := embed.NewLocal(nil)
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			st := e.Open(t)
			var progress bytes.Buffer
			rep, err := kb.Sync(ctx, st, emb, fsys, ".", &progress)
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Added) != 1 || len(rep.Drafts) != 1 || len(rep.Failed) != 2 {
				t.Fatalf("got %s, want 1 added, 1 draft, 2 failed", rep)
			}
			for _, f := range rep.Failed {
				if f.File != "zh/broken.md" && f.File != "zh/sleep.md" && f.File != "zh/dup-id.md" || f.Reason == "" {
					t.Errorf("got failure %+v, want a file name and a reason", f)
				}
			}
			if !strings.Contains(progress.String(), "/4") {
				t.Errorf("got progress %q, want a counter over 4 documents", progress.String())
			}
			again, err := kb.Sync(ctx, st, emb, fsys, ".", nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(again.Added)+len(again.Updated)+len(again.Drafts) != 0 || again.Unchanged != 2 {
				t.Fatalf("second sync: got %s, want everything unchanged", again)
			}
			// A changed document with the same version is refused; with a
			// higher version it becomes the current version.
			fsys2 := fstest.MapFS{"sleep.md": {Data: []byte(strings.Replace(sleepDoc, "这很常见", "这很正常", 1))}}
			rep2, _ := kb.Sync(ctx, st, emb, fsys2, ".", nil)
			if len(rep2.Failed) != 1 || !strings.Contains(rep2.Failed[0].Reason, "version") {
				t.Fatalf("got %s, want the unbumped change refused", rep2)
			}
			fsys2["sleep.md"].Data = []byte(strings.Replace(strings.Replace(sleepDoc, "这很常见", "这很正常", 1), "version: 1", "version: 2", 1))
			rep3, _ := kb.Sync(ctx, st, emb, fsys2, ".", nil)
			if len(rep3.Updated) != 1 {
				t.Fatalf("got %s, want the document updated", rep3)
			}
			s := kb.NewSearcher(st, emb, kb.Options{})
			res, err := s.Search(ctx, "考试前睡不着", kb.Filter{Lang: "zh", Band: "senior"})
			if err != nil || len(res.Hits) == 0 || res.Hits[0].DocID != "sleep-test" || res.Hits[0].Version != 2 {
				t.Fatalf("got %+v (%v), want sleep-test v2", res.Hits, err)
			}
			if src := kb.Sources(res.Hits); len(src) != 1 || src[0].Version != 2 {
				t.Fatalf("got sources %+v, want one citation of v2", src)
			}
		})
	}
}

func TestEmbedderMismatchAndReembed(t *testing.T) {
	ctx := context.Background()
	fsys := fstest.MapFS{"sleep.md": {Data: []byte(sleepDoc)}}
	st := storetest.MustOpenSQLite(t)
	old := embed.NewLocalDim(nil, 64)
	if _, err := kb.Sync(ctx, st, old, fsys, ".", nil); err != nil {
		t.Fatal(err)
	}
	cur := embed.NewLocal(nil)
	_, err := kb.Sync(ctx, st, cur, fsys, ".", nil)
	if xinqiao.ErrorCode(err) != xinqiao.EUNAVAILABLE || !strings.Contains(err.Error(), "xinqiao kb reembed") {
		t.Fatalf("got %v, want an error telling to run xinqiao kb reembed", err)
	}
	if _, err := kb.Prepare(ctx, st, cur, fsys, false, nil); err == nil {
		t.Fatalf("got no error from Prepare without auto re-embed, want the mismatch")
	}
	if _, err := kb.Prepare(ctx, st, cur, fsys, true, nil); err != nil {
		t.Fatalf("Prepare with auto re-embed: %v", err)
	}
	if err := kb.CheckEmbedder(ctx, st, cur); err != nil {
		t.Fatalf("after re-embedding: %v", err)
	}
}

func TestWorkflowService(t *testing.T) {
	ctx := context.Background()
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			st := e.Open(t)
			emb := embed.NewLocal(nil)
			svc := kb.NewService(st, emb, nil)
			// Searches go through the in-process index, which the workflow
			// reloads on every approval and retirement.
			index := kb.NewIndex(st, st, nil)
			if err := index.Load(ctx); err != nil {
				t.Fatal(err)
			}
			svc.UpdateIndex(index)
			s := kb.NewSearcher(st, emb, kb.Options{Index: index})
			v, err := svc.CreateDraft(ctx, "alice", kb.Draft{Markdown: sleepDoc})
			if err != nil || v.State != xinqiao.StateDraft || v.Reviewer != "" {
				t.Fatalf("got %+v, %v; want a draft without the file's reviewer", v, err)
			}
			if _, err := svc.Submit(ctx, "alice", v.DocID, v.Version); err != nil {
				t.Fatal(err)
			}
			if _, err := svc.Approve(ctx, "alice", v.DocID, v.Version); xinqiao.ErrorCode(err) != xinqiao.EFORBIDDEN {
				t.Fatalf("got %v, want the author's approval forbidden", err)
			}
			if _, err := svc.Approve(ctx, "bob", v.DocID, v.Version); err != nil {
				t.Fatal(err)
			}
			res, _ := s.Search(ctx, "睡不着", kb.Filter{Lang: "zh"})
			if len(res.Hits) == 0 || res.Hits[0].DocID != v.DocID {
				t.Fatalf("got %+v, want the approved document", res.Hits)
			}
			v2, err := svc.CreateDraft(ctx, "bob", kb.Draft{Markdown: strings.Replace(sleepDoc, "这很常见", "这很正常", 1)})
			if err != nil || v2.Version != 2 {
				t.Fatalf("got %+v, %v; want version 2", v2, err)
			}
			diff, err := svc.Diff(ctx, v.DocID, 1, 2)
			if err != nil {
				t.Fatal(err)
			}
			var changed []string
			for _, l := range diff {
				if l.Op != " " {
					changed = append(changed, l.Op+l.Text)
				}
			}
			if len(changed) != 2 || !strings.Contains(changed[0], "常见") || !strings.Contains(changed[1], "正常") {
				t.Fatalf("got diff %v, want one line removed and one added", changed)
			}
			if _, err := svc.Retire(ctx, "bob", v.DocID); err != nil {
				t.Fatal(err)
			}
			res, _ = s.Search(ctx, "睡不着", kb.Filter{Lang: "zh"})
			if len(res.Hits) != 0 {
				t.Fatalf("got %+v, want nothing of a retired document", res.Hits)
			}
		})
	}
}

func TestCardsAndGaps(t *testing.T) {
	ctx := context.Background()
	st := storetest.MustOpenSQLite(t)
	emb, err := kb.NewLocalEmbedder(knowledge.FS, ".")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kb.Sync(ctx, st, emb, knowledge.FS, ".", nil); err != nil {
		t.Fatal(err)
	}
	s := kb.NewSearcher(st, emb, kb.Options{})
	tests := []struct {
		situation, lang, band string
		wantLang              string
	}{
		{"medium_risk", "zh", "junior", "zh"},
		{"self_harm", "en", "senior", "en"},
		{"abuse", "zh", "primary", "zh"},
	}
	for _, tt := range tests {
		h, ok := s.Card(ctx, tt.situation, tt.lang, tt.band)
		if !ok || h.Kind != xinqiao.KindCard || h.Lang != tt.wantLang || h.Text == "" || h.Version == 0 {
			t.Errorf("Card(%s, %s): got %+v %v, want a %s card", tt.situation, tt.lang, h, ok, tt.wantLang)
		}
	}
	if _, ok := s.Card(ctx, "no_such_situation", "zh", ""); ok {
		t.Errorf("got a card for an unknown situation, want none")
	}
	// Cards never come back from an ordinary search.
	res, _ := s.Search(ctx, "谢谢你愿意说出来", kb.Filter{Lang: "zh", K: 20})
	for _, h := range res.Hits {
		if h.Kind == xinqiao.KindCard {
			t.Fatalf("got card %s as a search hit", h.DocID)
		}
	}
	// An off-topic question is not confident and is counted as a gap.
	res, err = s.Search(ctx, "二次函数的顶点坐标公式是什么", kb.Filter{Lang: "zh", CountGap: true})
	if err != nil || res.Confident {
		t.Fatalf("got confident=%v (%v) for a maths question, want not confident", res.Confident, err)
	}
	gaps, err := st.Gaps(ctx, testNow().AddDate(0, 0, -1), testNow().AddDate(0, 0, 1))
	if err != nil || len(gaps) != 1 || gaps[0].Count != 1 {
		t.Fatalf("got gaps %+v (%v), want one counted", gaps, err)
	}
}
