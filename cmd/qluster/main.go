// Command qluster is the Qluster binary: the reference server, workers,
// schema migrations, user management and the file analyzer.
//
//	qluster serve          run the API (on embedded defaults when nothing is configured)
//	qluster worker         run workers against a shared database
//	qluster migrate        apply the metadata store's migrations
//	qluster user create    add a user
//	qluster analyze FILE   show what Qluster reads and infers from a file
//
// Configuration comes from flags and the environment: QLUSTER_DATABASE_URL,
// QLUSTER_ADDR (default 127.0.0.1:8080), QLUSTER_DATA_DIR (default
// ./qluster-data), QLUSTER_SECRET_KEY (signs tokens) and QLUSTER_MASTER_KEY
// (encrypts secrets at rest); the two keys are generated and kept in the data
// folder when not given.
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signalContext()
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// signalContext is cancelled by SIGINT or SIGTERM.
func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

func discardLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

const usage = `usage: qluster <command> [flags]

commands:
  serve          run the API server (starts a private PostgreSQL when QLUSTER_DATABASE_URL is not set)
  worker         run workers against the database of QLUSTER_DATABASE_URL
  migrate        apply the metadata store's migrations
  user create    add a user: --email E --type T [--password P | --password-stdin]
  analyze FILE   print what Qluster reads and infers from FILE ([--json])

Run 'qluster <command> -h' for the flags of a command.
`

// run dispatches to a subcommand and returns the process exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "serve":
		return runServe(ctx, args[1:], stdout, stderr)
	case "worker":
		return runWorker(ctx, args[1:], stdout, stderr)
	case "migrate":
		return runMigrate(ctx, args[1:], stdout, stderr)
	case "user":
		if len(args) < 2 || args[1] != "create" {
			fmt.Fprint(stderr, "usage: qluster user create --email E --type T [--password P | --password-stdin]\n")
			return 2
		}
		return runUserCreate(ctx, args[2:], stdin, stdout, stderr)
	case "analyze":
		return runAnalyze(ctx, args[1:], stdout, stderr)
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "qluster: unknown command %q\n\n%s", args[0], usage)
	return 2
}
