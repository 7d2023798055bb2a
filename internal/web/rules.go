package web

import (
	"fmt"
	"net/http"
	"strconv"

	"xinqiao/internal/risk"
	"xinqiao/internal/riskrules"
	"xinqiao/internal/xinqiao"
)

// maxRuleVersions is the most versions the history lists.
const maxRuleVersions = 500

// RiskRulesModule adds the district risk rules page /rules and its API:
// the rules in force, the history, a check of a draft (on sentences and on
// our reference cases) and publishing. Counselors, supervisors and admins
// may use it; lowering reference cases needs a supervisor. Every publish is
// audited as "risk_rules.publish". The same page checks and publishes the
// district's retrained model (a supervisor publishes; audited as
// "risk_model.publish"), and the console labels messages through it
// (audited as "risk_label.set").
func RiskRulesModule(svc *riskrules.Service) Module {
	return func(s *Server) {
		h := &rulesHandlers{s: s, svc: svc, uploads: make(chan struct{}, modelUploadsAtOnce)}
		s.Page("GET /rules", "rules.html")
		s.Handle("GET /api/risk/rules", s.Staff(xinqiao.RoleCounselor, h.status))
		s.Handle("PUT /api/risk/rules", s.Staff(xinqiao.RoleCounselor, h.publish))
		s.Handle("POST /api/risk/rules/check", s.Staff(xinqiao.RoleCounselor, h.check))
		s.Handle("GET /api/risk/rules/versions", s.Staff(xinqiao.RoleCounselor, h.versions))
		s.Handle("GET /api/risk/rules/versions/{n}", s.Staff(xinqiao.RoleCounselor, h.version))
		s.Handle("GET /api/risk/model", s.Staff(xinqiao.RoleCounselor, h.modelStatus))
		s.HandleLarge("POST /api/risk/model/check", maxModelBody, s.Staff(xinqiao.RoleCounselor, h.upload(h.modelCheck)))
		s.HandleLarge("PUT /api/risk/model", maxModelBody, s.Staff(xinqiao.RoleSupervisor, h.upload(h.modelPublish)))
		s.Handle("GET /api/risk/model/versions", s.Staff(xinqiao.RoleCounselor, h.modelVersions))
		s.Handle("GET /api/conversations/{id}/labels", s.Staff(xinqiao.RoleCounselor, h.labels))
		s.Handle("PUT /api/conversations/{id}/messages/{seq}/label", s.Staff(xinqiao.RoleCounselor, h.setLabel))
		s.Handle("GET /api/risk/rules/descriptions", s.Staff(xinqiao.RoleCounselor, h.descriptions))
	}
}

// maxModelBody bounds a model upload: the weights in base64 and the rest of
// the request.
const maxModelBody = xinqiao.MaxRiskModelBytes/3*4 + 64<<10

// descriptions gives the console what each rule id of the rules in force
// means, in a few Chinese words, so a counselor reads "说想死" rather than
// zh.suicide.ideation.want_die: {"descriptions": {id: desc}}, with the ids
// the engine gives itself (an answered question, the model's score under
// the id "模型"). A rule without a desc (a district rule may have none) is
// left out and the console describes it by its category. "levels" gives
// each rule's own level, so that the console lists the gravest signs of a
// message first, not a time word that alone is no risk.
func (h *rulesHandlers) descriptions(w http.ResponseWriter, _ *http.Request, _ xinqiao.Staff) {
	c := h.svc.Live().Current()
	out := map[string]string{}
	levels := map[string]string{}
	for _, r := range c.Rules() {
		if r.Desc != "" {
			out[r.ID] = r.Desc
		}
		levels[r.ID] = r.Level.String()
	}
	for _, id := range risk.EngineRules {
		out[id] = c.Describe(id)
	}
	h.s.JSON(w, http.StatusOK, map[string]any{"descriptions": out, "levels": levels})
}

type rulesHandlers struct {
	s       *Server
	svc     *riskrules.Service
	uploads chan struct{} // model uploads being read
}

// modelUploadsAtOnce is how many model uploads (checks and publishes) a
// node reads at once: a body of up to maxModelBody costs a few times its
// size in memory while it is decoded and the model read.
const modelUploadsAtOnce = 2

// upload lets h read a model upload when fewer than modelUploadsAtOnce are
// being read, after the caller is authenticated; otherwise it refuses the
// request (429 rate_limited) before its body is read.
func (h *rulesHandlers) upload(next func(http.ResponseWriter, *http.Request, xinqiao.Staff)) func(http.ResponseWriter, *http.Request, xinqiao.Staff) {
	return func(w http.ResponseWriter, r *http.Request, st xinqiao.Staff) {
		select {
		case h.uploads <- struct{}{}:
			defer func() { <-h.uploads }()
			next(w, r, st)
		default:
			h.s.Error(w, r, xinqiao.Errorf(xinqiao.ERATELIMITED, "other models are being uploaded; try again in a moment"))
		}
	}
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

func (h *rulesHandlers) modelStatus(w http.ResponseWriter, r *http.Request, _ xinqiao.Staff) {
	st, err := h.svc.ModelStatus(r.Context())
	if err != nil {
		h.s.Error(w, r, err)
		return
	}
	h.s.JSON(w, http.StatusOK, st)
}

type modelCheckRequest struct {
	// Weights is the model.bin file in base64; absent or empty: the
	// built-in model.
	Weights []byte   `json:"weights"`
	Texts   []string `json:"texts"`
}

func (h *rulesHandlers) modelCheck(w http.ResponseWriter, r *http.Request, _ xinqiao.Staff) {
	var req modelCheckRequest
	if err := Decode(r, &req); err != nil {
		h.s.Error(w, r, err)
		return
	}
	res, err := h.svc.CheckModel(r.Context(), req.Weights, req.Texts)
	if err != nil {
		h.s.Error(w, r, err)
		return
	}
	h.s.JSON(w, http.StatusOK, res)
}

type modelPublishRequest struct {
	Weights       []byte `json:"weights"`
	Builtin       bool   `json:"builtin"`
	BaseVersion   *int   `json:"base_version"`
	Note          string `json:"note"`
	AcceptLowered bool   `json:"accept_lowered"`
}

func (h *rulesHandlers) modelPublish(w http.ResponseWriter, r *http.Request, st xinqiao.Staff) {
	var req modelPublishRequest
	if err := Decode(r, &req); err != nil {
		h.s.Error(w, r, err)
		return
	}
	switch {
	case req.BaseVersion == nil:
		h.s.Error(w, r, xinqiao.Errorf(xinqiao.EINVALID, "send base_version (the district model version your check was made against; 0 for none)"))
		return
	case len(req.Weights) == 0 && !req.Builtin:
		h.s.Error(w, r, xinqiao.Errorf(xinqiao.EINVALID, "send weights (the model.bin file in base64), or builtin: true to put the built-in model back"))
		return
	case len(req.Weights) > 0 && req.Builtin:
		h.s.Error(w, r, xinqiao.Errorf(xinqiao.EINVALID, "send weights or builtin: true, not both"))
		return
	}
	v, chk, err := h.svc.PublishModel(r.Context(), st, *req.BaseVersion, req.Weights, req.Note, req.AcceptLowered)
	if err != nil {
		h.s.Error(w, r, err)
		return
	}
	h.s.audit(r, st, "risk_model.publish", "risk_model",
		fmt.Sprintf("version=%d base=%d bytes=%d sha256=%s builtin=%t changed_cases=%d lowered_cases=%d", v.Version, *req.BaseVersion, v.Bytes, v.SHA256, req.Builtin, chk.ChangedTotal, chk.Lowered()))
	out, err := h.svc.ModelStatus(r.Context())
	if err != nil {
		h.s.Error(w, r, err)
		return
	}
	h.s.JSON(w, http.StatusOK, out)
}

func (h *rulesHandlers) modelVersions(w http.ResponseWriter, r *http.Request, _ xinqiao.Staff) {
	vs, err := h.s.Store.RiskModelVersions(r.Context(), maxRuleVersions)
	if err != nil {
		h.s.Error(w, r, err)
		return
	}
	h.s.JSON(w, http.StatusOK, vs)
}

func (h *rulesHandlers) labels(w http.ResponseWriter, r *http.Request, st xinqiao.Staff) {
	ls, err := h.svc.Labels(r.Context(), st, r.PathValue("id"))
	if err != nil {
		h.s.Error(w, r, err)
		return
	}
	h.s.JSON(w, http.StatusOK, map[string]any{"labels": ls})
}

func (h *rulesHandlers) setLabel(w http.ResponseWriter, r *http.Request, st xinqiao.Staff) {
	seq, err := strconv.ParseInt(r.PathValue("seq"), 10, 64)
	if err != nil || seq < 1 {
		h.s.Error(w, r, xinqiao.Errorf(xinqiao.EINVALID, "seq must be a message number from 1"))
		return
	}
	var req struct {
		Label *string `json:"label"`
	}
	if err := Decode(r, &req); err != nil {
		h.s.Error(w, r, err)
		return
	}
	if req.Label == nil {
		h.s.Error(w, r, xinqiao.Errorf(xinqiao.EINVALID, `want {"label": "risk"|"none"|"unsure"}`))
		return
	}
	id := r.PathValue("id")
	l, err := h.svc.SetLabel(r.Context(), st, id, seq, *req.Label)
	if err != nil {
		h.s.Error(w, r, err)
		return
	}
	h.s.audit(r, st, "risk_label.set", id, fmt.Sprintf("seq=%d label=%s", seq, l.Label))
	h.s.JSON(w, http.StatusOK, map[string]any{"label": l})
}
