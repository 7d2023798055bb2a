package chat

import (
	"net/http"
	"strings"
	"time"

	"xinqiao/internal/auth"
	"xinqiao/internal/web"
	"xinqiao/internal/xinqiao"
)

// trustRoutes adds what the page needs to be trusted: the about page with
// the real retention, and the 反馈 (feedback) endpoint for answers.
func (s *Service) trustRoutes(srv *web.Server) {
	srv.Page("GET /about", "about.html")
	srv.HandleFunc("GET /api/about", func(w http.ResponseWriter, r *http.Request) {
		srv.JSON(w, http.StatusOK, map[string]any{"retention_days": srv.Cfg.RetentionDays})
	})
	// A student may rate each answer three ways; ten at once, then one
	// every five seconds per conversation, is more than a reader needs.
	limit := auth.NewLimiters(0.2, 10, 10*time.Minute)
	srv.HandleFunc("POST /api/student/feedback", func(w http.ResponseWriter, r *http.Request) {
		s.handleFeedback(srv, limit, w, r)
	})
}

type feedbackRequest struct {
	Seq  int64  `json:"seq"`
	Kind string `json:"kind"`
}

// handleFeedback records a student's feedback on an answer of their own
// conversation (Authorization: Bearer <student token>): 201 when new, 200
// when that kind was already given to that answer.
func (s *Service) handleFeedback(srv *web.Server, limit *auth.Limiters, w http.ResponseWriter, r *http.Request) {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		srv.Error(w, r, xinqiao.Errorf(xinqiao.EUNAUTHORIZED, "missing student token (Authorization: Bearer ...)"))
		return
	}
	conv, err := s.authenticate(r.Context(), token)
	if err != nil {
		srv.Error(w, r, err)
		return
	}
	var req feedbackRequest
	if err := web.Decode(r, &req); err != nil {
		srv.Error(w, r, err)
		return
	}
	switch {
	case req.Seq < 1:
		srv.Error(w, r, xinqiao.Errorf(xinqiao.EINVALID, "seq must be the seq of an answer (a whole number ≥ 1)"))
		return
	case !xinqiao.ValidFeedbackKind(req.Kind):
		srv.Error(w, r, xinqiao.Errorf(xinqiao.EINVALID, `kind must be "wrong", "upsetting" or "helpful"`))
		return
	}
	if !limit.Allow(conv.ID) {
		srv.Error(w, r, xinqiao.Errorf(xinqiao.ERATELIMITED, "too much feedback at once; try again in a few seconds"))
		return
	}
	created, err := s.d.Store.AddFeedback(r.Context(), conv.ID, req.Seq, req.Kind, s.d.Now())
	if err != nil {
		srv.Error(w, r, err)
		return
	}
	code := http.StatusOK
	if created {
		code = http.StatusCreated
	}
	srv.JSON(w, code, map[string]any{"recorded": created})
}
