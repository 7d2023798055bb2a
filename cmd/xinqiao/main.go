// Command xinqiao is the whole service in one binary: the server and its
// administration subcommands.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

const usage = `xinqiao (心桥): a student support chat service for a district's schools.

Usage:
  xinqiao [serve] [flags]          start the server (default)
  xinqiao migrate [flags]          apply database migrations and exit
  xinqiao user add --role R --username U [--display-name N] [--school S]
                                   add a staff account; the password is read from stdin
%s
Run "xinqiao serve -h" for the configuration flags; each has an environment
variable of the same meaning (see README.md).
`

// extraUsage lists subcommands added by other files of this package.
var extraUsage []string

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	stop()
	if err != nil {
		if !errors.Is(err, errUsage) {
			fmt.Fprintln(os.Stderr, "xinqiao:", err)
		}
		os.Exit(1)
	}
}

var errUsage = errors.New("usage")

// command is one subcommand.
type command func(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) error

var commands = map[string]command{
	"serve":   serve,
	"migrate": migrate,
	"user":    user,
}

// run dispatches to a subcommand; tests call it in process.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) error {
	name := "serve"
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
		fmt.Fprintf(stdout, usage, joinLines(extraUsage))
		return nil
	}
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		name, args = args[0], args[1:]
	}
	cmd, ok := commands[name]
	if !ok {
		fmt.Fprintf(stderr, "unknown command %q\n\n", name)
		fmt.Fprintf(stderr, usage, joinLines(extraUsage))
		return errUsage
	}
	return cmd(ctx, args, stdin, stdout, stderr, getenv)
}

func joinLines(ls []string) string {
	s := ""
	for _, l := range ls {
		s += l + "\n"
	}
	return s
}
