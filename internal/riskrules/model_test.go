package riskrules_test

import (
	"context"
	"encoding/binary"
	"hash/crc32"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"xinqiao/internal/risk"
	"xinqiao/internal/riskrules"
	"xinqiao/internal/storetest"
	"xinqiao/internal/xinqiao"
)

// fixtureModel trains a small model on the risk package's fixture (fast),
// once per test binary, with the thresholds "xinqiao risk train" chooses by
// default (format 3: severity on the rules' flags and a severity threshold
// of its own).
var fixtureModel = sync.OnceValues(func() ([]byte, error) {
	dir := filepath.Join("..", "risk", "testdata", "train")
	res, err := risk.Train(risk.TrainOptions{SharedFile: filepath.Join(dir, "shared.jsonl"), CorpusDir: filepath.Join(dir, "corpus"),
		NoCases: true, Seed: 7, Folds: 3, Features: risk.FeatureConfig{Bits: 12, CharMax: 3, WordMax: 2, Seed: 1},
		GroupThresholds: true, SevereOnRules: true, Grave: true})
	if err != nil {
		return nil, err
	}
	return res.Weights, nil
})

func mustFixtureModel(t *testing.T) []byte {
	t.Helper()
	w, err := fixtureModel()
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// newerFormat rewrites the format of a weights file (and its checksum) as a
// newer binary would write it.
func newerFormat(w []byte) []byte {
	b := append([]byte(nil), w...)
	binary.LittleEndian.PutUint16(b[4:], risk.ModelFormat+1)
	binary.LittleEndian.PutUint32(b[len(b)-4:], crc32.ChecksumIEEE(b[:len(b)-4]))
	return b
}

func wantCode(t *testing.T, err error, code, msg string) {
	t.Helper()
	if xinqiao.ErrorCode(err) != code || !strings.Contains(err.Error(), msg) {
		t.Fatalf("got %v, want %s saying %q", err, code, msg)
	}
}

// TestDistrictModel: the built-in model is in force until the district
// publishes one; bad weights are refused with a clear error and change
// nothing; a counselor may check but not publish; a model that lowers
// reference cases needs acceptance; a stale base is a conflict; a published
// model is in force at once; the built-in model can be put back.
func TestDistrictModel(t *testing.T) {
	ctx := context.Background()
	store := storetest.MustOpenSQLite(t)
	wang := storetest.NewStaff(t, store, "wang", xinqiao.RoleCounselor)
	zhang := storetest.NewStaff(t, store, "zhang", xinqiao.RoleSupervisor)
	svc, err := riskrules.New(ctx, store, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	builtin, _ := risk.BuiltinModel()
	if st, err := svc.ModelStatus(ctx); err != nil || st.Version != 0 || !st.InForce || !st.Model.Builtin || svc.Live().Current().Model() != builtin {
		t.Fatalf("before any publish: %+v, %v; want the built-in model", st, err)
	}
	w := mustFixtureModel(t)
	for _, tc := range []struct {
		name, msg string
		w         []byte
	}{
		{"truncated", "truncated", w[:len(w)/2]},
		{"corrupt", "checksum mismatch", append(append([]byte(nil), w[:100]...), append([]byte{w[100] ^ 0xff}, w[101:]...)...)},
		{"not a model", "not a risk model file", []byte(strings.Repeat("x", 200))},
		{"newer binary", "newer xinqiao", newerFormat(w)},
	} {
		_, err := svc.CheckModel(ctx, tc.w, nil)
		wantCode(t, err, xinqiao.EINVALID, tc.msg)
		_, _, err = svc.PublishModel(ctx, zhang, 0, tc.w, "坏文件", true)
		wantCode(t, err, xinqiao.EINVALID, tc.msg)
	}
	if st, _ := svc.ModelStatus(ctx); st.Version != 0 || svc.Live().Current().Model() != builtin {
		t.Fatalf("after refused files: %+v; want nothing published and the built-in model", st)
	}

	// The district turned off a narrow rule, trusting the built-in model
	// with its case (戒了两个月又开始划了): a model that misses it lowers it.
	const trust = "disable zh.self_harm.act.relapse\n"
	if _, _, err := svc.Publish(ctx, zhang, 0, trust, "交给模型", true); err != nil {
		t.Fatal(err)
	}
	chk, err := svc.CheckModel(ctx, w, []string{"好想睡一觉就再也不醒来"})
	if err != nil || chk.Model.Builtin || chk.Bytes != len(w) || len(chk.SHA256) != 64 || chk.Cases < 400 || len(chk.Results) != 1 || chk.Results[0].Draft == nil {
		t.Fatalf("check: %+v, %v", chk, err)
	}
	// The fixture model is far weaker than the shipped one.
	if chk.Lowered() == 0 || chk.Changed[0].Text != "戒了两个月又开始划了" || chk.Changed[0].Draft >= risk.Medium {
		t.Fatalf("the fixture model lowers %d reference cases (changed %d: %+v); want the relapse case first", chk.Lowered(), chk.ChangedTotal, chk.Changed[:1])
	}
	_, _, err = svc.PublishModel(ctx, wang, 0, w, "区模型", true)
	wantCode(t, err, xinqiao.EFORBIDDEN, "supervisor")
	_, _, err = svc.PublishModel(ctx, zhang, 0, w, "  ", true)
	wantCode(t, err, xinqiao.EINVALID, "note")
	_, _, err = svc.PublishModel(ctx, zhang, 0, w, strings.Repeat("长", xinqiao.MaxRiskModelNote+1), true)
	wantCode(t, err, xinqiao.EINVALID, "at most 500")
	_, _, err = svc.PublishModel(ctx, zhang, 0, w, "区模型", false)
	wantCode(t, err, xinqiao.ELOWERED, "reference cases")
	v, _, err := svc.PublishModel(ctx, zhang, 0, w, "区模型", true)
	if err != nil || v.Version != 1 || v.Bytes != len(w) || v.SHA256 != chk.SHA256 {
		t.Fatalf("publish: %+v, %v", v, err)
	}
	m := svc.Live().Current().Model()
	if m == nil || m == builtin {
		t.Fatal("the published model is not in force")
	}
	if r, _ := m.Thresholds(); r != chk.Model.ThreshRisk {
		t.Fatalf("model in force has threshold %v, the checked one %v", r, chk.Model.ThreshRisk)
	}
	_, _, err = svc.PublishModel(ctx, zhang, 0, w, "过时的基础", true)
	wantCode(t, err, xinqiao.ECONFLICT, "published after version 0")

	// Rules published later keep the district model.
	good := trust + "rule district.suicide.1\nlang: zh\ncategory: suicide\nlevel: high\nmatch: 想去啵啵星\n"
	if _, _, err := svc.Publish(ctx, zhang, 1, good, "n", true); err != nil {
		t.Fatal(err)
	}
	if svc.Live().Current().Model() != m {
		t.Fatal("publishing rules dropped the district model")
	}

	// A version this binary cannot read (written by a newer node) leaves
	// the model in force, and says why.
	if _, err := store.PublishRiskModel(ctx, 1, xinqiao.RiskModel{Weights: newerFormat(w), Note: "newer", Author: zhang.ID}); err != nil {
		t.Fatal(err)
	}
	if err := svc.ReloadModel(ctx); err == nil || !strings.Contains(err.Error(), "newer than this binary") {
		t.Fatalf("reload of a newer model: %v", err)
	}
	if st, _ := svc.ModelStatus(ctx); st.Version != 2 || st.InForce || !strings.Contains(st.Error, "format") || svc.Live().Current().Model() != m {
		t.Fatalf("after a newer model: %+v; want version 1 kept in force with the reason", st)
	}
	// A node that starts now runs the built-in model and says why.
	other, err := riskrules.New(ctx, store, "", nil)
	if err != nil {
		t.Fatalf("an unreadable published model stopped the start: %v", err)
	}
	if st, _ := other.ModelStatus(ctx); st.InForce || !st.Model.Builtin || other.Live().Current().Model() != builtin {
		t.Fatalf("a fresh node: %+v; want the built-in model", st)
	}

	// The built-in model put back.
	v, _, err = svc.PublishModel(ctx, zhang, 2, nil, "改回内置模型", true)
	if err != nil || v.Version != 3 || v.Bytes != 0 {
		t.Fatalf("publish the built-in: %+v, %v", v, err)
	}
	if st, _ := svc.ModelStatus(ctx); !st.InForce || !st.Model.Builtin || svc.Live().Current().Model() != builtin {
		t.Fatalf("after putting the built-in back: %+v", st)
	}
	if got := svc.Live().Current().Classify("我今晚想去啵啵星了").Level.String(); got != "high" {
		t.Fatalf("district rule lost with the model change: got %s", got)
	}
}
