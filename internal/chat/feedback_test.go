package chat_test

import (
	"bytes"
	"fmt"
	"net/http"
	"testing"

	"xinqiao/internal/apptest"
	"xinqiao/internal/xinqiao"
)

// postFeedback sends feedback with a student token, returning the status.
func postFeedback(t *testing.T, s *apptest.Server, token, body string) int {
	t.Helper()
	req, _ := http.NewRequest("POST", s.URL+"/api/student/feedback", bytes.NewBufferString(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestFeedbackOnAnswers: a student rates an answer of their own
// conversation, once per kind; bad input gets a clear error; curators see
// the counts beside the document versions the answer cited.
func TestFeedbackOnAnswers(t *testing.T) {
	each(t, func(t *testing.T, s *apptest.Server, _ *apptest.Clock) {
		sess := s.NewSession(t, "")
		c := s.DialStudent(t, sess.Token)
		c.Message(t, "q1", "考试前一晚总是睡不着，怎么办")
		a, _ := c.Wait(t, wait, isAssistant)
		if len(a.Sources) == 0 {
			t.Fatalf("answer %s cites nothing; the test needs a cited answer", a.Raw)
		}
		other := s.NewSession(t, "")
		for _, tc := range []struct {
			name, token, body string
			want              int
		}{
			{"new", sess.Token, fmt.Sprintf(`{"seq":%d,"kind":"wrong"}`, a.Seq), http.StatusCreated},
			{"again", sess.Token, fmt.Sprintf(`{"seq":%d,"kind":"wrong"}`, a.Seq), http.StatusOK},
			{"another kind", sess.Token, fmt.Sprintf(`{"seq":%d,"kind":"helpful"}`, a.Seq), http.StatusCreated},
			{"unknown kind", sess.Token, fmt.Sprintf(`{"seq":%d,"kind":"meh"}`, a.Seq), http.StatusBadRequest},
			{"no seq", sess.Token, `{"kind":"wrong"}`, http.StatusBadRequest},
			{"unknown field", sess.Token, fmt.Sprintf(`{"seq":%d,"kind":"wrong","text":"x"}`, a.Seq), http.StatusBadRequest},
			{"not json", sess.Token, `{"seq":`, http.StatusBadRequest},
			{"the student's own message", sess.Token, `{"seq":1,"kind":"wrong"}`, http.StatusNotFound},
			{"another conversation", other.Token, fmt.Sprintf(`{"seq":%d,"kind":"upsetting"}`, a.Seq), http.StatusNotFound},
			{"no token", "", fmt.Sprintf(`{"seq":%d,"kind":"upsetting"}`, a.Seq), http.StatusUnauthorized},
			{"forged token", "forged", fmt.Sprintf(`{"seq":%d,"kind":"upsetting"}`, a.Seq), http.StatusUnauthorized},
		} {
			if got := postFeedback(t, s, tc.token, tc.body); got != tc.want {
				t.Fatalf("%s: got %d, want %d", tc.name, got, tc.want)
			}
		}

		s.AddStaff(t, "li", xinqiao.RoleCurator, "李老师")
		var rep struct {
			Versions []struct {
				DocID                     string `json:"doc_id"`
				Version                   int    `json:"version"`
				Wrong, Upsetting, Helpful int
			} `json:"versions"`
		}
		if code := s.Login(t, "li").Do(t, "GET", "/api/kb/feedback?days=7", nil, &rep); code != 200 {
			t.Fatalf("feedback report: got %d", code)
		}
		if len(rep.Versions) != len(a.Sources) {
			t.Fatalf("got %+v, want one row per cited version %+v", rep.Versions, a.Sources)
		}
		for _, src := range a.Sources {
			found := false
			for _, v := range rep.Versions {
				if v.DocID == src.DocID && v.Version == src.Version {
					found = v.Wrong == 1 && v.Helpful == 1 && v.Upsetting == 0
				}
			}
			if !found {
				t.Fatalf("report %+v lacks %s v%d with one wrong and one helpful", rep.Versions, src.DocID, src.Version)
			}
		}
		s.AddStaff(t, "wang", xinqiao.RoleCounselor, "王老师")
		if code := s.Login(t, "wang").Do(t, "GET", "/api/kb/feedback", nil, nil); code != http.StatusForbidden {
			t.Fatalf("a counselor reading the feedback report: got %d, want 403", code)
		}
		if code := s.Login(t, "li").Do(t, "GET", "/api/kb/feedback?days=0", nil, nil); code != http.StatusBadRequest {
			t.Fatalf("days=0: got %d, want 400", code)
		}

		// A flood is refused, and what was refused is not recorded.
		limited := false
		for i := 0; i < 30 && !limited; i++ {
			limited = postFeedback(t, s, other.Token, `{"seq":1,"kind":"wrong"}`) == http.StatusTooManyRequests
		}
		if !limited {
			t.Fatal("30 feedback requests at once were all served, want rate_limited")
		}
	})
}
