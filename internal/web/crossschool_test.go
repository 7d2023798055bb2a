package web_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"xinqiao/internal/app"
	"xinqiao/internal/apptest"
	"xinqiao/internal/storetest"
	"xinqiao/internal/web"
	"xinqiao/internal/xinqiao"
)

// TestCrossSchoolRecordsAreHidden: a counselor of one school reaches
// another school's follow-ups, case notes and handoffs exactly as far as
// GET /api/cases/{id} lets them — not at all (404, nothing of the object in
// the answer) — and a follow-up goes only to a counselor of the case's
// school.
func TestCrossSchoolRecordsAreHidden(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			s := apptest.Start(t, e.Open(t), app.Options{})
			ctx := context.Background()
			for code, school := range map[string]string{"T-A": "甲校", "T-B": "乙校"} {
				if err := s.Store.UpsertTerminal(ctx, xinqiao.Terminal{Code: code, School: school, Place: "走廊"}); err != nil {
					t.Fatal(err)
				}
			}
			for _, u := range []struct{ name, role, school string }{
				{"a1", xinqiao.RoleCounselor, "甲校"}, {"a2", xinqiao.RoleCounselor, "甲校"},
				{"supa", xinqiao.RoleSupervisor, "甲校"}, {"b1", xinqiao.RoleCounselor, "乙校"},
				{"cur", xinqiao.RoleCurator, ""},
			} {
				if _, err := web.CreateStaff(ctx, s.Store, u.name, apptest.Password, u.role, u.name, u.school); err != nil {
					t.Fatal(err)
				}
			}
			a1, a2, supa, b1 := adminSession(t, s, "a1"), adminSession(t, s, "a2"), adminSession(t, s, "supa"), adminSession(t, s, "b1")
			cur := adminSession(t, s, "cur")
			open := func(terminal string) xinqiao.Handoff {
				c, _ := storetest.NewConversation(t, s.Store, terminal)
				h, _, _, err := s.Store.OpenHandoff(ctx, xinqiao.NewHandoff{ConversationID: c.ID, Level: xinqiao.LevelHigh,
					Categories: []string{"suicide"}, Rules: []string{"zh.test"}, MessageSeq: 1, At: time.Now()})
				if err != nil {
					t.Fatal(err)
				}
				return h
			}
			hA, hB := open("T-A"), open("T-B")
			if code := b1.Do(t, "POST", "/api/handoffs/"+hB.ID+"/claim", nil, nil); code != 200 {
				t.Fatalf("b1 claims its own school's handoff: got %d", code)
			}
			var made struct {
				FollowUp xinqiao.FollowUp `json:"follow_up"`
			}
			due := time.Now().Add(72 * time.Hour)
			if code := b1.Do(t, "POST", "/api/cases/"+hB.CaseID+"/follow-ups", map[string]any{"task": "乙校的回访任务", "due": due}, &made); code != 201 {
				t.Fatalf("b1 adds a follow-up: got %d", code)
			}
			fB := made.FollowUp.ID

			raw := func(st *apptest.Staff, method, path string, body any) (int, string) {
				var out map[string]any
				code := st.Do(t, method, path, body, &out)
				return code, fmt.Sprint(out)
			}
			for _, tt := range []struct {
				name, method, path string
				body               any
			}{
				{"case", "GET", "/api/cases/" + hB.CaseID, nil},
				{"follow-up done", "POST", fmt.Sprintf("/api/follow-ups/%d/done", fB), nil},
				{"typing", "POST", "/api/handoffs/" + hB.ID + "/typing", nil},
				{"message", "POST", "/api/handoffs/" + hB.ID + "/messages", map[string]string{"text": "你好"}},
				{"case note", "POST", "/api/cases/" + hB.CaseID + "/notes", map[string]string{"text": "x"}},
				{"handoff note", "POST", "/api/handoffs/" + hB.ID + "/notes", map[string]string{"text": "x"}},
			} {
				code, body := raw(a1, tt.method, tt.path, tt.body)
				if code != 404 || strings.Contains(body, "乙校") || strings.Contains(body, "active") || strings.Contains(body, "claimed") {
					t.Errorf("%s of another school: got %d %s, want 404 saying nothing of it", tt.name, code, body)
				}
			}
			if f, err := s.Store.FollowUp(ctx, fB); err != nil || f.DoneAt != nil {
				t.Fatalf("another school's follow-up after the refused done: got %+v, %v, want it open", f, err)
			}

			// Notes and referrals name only a handoff of their own case.
			for _, tt := range []struct {
				path string
				body map[string]string
				code int
			}{
				{"/api/cases/" + hA.CaseID + "/notes", map[string]string{"text": "x", "handoff_id": hB.ID}, 400},
				{"/api/cases/" + hA.CaseID + "/notes", map[string]string{"text": "x", "handoff_id": "nope"}, 400},
				{"/api/cases/" + hA.CaseID + "/referrals", map[string]string{"kind": "other", "handoff_id": hB.ID}, 400},
				{"/api/cases/" + hA.CaseID + "/notes", map[string]string{"text": "已联系班主任", "handoff_id": hA.ID}, 201},
				{"/api/cases/" + hA.CaseID + "/referrals", map[string]string{"kind": "other", "handoff_id": hA.ID}, 201},
			} {
				if code, body := raw(a1, "POST", tt.path, tt.body); code != tt.code {
					t.Errorf("POST %s %v: got %d %s, want %d", tt.path, tt.body, code, body, tt.code)
				}
			}
			if notes, _ := s.Store.CaseNotes(ctx, hA.CaseID); len(notes) != 1 || notes[0].HandoffID != hA.ID {
				t.Fatalf("got notes %+v, want only the one on its own handoff", notes)
			}

			// A follow-up's assignee exists and is a counselor of the case's school.
			for _, tt := range []struct {
				assignee string
				code     int
			}{
				{"no-such-staff", 400}, {b1.Me.ID, 400}, {cur.Me.ID, 400}, {a2.Me.ID, 201},
			} {
				if code, body := raw(a1, "POST", "/api/cases/"+hA.CaseID+"/follow-ups", map[string]any{"task": "回访", "due": due, "assignee": tt.assignee}); code != tt.code {
					t.Errorf("assignee %s: got %d %s, want %d", tt.assignee, code, body, tt.code)
				}
			}
			var list struct {
				FollowUps []xinqiao.FollowUp `json:"follow_ups"`
			}
			for _, st := range []*apptest.Staff{a2, supa} {
				if code := st.Do(t, "GET", "/api/follow-ups", nil, &list); code != 200 || len(list.FollowUps) != 1 || list.FollowUps[0].CaseID != hA.CaseID {
					t.Errorf("%s's follow-ups: got %d %+v, want the one on 甲校's case only", st.Me.Username, code, list.FollowUps)
				}
			}
			if code := b1.Do(t, "POST", fmt.Sprintf("/api/follow-ups/%d/done", fB), nil, nil); code != 200 {
				t.Fatalf("b1 completes its own school's follow-up: got %d", code)
			}
		})
	}
}
