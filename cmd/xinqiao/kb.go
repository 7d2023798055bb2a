package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"xinqiao/internal/app"
	"xinqiao/internal/config"
	"xinqiao/internal/kb"
)

func init() {
	commands["kb"] = kbCmd
	extraUsage = append(extraUsage,
		"  xinqiao kb sync DIR              import/update the Markdown documents under DIR (progress on stderr)",
		"  xinqiao kb reembed               re-embed every stored chunk with the configured embedder")
}

// kbCmd imports vetted material or re-embeds it after a change of model.
func kbCmd(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer, getenv func(string) string) error {
	if len(args) == 0 || (args[0] != "sync" && args[0] != "reembed") {
		fmt.Fprintln(stderr, "usage: xinqiao kb sync DIR\n       xinqiao kb reembed")
		return errUsage
	}
	sub, rest := args[0], args[1:]
	var dir string
	if sub == "sync" {
		if len(rest) == 0 || len(rest[0]) == 0 || rest[0][0] == '-' {
			fmt.Fprintln(stderr, "usage: xinqiao kb sync DIR")
			return errUsage
		}
		dir, rest = rest[0], rest[1:]
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			return fmt.Errorf("%s is not a folder", dir)
		}
	}
	cfg, err := config.Load("xinqiao kb "+sub, rest, getenv)
	if err != nil {
		return err
	}
	store, err := openStore(ctx, cfg, newLogger(cfg, stderr))
	if err != nil {
		return err
	}
	defer store.Close()
	emb, err := app.NewEmbedder(cfg)
	if err != nil {
		return err
	}
	if sub == "reembed" {
		n, err := kb.Reembed(ctx, store, emb, stderr)
		if err != nil {
			return err
		}
		if err := store.EnsureVectorIndex(ctx, emb.Dim()); err != nil {
			return err
		}
		kb.Publish(ctx, store, "", nil)
		fmt.Fprintf(stdout, "re-embedded %d chunks with %s\n", n, emb.Name())
		return nil
	}
	if err := kb.CheckEmbedder(ctx, store, emb); err != nil {
		return err
	}
	if err := store.EnsureVectorIndex(ctx, emb.Dim()); err != nil {
		return err
	}
	rep, err := kb.Sync(ctx, store, emb, os.DirFS(dir), ".", stderr)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, rep.String())
	if len(rep.Added)+len(rep.Updated) > 0 {
		// Running servers reload their knowledge index (PostgreSQL; a
		// SQLite server reloads within minutes).
		kb.Publish(ctx, store, "", nil)
	}
	if len(rep.Failed) > 0 {
		return fmt.Errorf("%d documents were not imported (see above)", len(rep.Failed))
	}
	return nil
}
