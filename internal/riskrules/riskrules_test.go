package riskrules_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"xinqiao/internal/riskrules"
	"xinqiao/internal/storetest"
	"xinqiao/internal/xinqiao"
)

const slang = "我今晚想去啵啵星了"

// TestBrokenVersionKeepsTheRulesInForce: a published version that does not
// compile on this binary (written straight to the store, as a newer or
// older node might have) never stops the node: it starts on the built-in
// rules, says why on the status, and puts the next good version in force.
func TestBrokenVersionKeepsTheRulesInForce(t *testing.T) {
	ctx := context.Background()
	store := storetest.MustOpenSQLite(t)
	st := storetest.NewStaff(t, store, "wang", xinqiao.RoleCounselor)
	if _, err := store.PublishRiskRules(ctx, 0, xinqiao.RiskRules{Source: "set no_such_set += 啵啵\n", Note: "n", Author: st.ID}); err != nil {
		t.Fatal(err)
	}
	svc, err := riskrules.New(ctx, store, "", nil)
	if err != nil {
		t.Fatalf("a broken published version stopped the start: %v", err)
	}
	s, err := svc.Status(ctx)
	if err != nil || s.InForce || s.Version != 1 || !strings.Contains(s.Error, "district:1") {
		t.Fatalf("status: got %+v, %v, want version 1 not in force, with its error", s, err)
	}
	if got := svc.Live().Current().Classify("我不想活了").Level.String(); got != "medium" {
		t.Fatalf("built-in rules: got %s, want medium", got)
	}
	good := "rule district.suicide.1\nlang: zh\ncategory: suicide\nlevel: high\nmatch: 想去啵啵星\n"
	if _, err := store.PublishRiskRules(ctx, 1, xinqiao.RiskRules{Source: good, Note: "n", Author: st.ID}); err != nil {
		t.Fatal(err)
	}
	if err := svc.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	if s, _ := svc.Status(ctx); !s.InForce || s.Version != 2 || s.Error != "" || len(s.Rules) != 1 {
		t.Fatalf("after a good version: got %+v", s)
	}
	if got := svc.Live().Current().Classify(slang).Level.String(); got != "high" {
		t.Fatalf("district rule: got %s, want high", got)
	}
}

// TestFolderReadOnceAndCombined: the rules folder is read at start (a later
// edit on disk changes nothing until a restart) and the district rules
// compile over it; a broken folder refuses to start.
func TestFolderReadOnceAndCombined(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	folder := "set district_words = 去啵啵星\nrule school.suicide.1\nlang: zh\ncategory: suicide\nlevel: medium\nmatch: 想{district_words}\n"
	if err := os.WriteFile(filepath.Join(dir, "school.rules"), []byte(folder), 0o644); err != nil {
		t.Fatal(err)
	}
	store := storetest.MustOpenSQLite(t)
	svc, err := riskrules.New(ctx, store, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "school.rules"), []byte("broken\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	st := storetest.NewStaff(t, store, "zhang", xinqiao.RoleSupervisor)
	draft := "set district_words += 去种蘑菇\n"
	chk, err := svc.Check(ctx, draft, []string{"我想去种蘑菇", slang})
	if err != nil || !chk.OK {
		t.Fatalf("check over the folder: got %+v, %v", chk, err)
	}
	if a, b := chk.Results[0].Current.Level.String(), chk.Results[0].Draft.Level.String(); a != "none" || b != "medium" {
		t.Fatalf("extending the folder's set: got %s → %s, want none → medium", a, b)
	}
	if got := chk.Results[1].Current.Level.String(); got != "medium" {
		t.Fatalf("the folder's rule: got %s, want medium", got)
	}
	// A rule that pages on hyperbole shows the look-alikes it would raise.
	noisy, err := svc.Check(ctx, "rule district.noisy\nlang: zh\ncategory: suicide\nlevel: high\nmatch: 累死\n", nil)
	if err != nil || !noisy.OK || noisy.ChangedTotal == 0 || !noisy.Changed[0].Raised || noisy.Lowered() != 0 {
		t.Fatalf("a noisy draft: got %d changed (%+v), %v; want raised look-alikes", noisy.ChangedTotal, noisy.Changed, err)
	}
	if _, _, err := svc.Publish(ctx, st, 0, draft, "蘑菇", false); err != nil {
		t.Fatal(err)
	}
	if got := svc.Live().Current().Classify("我想去种蘑菇").Level.String(); got != "medium" {
		t.Fatalf("after publish: got %s, want medium", got)
	}
	if _, err := riskrules.New(ctx, store, dir, nil); err == nil || !strings.Contains(err.Error(), "school.rules:1") {
		t.Fatalf("a broken folder: got %v, want a refusal naming school.rules:1", err)
	}
}

// BenchmarkCheck measures one check of a one-rule draft with one sentence:
// a full compile over the built-in rules plus our reference cases under
// the rules in force and the draft.
//
//	go test ./internal/riskrules -run '^$' -bench Check -benchmem
func BenchmarkCheck(b *testing.B) {
	ctx := context.Background()
	store := storetest.MustOpenSQLite(b)
	svc, err := riskrules.New(ctx, store, "", nil)
	if err != nil {
		b.Fatal(err)
	}
	draft := "rule district.suicide.1\nlang: zh\ncategory: suicide\nlevel: high\nmatch: 想去啵啵星\n"
	b.ReportAllocs()
	for b.Loop() {
		if chk, err := svc.Check(ctx, draft, []string{slang}); err != nil || !chk.OK {
			b.Fatal(chk, err)
		}
	}
}
