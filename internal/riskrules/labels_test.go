package riskrules_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"xinqiao/internal/riskrules"
	"xinqiao/internal/storetest"
	"xinqiao/internal/xinqiao"
)

// TestExportScrubsNames: the exported text and question carry no staff
// display name, school or place the store knows (a counselor's 我是王老师,
// a student naming the school), each replaced by its placeholder, the
// longer name first; a one-character name and ordinary words are left.
func TestExportScrubsNames(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			ctx := context.Background()
			s := e.Open(t)
			if err := s.UpsertTerminal(ctx, xinqiao.Terminal{Code: "T-1", School: "七中", Place: "三楼走廊"}); err != nil {
				t.Fatal(err)
			}
			if err := s.UpsertTerminal(ctx, xinqiao.Terminal{Code: "T-2", School: "七中初中部", Place: "图书馆"}); err != nil {
				t.Fatal(err)
			}
			for _, st := range []xinqiao.Staff{
				{Username: "wang", DisplayName: "王老师", Role: xinqiao.RoleCounselor, School: "七中"},
				{Username: "wangl", DisplayName: "王老", Role: xinqiao.RoleCounselor},
				{Username: "li", DisplayName: "李", Role: xinqiao.RoleCounselor},
			} {
				st.PasswordHash = "x"
				if _, err := s.CreateStaff(ctx, st); err != nil {
					t.Fatal(err)
				}
			}
			c, _ := storetest.NewConversation(t, s, "T-1")
			for _, m := range []xinqiao.NewMessage{
				{Role: xinqiao.RoleCounselor, Text: "我是王老师，你现在还在七中初中部的三楼走廊吗？"},
				{Role: xinqiao.RoleStudent, Text: "王老师我在图书馆，七中没人理我，李同学也不理我", Risk: &xinqiao.RiskMark{Level: "medium", Categories: []string{"suicide"}}},
			} {
				m.ConversationID = c.ID
				if _, _, err := s.AppendMessage(ctx, m); err != nil {
					t.Fatal(err)
				}
			}
			st, err := s.StaffByUsername(ctx, "wang")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.SetRiskLabel(ctx, xinqiao.RiskLabel{ConversationID: c.ID, Seq: 2, Label: xinqiao.LabelRisk,
				Source: xinqiao.LabelByCounselor, StaffID: st.ID, UpdatedAt: time.Now()}); err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			sum, err := riskrules.Export(ctx, s, &buf)
			if err != nil {
				t.Fatal(err)
			}
			var row xinqiao.LabelledMessage
			if err := json.Unmarshal(buf.Bytes(), &row); err != nil {
				t.Fatalf("%v: %s", err, buf.String())
			}
			if want := "我是[姓名]，你现在还在[学校]的[地点]吗？"; row.Question != want {
				t.Fatalf("question: got %q, want %q", row.Question, want)
			}
			if want := "[姓名]我在[地点]，[学校]没人理我，李同学也不理我"; row.Text != want {
				t.Fatalf("text: got %q, want %q", row.Text, want)
			}
			for _, name := range []string{"王老", "七中", "三楼走廊", "图书馆"} {
				if strings.Contains(buf.String(), name) {
					t.Fatalf("the export names %q: %s", name, buf.String())
				}
			}
			if sum.Rows != 1 || sum.Risk != 1 || sum.Scrubbed != 1 {
				t.Fatalf("got summary %+v, want one risk row, scrubbed", sum)
			}
		})
	}
}
