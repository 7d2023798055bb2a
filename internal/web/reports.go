package web

import (
	"bytes"
	"fmt"
	"net/http"
	"time"

	"xinqiao/internal/reports"
	"xinqiao/internal/xinqiao"
)

// ReportsModule adds the reports: the /reports page, GET /api/reports (JSON)
// and GET /api/reports.csv (the daily series). Supervisors and admins see
// everything, counselors their own school (403 without a school), curators
// the knowledge gaps only. Every read is audited as "reports.read".
func ReportsModule() Module {
	return func(s *Server) {
		svc, err := reports.New(s.Store, func() time.Time { return s.Now() })
		h := &reportHandlers{s: s, svc: svc, err: err}
		s.Page("GET /reports", "reports.html")
		s.Handle("GET /api/reports", s.Staff("", h.json))
		s.Handle("GET /api/reports.csv", s.Staff("", h.csv))
	}
}

type reportHandlers struct {
	s   *Server
	svc *reports.Service
	err error // the store answers no report queries
}

// build returns the report for the request's query, audited.
func (h *reportHandlers) build(r *http.Request, st xinqiao.Staff, format string) (reports.Report, error) {
	if h.err != nil {
		return reports.Report{}, xinqiao.Errorf(xinqiao.EUNAVAILABLE, "reports are not available on this store")
	}
	q := r.URL.Query()
	rep, err := h.svc.Build(r.Context(), st, reports.Query{From: q.Get("from"), To: q.Get("to"), School: q.Get("school")})
	if err != nil {
		return rep, err
	}
	detail := fmt.Sprintf("format=%s from=%s to=%s scope=%s school=%s", format, rep.From, rep.To, rep.Scope, rep.School)
	if err := h.s.AuditRead(r.Context(), st, "reports.read", "reports", detail); err != nil {
		return rep, err
	}
	return rep, nil
}

func (h *reportHandlers) json(w http.ResponseWriter, r *http.Request, st xinqiao.Staff) {
	rep, err := h.build(r, st, "json")
	if err != nil {
		h.s.Error(w, r, err)
		return
	}
	h.s.JSON(w, http.StatusOK, rep)
}

func (h *reportHandlers) csv(w http.ResponseWriter, r *http.Request, st xinqiao.Staff) {
	rep, err := h.build(r, st, "csv")
	if err != nil {
		h.s.Error(w, r, err)
		return
	}
	var b bytes.Buffer
	if err := reports.WriteCSV(&b, rep); err != nil {
		h.s.Error(w, r, err)
		return
	}
	name := fmt.Sprintf("xinqiao-reports-%s-%s-%s.csv", rep.Scope, rep.From, rep.To)
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Header().Set("Cache-Control", "no-store")
	w.Write(b.Bytes())
}
