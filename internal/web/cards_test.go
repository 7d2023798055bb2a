package web_test

import (
	"context"
	"slices"
	"testing"

	"xinqiao/internal/storetest"
	"xinqiao/internal/xinqiao"
)

// TestSafetyCardsNeedTwoCurators: retiring a card (the replies pinned for a
// crisis or medium risk) takes a second curator like approval does, and is
// audited; the last Chinese card for a situation cannot be retired at all,
// so a Chinese student never gets the English card instead.
func TestSafetyCardsNeedTwoCurators(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			s, li, chen := startKB(t, e.Open(t))
			ctx := context.Background()
			retire := func(who interface {
				Do(testing.TB, string, string, any, any) int
			}, id string) (int, errBody) {
				var out errBody
				return who.Do(t, "POST", "/api/kb/documents/"+id+"/retire", nil, &out), out
			}
			for _, id := range []string{"card-crisis-zh", "card-medium-risk-zh"} {
				if code, out := retire(li, id); code != 409 || out.Error.Code != xinqiao.ECONFLICT {
					t.Fatalf("retire %s, the only Chinese card of its kind: got %d %+v, want 409 conflict", id, code, out)
				}
			}
			if code, _ := retire(li, "card-crisis-en"); code != 202 {
				t.Fatalf("first curator retiring the English crisis card: got %d, want 202 (a request)", code)
			}
			if cards, _ := s.Store.CurrentCards(ctx, "en"); !slices.ContainsFunc(cards, func(v xinqiao.DocumentVersion) bool { return v.DocID == "card-crisis-en" }) {
				t.Fatal("one curator's request alone took the card out")
			}
			if code, out := retire(li, "card-crisis-en"); code != 403 {
				t.Fatalf("the same curator confirming: got %d %+v, want 403", code, out)
			}
			if code, _ := retire(chen, "card-crisis-en"); code != 200 {
				t.Fatalf("a second curator confirming: got %d, want 200", code)
			}
			if cards, _ := s.Store.CurrentCards(ctx, "en"); slices.ContainsFunc(cards, func(v xinqiao.DocumentVersion) bool { return v.DocID == "card-crisis-en" }) {
				t.Fatal("the confirmed card is still current")
			}
			got := adminAuditActions(t, s, "card-crisis-en")
			if !slices.Contains(got, "kb.retire_request") || !slices.Contains(got, "kb.retire") {
				t.Fatalf("audit of the card: got %v, want kb.retire_request and kb.retire", got)
			}
			evs, _ := s.Store.AuditEvents(ctx, "card-crisis-en", 10)
			actors := map[string]bool{}
			for _, e := range evs {
				actors[e.Actor] = true
			}
			if !actors[li.Me.ID] || !actors[chen.Me.ID] {
				t.Fatalf("audit actors %v, want both curators", actors)
			}
		})
	}
}
