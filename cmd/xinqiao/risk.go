package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"xinqiao/internal/config"
	"xinqiao/internal/risk"
	"xinqiao/internal/riskrules"
	"xinqiao/internal/xinqiao"
)

func init() {
	commands["risk"] = riskCmd
	extraUsage = append(extraUsage,
		"  xinqiao risk classify            JSONL {\"text\": ...} on stdin → each line plus {\"risk\": {level, categories, rules}} on stdout",
		"  xinqiao risk eval FILE           labeled JSONL {\"text\",\"label\":\"risk\"|\"none\"} → precision, recall, F1, confusion",
		"  xinqiao risk eval --conversations FILE  labeled conversations {\"label\",\"level\",\"turns\":[{\"role\",\"text\"}]}, each student turn read in its conversation → precision, recall, misses by id",
		"  xinqiao risk export [--out FILE] the district's labelled messages as JSONL {text, label, level, question} (no names, no ids)",
		"  xinqiao risk train [--out DIR] [--extra FILE]  rebuild the learned model (model.bin) and its card (MODEL.md) from the repository's data (and FILE's rows)")
}

// riskCmd runs the classifier offline, exactly as the server reads
// messages: the built-in rules and learned model, XINQIAO_RISK_RULES_DIR and
// the district's published rules and model.
func riskCmd(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) error {
	if len(args) > 0 && args[0] == "train" {
		return riskTrain(args[1:], stdout, stderr, getenv)
	}
	if len(args) > 0 && args[0] == "export" {
		return riskExport(ctx, args[1:], stdout, stderr, getenv)
	}
	if len(args) == 0 || (args[0] != "classify" && args[0] != "eval") {
		fmt.Fprintln(stderr, "usage: xinqiao risk classify < in.jsonl > out.jsonl\n       xinqiao risk eval [--conversations] FILE\n       xinqiao risk export [--out FILE]\n       xinqiao risk train [--out DIR] [--extra FILE]")
		return errUsage
	}
	sub, rest := args[0], args[1:]
	var file string
	conversations := false
	if sub == "eval" {
		if len(rest) > 0 && rest[0] == "--conversations" {
			conversations, rest = true, rest[1:]
		}
		if len(rest) == 0 || len(rest[0]) == 0 || rest[0][0] == '-' {
			fmt.Fprintln(stderr, "usage: xinqiao risk eval [--conversations] FILE")
			return errUsage
		}
		file, rest = rest[0], rest[1:]
	}
	cfg, err := config.Load("xinqiao risk "+sub, rest, getenv)
	if err != nil {
		return err
	}
	c, done, err := liveClassifier(ctx, cfg, stderr)
	if err != nil {
		return fmt.Errorf("risk rules: %w", err)
	}
	defer done()
	if sub == "classify" {
		return risk.ClassifyJSONL(c, stdin, stdout)
	}
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	if conversations {
		rep, err := risk.EvalConversations(c, f)
		if err != nil {
			return err
		}
		return rep.WriteText(stdout)
	}
	rep, err := risk.Eval(c, f)
	if err != nil {
		return err
	}
	return rep.WriteText(stdout)
}

// riskTrain rebuilds the learned model from the repository's data and writes
// model.bin and MODEL.md into --out.
func riskTrain(args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("xinqiao risk train", flag.ContinueOnError)
	fs.SetOutput(stderr)
	shared := getenv("XINQIAO_RISK_DATA")
	if shared == "" {
		shared = filepath.Join("..", "shared", "data", "risk", "psysuicide-dev.jsonl")
	} else if st, err := os.Stat(shared); err == nil && st.IsDir() {
		shared = filepath.Join(shared, "psysuicide-dev.jsonl")
	}
	out := fs.String("out", filepath.Join("internal", "risk", "model"), "folder to write model.bin and MODEL.md into")
	data := fs.String("data", shared, "the shared split (tuning half trained on, held-out half measured); env XINQIAO_RISK_DATA")
	replies := fs.String("replies", filepath.Join("internal", "risk", "testdata", "replies.txt"), "the reply reading's labelled cases (\"\": none)")
	corpus := fs.String("corpus", filepath.Join("internal", "risk", "corpus"), "folder of our corpus (*.jsonl)")
	seed := fs.Uint64("seed", 14, "seed of every shuffle (same data and seed, same bytes)")
	folds := fs.Int("folds", 5, "k of the cross-validation that picks the thresholds")
	epochs := fs.Int("epochs", 0, "training epochs (0: the default)")
	bits := fs.Uint("bits", 18, "hash buckets: 2^bits")
	charMax := fs.Uint("chars", 3, "character n-grams of 1..chars runes")
	sets := fs.Uint("sets", 1, "1: the rules' word sets found in a sentence are features too; 0: not")
	lr := fs.Float64("lr", 0, "learning rate (0: the default)")
	l2 := fs.Float64("l2", 0, "L2 penalty (0: the default)")
	minP := fs.Float64("min-precision", 0, "cross-validated precision the flags the model adds must reach (0: the default)")
	srcP := fs.Float64("source-precision", 0, "cross-validated precision the model's own flags must reach on each source of real messages (0: the default)")
	highP := fs.Float64("high-precision", 0, "cross-validated share of risky messages among those the model adds as high (0: the default)")
	graveP := fs.Float64("grave-precision", 0, "cross-validated share of risky messages among those the severity alone grades high, flagged by nothing else (0: as --min-precision)")
	leaveOut := fs.Bool("leave-out", false, "run the leave-group-out cross-validation in a full training too and put it in the card (--cv-only always runs it)")
	highR := fs.Float64("high-recall", 0, "lower the severity threshold until this share of the flagged high/imminent real messages are graded high, cross-validated (0: off)")
	sevRules := fs.Bool("severe-on-rules", true, "the model's severity grades high a message the rules flag even when the model's risk alone is below its threshold (format 3)")
	grave := fs.Bool("grave", true, "a severity threshold that grades high whatever the risk probability, chosen as the risk threshold is (format 3)")
	sharedW := fs.Float64("shared-weight", 0, "weight of the shared split's tuning rows (0: the default)")
	noSent := fs.Bool("no-sentence-negatives", false, "do not train on the sentences of messages labelled below medium")
	noLatency := fs.Bool("no-latency", false, "leave the latency out of the card")
	noCases := fs.Bool("no-cases", false, "leave our labelled cases (exemplars) out of training, e.g. for a quick training on a small fixture")
	extra := fs.String("extra", "", "more labelled rows to train on: the JSONL of xinqiao risk export, or rows in the corpus shape")
	cvOnly := fs.Bool("cv-only", false, "only cross-validate (to choose options): print the k-fold and leave-group-out figures and our corpus's held-out slice, never the shared split's held-out half; write nothing")
	groupT := fs.Bool("group-thresholds", true, "choose the thresholds on the leave-group-out scores (each writer scored by a model that never saw it) instead of the k-fold ones")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintln(stderr, "usage: xinqiao risk train [--out DIR] [--data FILE] [--corpus DIR] [--seed N]")
		return errUsage
	}
	if _, err := os.Stat(*data); err != nil {
		fmt.Fprintf(stderr, "shared split not found (%v); training without it\n", err)
		*data = ""
	}
	if _, err := os.Stat(*corpus); err != nil {
		fmt.Fprintf(stderr, "corpus not found (%v); training without it\n", err)
		*corpus = ""
	}
	t0 := time.Now()
	res, err := risk.Train(risk.TrainOptions{SharedFile: *data, CorpusDir: *corpus, ReplyCases: *replies, Seed: *seed, Folds: *folds, Epochs: *epochs,
		ExtraFile: *extra, NoCases: *noCases, SharedWeight: *sharedW, NoSentenceNegatives: *noSent, MinPrecision: *minP, SourcePrecision: *srcP, HighPrecision: *highP, GravePrecision: *graveP, LearningRate: *lr, L2: *l2, Features: risk.FeatureConfig{Bits: uint8(*bits), CharMax: uint8(*charMax), WordMax: 2, Sets: uint8(*sets), Seed: 0x78713134}, CVOnly: *cvOnly, GroupThresholds: *groupT, LeaveOut: *leaveOut, HighRecall: *highR, SevereOnRules: *sevRules, Grave: *grave, Log: stderr})
	if err != nil {
		return err
	}
	if *cvOnly {
		f := res.Figures
		fmt.Fprintf(stdout, "thresholds risk %.3f (long %.3f) high %.3f\n", f.ThreshRisk, f.ThreshRiskLong, f.ThreshHigh)
		for _, k := range append([]string{""}, slices.Sorted(maps.Keys(f.CVSource))...) {
			c, name := f.CV, "all"
			if k != "" {
				c, name = f.CVSource[k], k
			}
			fmt.Fprintf(stdout, "cross-validated %s: precision %.3f (%d/%d) recall %.3f (%d/%d), high/imminent graded high+ %d/%d\n",
				name, c.Precision(), c.TP, c.TP+c.FP, c.Recall(), c.TP, c.TP+c.FN, c.SevereHigh, c.Severe)
		}
		f.WriteLeaveOut(stdout)
		for _, g := range slices.Sorted(maps.Keys(f.Corpus)) {
			c, a := f.Corpus[g], f.CorpusRules[g]
			fmt.Fprintf(stdout, "corpus held-out %s (model trained on every training row): rules + model precision %.3f (%d/%d) recall %.3f (%d/%d), flagged high/imminent graded high+ %d/%d, graded high+ labelled high %d/%d; rules alone %.3f %.3f\n",
				g, c.Precision(), c.TP, c.TP+c.FP, c.Recall(), c.TP, c.TP+c.FN, c.SevereHigh, c.SevereFlagged, c.HighSevere, c.High, a.Precision(), a.Recall())
		}
		return nil
	}
	fmt.Fprintf(stderr, "trained in %v\n", time.Since(t0).Round(time.Millisecond))
	if *extra != "" {
		fmt.Fprintf(stdout, "extra rows from %s: %d trained on after deduplication, %d labelled unsure skipped\n", *extra, res.Figures.Train["extra/labelled"]+res.Figures.Train["extra/corpus"], res.ExtraUnsure)
	}
	latency := ""
	if !*noLatency {
		p50a, p99a, err := risk.Latency(res.Classifier, 200, 20000)
		if err != nil {
			return err
		}
		p50b, p99b, err := risk.Latency(res.Classifier, 600, 5000)
		if err != nil {
			return err
		}
		load := ""
		if b, err := os.ReadFile("/proc/loadavg"); err == nil {
			load = ", load average " + strings.Join(strings.Fields(string(b))[:3], " ")
		}
		latency = fmt.Sprintf("Rules + model, one call at a time, measured by the training command on %s (%s/%s, %d CPUs%s):\n"+
			"200-rune messages p50 %v, p99 %v; 600-rune messages p50 %v, p99 %v. `go test -bench` figures are in BENCHMARKS.md.",
			time.Now().UTC().Format("2006-01-02 15:04 MST"), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), load, p50a, p99a, p50b, p99b)
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(*out, "model.bin"), res.Weights, 0o644); err != nil {
		return err
	}
	var card bytes.Buffer
	if err := res.WriteCard(&card, latency); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(*out, "MODEL.md"), card.Bytes(), 0o644); err != nil {
		return err
	}
	for _, n := range res.FailingCases {
		fmt.Fprintf(stderr, "case broken by rules + model: %s\n", n)
	}
	f := res.Figures
	fmt.Fprintf(stdout, "wrote %s (%d bytes) and MODEL.md; thresholds risk %.3f high %.3f\n", filepath.Join(*out, "model.bin"), len(res.Weights), f.ThreshRisk, f.ThreshHigh)
	if h := f.HeldOut; h != nil {
		fmt.Fprintf(stdout, "shared held-out half: precision %.3f (%d/%d) recall %.3f (%d/%d), high/imminent graded high+ %d/%d\n",
			h.Precision(), h.TP, h.TP+h.FP, h.Recall(), h.TP, h.TP+h.FN, h.SevereHigh, h.Severe)
	}
	return nil
}

// riskExport writes the district's labelled messages as JSONL to --out (or
// stdout), audited as "risk_label.export". With no labels it writes nothing
// (no file) and says why.
func riskExport(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	out := ""
	var rest []string
	for i := 0; i < len(args); i++ {
		switch a := args[i]; {
		case (a == "--out" || a == "-out") && i+1 < len(args):
			out, i = args[i+1], i+1
		case strings.HasPrefix(a, "--out=") || strings.HasPrefix(a, "-out="):
			out = a[strings.Index(a, "=")+1:]
		default:
			rest = append(rest, a)
		}
	}
	cfg, err := config.Load("xinqiao risk export", rest, getenv)
	if err != nil {
		return err
	}
	if cfg.DatabaseURL == "" {
		if _, err := os.Stat(filepath.Join(cfg.DataDir, "xinqiao.db")); err != nil {
			return fmt.Errorf("risk export: no database: set DATABASE_URL, or run where the data folder (%s) holds xinqiao.db", cfg.DataDir)
		}
	}
	store, err := openStore(ctx, cfg, newLogger(cfg, stderr))
	if err != nil {
		return err
	}
	defer store.Close()
	var buf bytes.Buffer
	sum, err := riskrules.Export(ctx, store, &buf)
	if err != nil {
		return fmt.Errorf("risk export: %w", err)
	}
	// Students' words leave the service: recorded before they are written.
	actor := "cli"
	if u := getenv("USER"); u != "" {
		actor += ":" + u
	}
	if err := store.Audit(ctx, xinqiao.AuditEvent{At: time.Now(), Actor: actor, Action: "risk_label.export", Target: "risk_labels",
		Detail: fmt.Sprintf("rows=%d risk=%d none=%d unsure=%d", sum.Rows, sum.Risk, sum.None, sum.Unsure)}); err != nil {
		return fmt.Errorf("risk export: the export could not be audited, so nothing was written: %w", err)
	}
	if out == "" {
		if _, err := stdout.Write(buf.Bytes()); err != nil {
			return err
		}
	} else if err := writePrivate(out, buf.Bytes()); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "exported %d labelled messages: %d risk, %d none, %d unsure; names of staff, schools or places replaced in %d\n",
		sum.Rows, sum.Risk, sum.None, sum.Unsure, sum.Scrubbed)
	return nil
}

// writePrivate writes b to path readable by its owner only (0600), even
// over an existing file of another mode: through a temporary file beside
// it, renamed into place, so no reader sees half an export either.
func writePrivate(path string, b []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".xinqiao-export-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name()) // nothing left after the rename
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// liveClassifier is the classifier a server on this configuration puts in
// force: the built-in rules and model, the rules folder, and the district's
// latest published rules and model when there is a database (DATABASE_URL, or the
// SQLite file in the data folder; none is created). done closes the store.
func liveClassifier(ctx context.Context, cfg config.Config, stderr io.Writer) (c *risk.Classifier, done func(), err error) {
	if cfg.DatabaseURL == "" {
		if _, err := os.Stat(filepath.Join(cfg.DataDir, "xinqiao.db")); err != nil {
			c, err := risk.Load(cfg.RiskRulesDir)
			return c, func() {}, err
		}
	}
	log := newLogger(cfg, stderr)
	store, err := openStore(ctx, cfg, log)
	if err != nil {
		return nil, nil, err
	}
	svc, err := riskrules.New(ctx, store, cfg.RiskRulesDir, log)
	if err != nil {
		store.Close()
		return nil, nil, err
	}
	return svc.Live().Current(), func() { store.Close() }, nil
}
