package storetest

import (
	"context"
	"sync"
	"testing"

	"xinqiao/internal/xinqiao"
)

func init() {
	register("RiskRules", func(t *testing.T, open func(tb testing.TB) xinqiao.Store) {
		t.Run("PublishAndRead", func(t *testing.T) { testRiskRulesPublish(t, open(t)) })
		t.Run("ConcurrentPublishOneWins", func(t *testing.T) { testRiskRulesConcurrent(t, open(t)) })
	})
}

func testRiskRulesPublish(t *testing.T, s xinqiao.Store) {
	ctx := context.Background()
	r, err := s.RiskRules(ctx)
	if err != nil || r.Version != 0 || r.Source != "" {
		t.Fatalf("got %+v, %v before any publish, want version 0", r, err)
	}
	if vs, err := s.RiskRuleVersions(ctx, 10); err != nil || vs == nil || len(vs) != 0 {
		t.Fatalf("got %v, %v, want an empty (not nil) history", vs, err)
	}
	st := NewStaff(t, s, "rules1", xinqiao.RoleCounselor)
	src1 := "rule district.a\nlang: zh\ncategory: self_harm\nlevel: high\nmatch: 划一下\n"
	v1, err := s.PublishRiskRules(ctx, 0, xinqiao.RiskRules{Source: src1, Note: "第一版", Author: st.ID})
	if err != nil || v1.Version != 1 || v1.AuthorName != st.DisplayName || v1.CreatedAt.IsZero() {
		t.Fatalf("publish: got %+v, %v, want version 1 by %s", v1, err, st.DisplayName)
	}
	_, err = s.PublishRiskRules(ctx, 0, xinqiao.RiskRules{Source: "x", Note: "stale", Author: st.ID})
	wantCode(t, err, xinqiao.ECONFLICT)
	v2, err := s.PublishRiskRules(ctx, 1, xinqiao.RiskRules{Source: "", Note: "全部撤下", Author: st.ID})
	if err != nil || v2.Version != 2 {
		t.Fatalf("publish on 1: got %+v, %v", v2, err)
	}
	cur, err := s.RiskRules(ctx)
	if err != nil || cur.Version != 2 || cur.Source != "" || cur.Note != "全部撤下" || cur.Author != st.ID || !cur.CreatedAt.Equal(v2.CreatedAt) {
		t.Fatalf("latest: got %+v, %v, want version 2 as published (%v)", cur, err, v2.CreatedAt)
	}
	old, err := s.RiskRuleVersion(ctx, 1)
	if err != nil || old.Source != src1 || old.Note != "第一版" || old.AuthorName != st.DisplayName {
		t.Fatalf("version 1: got %+v, %v", old, err)
	}
	_, err = s.RiskRuleVersion(ctx, 3)
	wantCode(t, err, xinqiao.ENOTFOUND)
	vs, err := s.RiskRuleVersions(ctx, 10)
	if err != nil || len(vs) != 2 || vs[0].Version != 2 || vs[1].Version != 1 || vs[1].Source != "" || vs[1].AuthorName != st.DisplayName {
		t.Fatalf("history: got %+v, %v, want versions 2 and 1 without source", vs, err)
	}
	if vs, _ := s.RiskRuleVersions(ctx, 1); len(vs) != 1 || vs[0].Version != 2 {
		t.Fatalf("history limit 1: got %+v", vs)
	}
	_, err = s.PublishRiskRules(ctx, 2, xinqiao.RiskRules{Source: "x", Note: "n", Author: "nobody"})
	if err == nil {
		t.Fatal("published with an unknown author")
	}
	if cur, _ := s.RiskRules(ctx); cur.Version != 2 {
		t.Fatalf("a failed publish left version %d, want 2", cur.Version)
	}
}

func testRiskRulesConcurrent(t *testing.T, s xinqiao.Store) {
	ctx := context.Background()
	st := NewStaff(t, s, "rules2", xinqiao.RoleSupervisor)
	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = s.PublishRiskRules(ctx, 0, xinqiao.RiskRules{Source: "# try", Note: "race", Author: st.ID})
		}()
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case xinqiao.ErrorCode(err) != xinqiao.ECONFLICT:
			t.Fatalf("got %v, want success or conflict", err)
		}
	}
	if won != 1 {
		t.Fatalf("%d of %d publishes on the same base won, want exactly 1", won, n)
	}
	if vs, _ := s.RiskRuleVersions(ctx, 10); len(vs) != 1 {
		t.Fatalf("got %d versions, want 1", len(vs))
	}
}
