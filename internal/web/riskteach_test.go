package web_test

import (
	"context"
	"encoding/base64"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"xinqiao/internal/app"
	"xinqiao/internal/apptest"
	"xinqiao/internal/storetest"
	"xinqiao/internal/web"
	"xinqiao/internal/xinqiao"
)

// TestRiskLabelsAreSchoolScoped: a counselor labels and reads the labels of
// their own school's conversations only; another school's are not found
// (nothing stored), and a curator cannot label at all.
func TestRiskLabelsAreSchoolScoped(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			s := apptest.Start(t, e.Open(t), app.Options{})
			ctx := context.Background()
			if err := s.Store.UpsertTerminal(ctx, xinqiao.Terminal{Code: "T-A", School: "甲校", Place: "走廊"}); err != nil {
				t.Fatal(err)
			}
			for _, u := range []struct{ name, role, school string }{
				{"a1", xinqiao.RoleCounselor, "甲校"}, {"b1", xinqiao.RoleCounselor, "乙校"}, {"dist", xinqiao.RoleSupervisor, ""}, {"cur", xinqiao.RoleCurator, ""},
			} {
				if _, err := web.CreateStaff(ctx, s.Store, u.name, apptest.Password, u.role, u.name, u.school); err != nil {
					t.Fatal(err)
				}
			}
			c, _ := storetest.NewConversation(t, s.Store, "T-A")
			if _, _, err := s.Store.AppendMessage(ctx, xinqiao.NewMessage{ConversationID: c.ID, Role: xinqiao.RoleStudent, Text: "药已经攒好了",
				Risk: &xinqiao.RiskMark{Level: "high", Categories: []string{"suicide"}}}); err != nil {
				t.Fatal(err)
			}
			path := "/api/conversations/" + c.ID
			for _, tc := range []struct {
				who  string
				code int
			}{{"b1", 404}, {"cur", 403}, {"a1", 200}, {"dist", 200}} {
				st := adminSession(t, s, tc.who)
				var e rulesErr
				if code := st.Do(t, "PUT", path+"/messages/1/label", map[string]string{"label": "risk"}, &e); code != tc.code {
					t.Fatalf("%s labels: got %d %+v, want %d", tc.who, code, e, tc.code)
				}
				if code := st.Do(t, "GET", path+"/labels", nil, nil); code != tc.code {
					t.Fatalf("%s reads the labels: got %d, want %d", tc.who, code, tc.code)
				}
				if tc.code == 404 && !strings.Contains(e.Error.Message, "not found") {
					t.Fatalf("%s: %+v", tc.who, e)
				}
			}
			ls, err := s.Store.RiskLabels(ctx, c.ID)
			if err != nil || len(ls) != 1 || ls[0].Label != "risk" || ls[0].UpdatedAt.After(time.Now()) {
				t.Fatalf("labels: %+v, %v", ls, err)
			}
		})
	}
}

// TestModelUploadBounds: the model routes take bodies beyond the 1 MiB of
// every other route, up to a model of xinqiao.MaxRiskModelBytes in base64:
// a 2 MB upload is read (and refused as no model), a model one byte over
// the limit is refused by its size, a body past the route's bound is
// refused unread, and the rules check keeps the 1 MiB bound.
func TestModelUploadBounds(t *testing.T) {
	s := apptest.Start(t, storetest.MustOpenSQLite(t), app.Options{})
	s.AddStaff(t, "sup", xinqiao.RoleSupervisor, "督导")
	sup := s.Login(t, "sup")
	body := func(field string, n int) []byte {
		return []byte(`{"` + field + `":"` + base64.StdEncoding.EncodeToString(make([]byte, n)) + `"}`)
	}
	for _, tc := range []struct {
		name, method, path string
		body               []byte
		want               string // in the error message
	}{
		{"2 MB of no model", "POST", "/api/risk/model/check", body("weights", 2<<20), "not a model"},
		{"one byte over the model limit", "POST", "/api/risk/model/check", body("weights", xinqiao.MaxRiskModelBytes+1), "at most"},
		{"past the route's bound", "PUT", "/api/risk/model", body("weights", xinqiao.MaxRiskModelBytes+1<<20), "request body is larger"},
		{"2 MB to the rules check", "POST", "/api/risk/rules/check", body("source", 2<<20), "request body is larger"},
	} {
		code, eb := raw(t, s, sup, tc.method, tc.path, tc.body)
		if code != 400 || !strings.Contains(eb.Error.Message, tc.want) {
			t.Errorf("%s: got %d %q, want 400 saying %q", tc.name, code, eb.Error.Message, tc.want)
		}
	}
	var st struct {
		Version int `json:"version"`
	}
	if code := sup.Do(t, "GET", "/api/risk/model", nil, &st); code != 200 || st.Version != 0 {
		t.Fatalf("after the refused uploads: got %d, version %d; want nothing published", code, st.Version)
	}
}

// TestModelUploadsAtOnce: while two model uploads are being read (their
// bodies still arriving), a third is refused with 429 before its body is
// read; once they end, uploads are read again.
func TestModelUploadsAtOnce(t *testing.T) {
	s := apptest.Start(t, storetest.MustOpenSQLite(t), app.Options{})
	s.AddStaff(t, "sup", xinqiao.RoleSupervisor, "督导")
	sup := s.Login(t, "sup")
	post := func(body io.Reader) int {
		req, _ := http.NewRequest("POST", s.URL+"/api/risk/model/check", body)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(web.CSRFHeader, sup.CSRF)
		resp, err := sup.Client.Do(req)
		if err != nil {
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	var held []*io.PipeWriter
	done := make(chan int, 2)
	for range 2 {
		pr, pw := io.Pipe()
		held = append(held, pw)
		go func() { done <- post(pr) }()
		if _, err := pw.Write([]byte(`{"weights":"`)); err != nil {
			t.Fatal(err)
		}
	}
	bad := func() int { return post(strings.NewReader(`{"weights":"!!"}`)) } // refused at once when read
	code := 0
	for deadline := time.Now().Add(5 * time.Second); code != 429 && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		code = bad()
	}
	if code != 429 {
		t.Fatalf("a third upload while two are read: got %d, want 429", code)
	}
	for _, pw := range held {
		pw.CloseWithError(io.ErrUnexpectedEOF) // the body breaks off: refused, the slot freed
	}
	for range 2 {
		if c := <-done; c == 429 {
			t.Fatalf("a held upload got %d", c)
		}
	}
	if code := bad(); code != 400 {
		t.Fatalf("an upload after the others ended: got %d, want 400 (read and refused)", code)
	}
}
