package web

import (
	"fmt"
	"net/http"
	"strconv"

	"xinqiao/internal/riskrules"
	"xinqiao/internal/xinqiao"
)

// maxRuleVersions is the most versions the history lists.
const maxRuleVersions = 500

// RiskRulesModule adds the district risk rules page /rules and its API:
// the rules in force, the history, a check of a draft (on sentences and on
// our reference cases) and publishing. Counselors, supervisors and admins
// may use it; lowering reference cases needs a supervisor. Every publish is
// audited as "risk_rules.publish".
func RiskRulesModule(svc *riskrules.Service) Module {
	return func(s *Server) {
		h := &rulesHandlers{s: s, svc: svc}
		s.Page("GET /rules", "rules.html")
		s.Handle("GET /api/risk/rules", s.Staff(xinqiao.RoleCounselor, h.status))
		s.Handle("PUT /api/risk/rules", s.Staff(xinqiao.RoleCounselor, h.publish))
		s.Handle("POST /api/risk/rules/check", s.Staff(xinqiao.RoleCounselor, h.check))
		s.Handle("GET /api/risk/rules/versions", s.Staff(xinqiao.RoleCounselor, h.versions))
		s.Handle("GET /api/risk/rules/versions/{n}", s.Staff(xinqiao.RoleCounselor, h.version))
	}
}

type rulesHandlers struct {
	s   *Server
	svc *riskrules.Service
}

func (h *rulesHandlers) status(w http.ResponseWriter, r *http.Request, _ xinqiao.Staff) {
	st, err := h.svc.Status(r.Context())
	if err != nil {
		h.s.Error(w, r, err)
		return
	}
	h.s.JSON(w, http.StatusOK, st)
}

type checkRequest struct {
	Source string   `json:"source"`
	Texts  []string `json:"texts"`
}

func (h *rulesHandlers) check(w http.ResponseWriter, r *http.Request, _ xinqiao.Staff) {
	var req checkRequest
	if err := Decode(r, &req); err != nil {
		h.s.Error(w, r, err)
		return
	}
	res, err := h.svc.Check(r.Context(), req.Source, req.Texts)
	if err != nil {
		h.s.Error(w, r, err)
		return
	}
	h.s.JSON(w, http.StatusOK, res)
}

type publishRequest struct {
	Source        *string `json:"source"`
	BaseVersion   *int    `json:"base_version"`
	Note          string  `json:"note"`
	AcceptLowered bool    `json:"accept_lowered"`
}

func (h *rulesHandlers) publish(w http.ResponseWriter, r *http.Request, st xinqiao.Staff) {
	var req publishRequest
	if err := Decode(r, &req); err != nil {
		h.s.Error(w, r, err)
		return
	}
	if req.Source == nil || req.BaseVersion == nil {
		h.s.Error(w, r, xinqiao.Errorf(xinqiao.EINVALID, "send source and base_version (the version your draft starts from; 0 for none)"))
		return
	}
	v, chk, err := h.svc.Publish(r.Context(), st, *req.BaseVersion, *req.Source, req.Note, req.AcceptLowered)
	if err != nil {
		h.s.Error(w, r, err)
		return
	}
	h.s.audit(r, st, "risk_rules.publish", "risk_rules",
		fmt.Sprintf("version=%d base=%d rules=%d changed_cases=%d lowered_cases=%d", v.Version, *req.BaseVersion, len(chk.Rules), chk.ChangedTotal, chk.Lowered()))
	out, err := h.svc.Status(r.Context())
	if err != nil {
		h.s.Error(w, r, err)
		return
	}
	h.s.JSON(w, http.StatusOK, out)
}

func (h *rulesHandlers) versions(w http.ResponseWriter, r *http.Request, _ xinqiao.Staff) {
	vs, err := h.s.Store.RiskRuleVersions(r.Context(), maxRuleVersions)
	if err != nil {
		h.s.Error(w, r, err)
		return
	}
	h.s.JSON(w, http.StatusOK, vs)
}

func (h *rulesHandlers) version(w http.ResponseWriter, r *http.Request, _ xinqiao.Staff) {
	n, err := strconv.Atoi(r.PathValue("n"))
	if err != nil || n < 1 {
		h.s.Error(w, r, xinqiao.Errorf(xinqiao.EINVALID, "version must be a number from 1"))
		return
	}
	v, err := h.s.Store.RiskRuleVersion(r.Context(), n)
	if err != nil {
		h.s.Error(w, r, err)
		return
	}
	h.s.JSON(w, http.StatusOK, v)
}
