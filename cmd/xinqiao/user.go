package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	"xinqiao/internal/config"
	"xinqiao/internal/web"
)

func user(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) error {
	if len(args) == 0 || args[0] != "add" {
		fmt.Fprintln(stderr, "usage: xinqiao user add --role R --username U [--display-name N] [--school S] < password")
		return errUsage
	}
	fl := flag.NewFlagSet("xinqiao user add", flag.ContinueOnError)
	fl.SetOutput(stderr)
	role := fl.String("role", "", "admin, supervisor, counselor or curator")
	username := fl.String("username", "", "login name (letters, digits, . - _)")
	display := fl.String("display-name", "", "name shown to students and colleagues")
	school := fl.String("school", "", "school of the account, if any")
	// The store flags (-database-url, -data-dir) are accepted after "--".
	if err := fl.Parse(args[1:]); err != nil {
		return errUsage
	}
	cfg, err := config.Load("xinqiao user add", fl.Args(), getenv)
	if err != nil {
		return err
	}
	if *role == "" || *username == "" {
		fmt.Fprintln(stderr, "--role and --username are required")
		return errUsage
	}
	line, err := bufio.NewReader(io.LimitReader(stdin, 4096)).ReadString('\n')
	if err != nil && err != io.EOF {
		return fmt.Errorf("read the password from stdin: %w", err)
	}
	password := strings.TrimRight(line, "\r\n")
	if password == "" {
		return fmt.Errorf("no password on stdin: pipe it in, e.g. printf '%%s\\n' \"$PW\" | xinqiao user add ...")
	}
	store, err := openStore(ctx, cfg, newLogger(cfg, stderr))
	if err != nil {
		return err
	}
	defer store.Close()
	st, err := web.CreateStaff(ctx, store, *username, password, *role, *display, *school)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "added %s %s (%s)\n", st.Role, st.Username, st.ID)
	return nil
}
