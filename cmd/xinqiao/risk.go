package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"xinqiao/internal/config"
	"xinqiao/internal/risk"
)

func init() {
	commands["risk"] = riskCmd
	extraUsage = append(extraUsage,
		"  xinqiao risk classify            JSONL {\"text\": ...} on stdin → each line plus {\"risk\": {level, categories, rules}} on stdout",
		"  xinqiao risk eval FILE           labeled JSONL {\"text\",\"label\":\"risk\"|\"none\"} → precision, recall, F1, confusion")
}

// riskCmd runs the classifier offline, with the same rules the server
// loads (XINQIAO_RISK_RULES_DIR included).
func riskCmd(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) error {
	if len(args) == 0 || (args[0] != "classify" && args[0] != "eval") {
		fmt.Fprintln(stderr, "usage: xinqiao risk classify < in.jsonl > out.jsonl\n       xinqiao risk eval FILE")
		return errUsage
	}
	sub, rest := args[0], args[1:]
	var file string
	if sub == "eval" {
		if len(rest) == 0 || len(rest[0]) == 0 || rest[0][0] == '-' {
			fmt.Fprintln(stderr, "usage: xinqiao risk eval FILE")
			return errUsage
		}
		file, rest = rest[0], rest[1:]
	}
	cfg, err := config.Load("xinqiao risk "+sub, rest, getenv)
	if err != nil {
		return err
	}
	c, err := risk.Load(cfg.RiskRulesDir)
	if err != nil {
		return fmt.Errorf("risk rules: %w", err)
	}
	if sub == "classify" {
		return risk.ClassifyJSONL(c, stdin, stdout)
	}
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	rep, err := risk.Eval(c, f)
	if err != nil {
		return err
	}
	return rep.WriteText(stdout)
}
