package riskrules

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"xinqiao/internal/risk"
	"xinqiao/internal/xinqiao"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// The district's own learned model. A supervisor publishes a model retrained
// with the district's labels ("xinqiao risk train --extra"); every node puts
// it in force over the same rules, without a restart. Weights that do not
// read on this binary (corrupt, truncated, a newer format) are refused at
// publish; a published version that does not read on a node (an older
// binary beside a newer one) leaves that node on the model it had, and says
// so. Publishing the built-in model puts it back; it is also what every node
// runs until the district publishes one.

// ModelEventKind is the event published when a district model is published;
// every node reloads on it.
const ModelEventKind = "risk_model"

var (
	modelVersionGauge = promauto.NewGauge(prometheus.GaugeOpts{
		Name: "xinqiao_risk_model_version", Help: "Version of the district risk model in force on this node (0: the built-in model).",
	})
	modelReloadFailures = promauto.NewCounter(prometheus.CounterOpts{
		Name: "xinqiao_risk_model_reload_failures_total", Help: "Published district model versions this node could not read; it kept the model it had.",
	})
)

// modelState is the district model on this node (under Service.mu).
type modelState struct {
	m       *risk.Model // in force; nil: the built-in model
	inForce int         // version in force (0: none published)
	failed  int         // latest version that did not read, 0 if none
	failErr string
}

// combine returns the classifier of rules c with the model m, or with the
// built-in model when m is nil (the rules alone if that does not read).
func combine(c *risk.Classifier, m *risk.Model) *risk.Classifier {
	if m == nil {
		m, _ = risk.BuiltinModel()
	}
	return c.WithModel(m)
}

// districtModel returns the district model in force, nil for the built-in.
func (s *Service) districtModel() *risk.Model {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.model.m
}

// readModel reads published weights: none is the built-in model (nil).
func readModel(weights []byte) (*risk.Model, error) {
	if len(weights) == 0 {
		return nil, nil
	}
	return risk.ParseModel(weights)
}

// ReloadModel puts the latest published district model in force if it is
// not already. A version that does not read on this binary is logged,
// counted and remembered; the model in force stays.
func (s *Service) ReloadModel(ctx context.Context) error {
	latest, err := s.store.RiskModel(ctx)
	if err != nil {
		modelReloadFailures.Inc()
		return fmt.Errorf("read the district model: %w", err)
	}
	s.mu.Lock()
	done := latest.Version == s.model.inForce || latest.Version == s.model.failed
	s.mu.Unlock()
	if done {
		return nil
	}
	v, err := s.store.RiskModelVersion(ctx, latest.Version)
	if err != nil {
		modelReloadFailures.Inc()
		return fmt.Errorf("read version %d of the district model: %w", latest.Version, err)
	}
	m, err := readModel(v.Weights)
	if err != nil {
		// It will not read on this binary however often we try.
		modelReloadFailures.Inc()
		s.mu.Lock()
		s.model.failed, s.model.failErr = v.Version, err.Error()
		s.mu.Unlock()
		return fmt.Errorf("version %d of the district model: %w", v.Version, err)
	}
	s.putModel(m, v.Version)
	s.log.Info("district risk model in force", "version", v.Version, "builtin", m == nil)
	return nil
}

// putModel makes m (version v; nil: the built-in) the model in force over
// the rules in force, unless a newer version already is.
func (s *Service) putModel(m *risk.Model, v int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if v < s.model.inForce {
		return
	}
	s.model.m, s.model.inForce = m, v
	if s.model.failed <= v {
		s.model.failed, s.model.failErr = 0, ""
	}
	s.live.Replace(combine(s.rules, m))
	modelVersionGauge.Set(float64(v))
}

// ModelInfo describes a model: where it comes from and what it reads.
type ModelInfo struct {
	Builtin    bool               `json:"builtin"`
	Format     int                `json:"format"`
	Features   risk.FeatureConfig `json:"features"`
	ThreshRisk float64            `json:"threshold_risk"`
	ThreshHigh float64            `json:"threshold_high"`
	// ThreshGrave and SevereOnRules: see risk.Model (format 3).
	ThreshGrave   float64 `json:"threshold_grave,omitempty"`
	SevereOnRules bool    `json:"severe_on_rules,omitempty"`
}

func modelInfo(m *risk.Model) *ModelInfo {
	builtin := m == nil
	if builtin {
		if m, _ = risk.BuiltinModel(); m == nil {
			return &ModelInfo{Builtin: true}
		}
	}
	r, h := m.Thresholds()
	return &ModelInfo{Builtin: builtin, Format: m.Format(), Features: m.Config(), ThreshRisk: r, ThreshHigh: h, ThreshGrave: m.GraveThreshold(), SevereOnRules: m.SevereOnRules()}
}

// ModelStatus is the district model as the rules page shows it.
type ModelStatus struct {
	xinqiao.RiskModel
	// InForce is false when the latest published version is not the one
	// this node uses (Error says why).
	InForce bool   `json:"in_force"`
	Error   string `json:"error,omitempty"`
	// Model is the model in force on this node.
	Model *ModelInfo `json:"model"`
}

// ModelStatus returns the latest published district model and what is in
// force.
func (s *Service) ModelStatus(ctx context.Context) (ModelStatus, error) {
	latest, err := s.store.RiskModel(ctx)
	if err != nil {
		return ModelStatus{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st := ModelStatus{RiskModel: latest, InForce: latest.Version == s.model.inForce, Model: modelInfo(s.model.m)}
	if !st.InForce {
		st.Error = "this node has not put this version in force yet"
		if latest.Version == s.model.failed {
			st.Error = s.model.failErr
		}
	}
	return st, nil
}

// ModelCheckResult is what a candidate model would change.
type ModelCheckResult struct {
	Model   *ModelInfo   `json:"model"`
	Bytes   int          `json:"bytes"`
	SHA256  string       `json:"sha256,omitempty"`
	Results []TextResult `json:"results"`
	// Changed lists reference cases graded differently with the candidate
	// (lowered ones first, at most MaxChanged); ChangedTotal counts all.
	Changed      []ChangedCase `json:"changed"`
	ChangedTotal int           `json:"changed_total"`
	Cases        int           `json:"cases"`

	model *risk.Model
}

// Lowered counts the lowered reference cases.
func (r ModelCheckResult) Lowered() int { return countLowered(r.Changed) }

// CheckModel reads candidate weights (none: the built-in model) without
// publishing them, classifies each text with the classifier in force and
// with the rules in force plus the candidate, and runs the reference cases
// under both. Weights that do not read are EINVALID, saying why.
func (s *Service) CheckModel(ctx context.Context, weights []byte, texts []string) (ModelCheckResult, error) {
	if len(weights) > xinqiao.MaxRiskModelBytes {
		return ModelCheckResult{}, xinqiao.Errorf(xinqiao.EINVALID, "the model is %d bytes; at most %d", len(weights), xinqiao.MaxRiskModelBytes)
	}
	if err := validTexts(texts); err != nil {
		return ModelCheckResult{}, err
	}
	m, err := readModel(weights)
	if errors.Is(err, risk.ErrModelFormat) {
		return ModelCheckResult{}, xinqiao.Errorf(xinqiao.EINVALID, "this model was written by a newer xinqiao than this server: %v", err)
	} else if err != nil {
		return ModelCheckResult{}, xinqiao.Errorf(xinqiao.EINVALID, "this file is not a model this server can use: %v; the model in force stays", err)
	}
	// One check at a time, as for rules: the reference cases cost a while.
	select {
	case s.compiling <- struct{}{}:
	case <-ctx.Done():
		return ModelCheckResult{}, xinqiao.Errorf(xinqiao.EUNAVAILABLE, "the model could not be checked in time; try again")
	}
	defer func() { <-s.compiling }()
	s.mu.Lock()
	rules := s.rules
	s.mu.Unlock()
	cur, cand := s.live.Current(), combine(rules, m)
	res := ModelCheckResult{Model: modelInfo(m), Bytes: len(weights), Results: make([]TextResult, len(texts)), Cases: len(s.cases), model: m}
	if len(weights) > 0 {
		sum := sha256.Sum256(weights)
		res.SHA256 = hex.EncodeToString(sum[:])
	}
	for i, t := range texts {
		d := cand.Classify(t)
		res.Results[i] = TextResult{Text: t, Current: cur.Classify(t), Draft: &d}
	}
	res.Changed, res.ChangedTotal = s.compareCases(cur, cand)
	return res, nil
}

// PublishModel checks candidate weights (none: the built-in model) and
// publishes them as version base+1. Only a supervisor (or admin) publishes a
// model; weights that do not read are EINVALID; a model under which a
// reference case is graded lower than now needs acceptLowered (ELOWERED); a
// base that is no longer the latest is ECONFLICT. The new version is in
// force on this node at once and on the others when they receive the event.
func (s *Service) PublishModel(ctx context.Context, by xinqiao.Staff, base int, weights []byte, note string, acceptLowered bool) (xinqiao.RiskModel, ModelCheckResult, error) {
	if !by.Can(xinqiao.RoleSupervisor) {
		return xinqiao.RiskModel{}, ModelCheckResult{}, xinqiao.Errorf(xinqiao.EFORBIDDEN, "only a supervisor or an admin publishes a district model")
	}
	note, err := publishNote(note, xinqiao.MaxRiskModelNote, "say in a note what the model was trained on and why")
	if err != nil {
		return xinqiao.RiskModel{}, ModelCheckResult{}, err
	}
	if base < 0 {
		return xinqiao.RiskModel{}, ModelCheckResult{}, xinqiao.Errorf(xinqiao.EINVALID, "base_version must be 0 or more")
	}
	// Compare with the latest version, not with a node that lags behind.
	if err := s.ReloadModel(ctx); err != nil {
		s.log.Warn("publishing over a model that is not the latest", "err", err)
	}
	// A check made against another model is stale: say so before its
	// lowered cases, which were not the ones the publisher saw.
	latest, err := s.store.RiskModel(ctx)
	if err != nil {
		return xinqiao.RiskModel{}, ModelCheckResult{}, err
	}
	if latest.Version != base {
		return xinqiao.RiskModel{}, ModelCheckResult{}, xinqiao.Errorf(xinqiao.ECONFLICT, "version %d of the district model was published after version %d: check your model against it", latest.Version, base)
	}
	chk, err := s.CheckModel(ctx, weights, nil)
	if err != nil {
		return xinqiao.RiskModel{}, chk, err
	}
	if n := chk.Lowered(); n > 0 && !acceptLowered {
		return xinqiao.RiskModel{}, chk, xinqiao.Errorf(xinqiao.ELOWERED, "%d reference cases would be graded lower than now; publish again with accept_lowered to confirm", n)
	}
	v, err := s.store.PublishRiskModel(ctx, base, xinqiao.RiskModel{Weights: weights, SHA256: chk.SHA256, Note: note, Author: by.ID})
	if err != nil {
		return v, chk, err
	}
	v.Weights = nil
	s.putModel(chk.model, v.Version)
	if err := s.store.Publish(ctx, xinqiao.Event{Kind: ModelEventKind, Seq: int64(v.Version)}); err != nil {
		// The others still pick it up within a minute.
		s.log.Warn("district model published but the other nodes were not told; they reload within a minute", "err", err)
	}
	return v, chk, nil
}
