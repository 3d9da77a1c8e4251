package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/openqluster/qluster-go/server"
)

// runServe runs the API server until ctx is cancelled (SIGINT or SIGTERM).
func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("qluster serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg config
	cfg.bind(fs)
	keepDB := fs.Bool("keep-database-running", false, "leave the embedded PostgreSQL running when serve stops")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	if err := serve(ctx, &cfg, !*keepDB, log, stdout); err != nil {
		fmt.Fprintf(stderr, "qluster serve: %v\n", err)
		return 1
	}
	return 0
}

func serve(ctx context.Context, cfg *config, stopDB bool, log *slog.Logger, stdout io.Writer) error {
	be, err := cfg.open(ctx, log)
	if err != nil {
		return err
	}
	defer be.Close(context.WithoutCancel(ctx), stopDB)
	pw, err := server.EnsureAdmin(ctx, be.Store, server.DefaultAdminEmail)
	if err != nil {
		return fmt.Errorf("create the first user: %w", err)
	}
	if pw != "" {
		fmt.Fprintf(stdout, "\nCreated the first user; its password is shown this once:\n  email:    %s\n  password: %s\n\n", server.DefaultAdminEmail, pw)
	}
	tokenKey, err := cfg.key(cfg.SecretKey, "secret.key")
	if err != nil {
		return fmt.Errorf("secret key: %w", err)
	}
	srv, err := server.New(server.Options{Store: be.Store, TokenKey: tokenKey, Logger: log})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s (QLUSTER_ADDR): %w", cfg.Addr, err)
	}
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(stdout, "Qluster is serving on http://%s (API reference: http://%s/api/docs)\n", ln.Addr(), ln.Addr())
	if be.Cluster != nil {
		fmt.Fprintf(stdout, "Metadata store: embedded PostgreSQL at %s\n", be.URL)
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// runMigrate applies the metadata store's migrations and exits.
func runMigrate(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("qluster migrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg config
	cfg.bind(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	be, err := cfg.open(ctx, slog.New(slog.NewTextHandler(stderr, nil)))
	if err != nil {
		fmt.Fprintf(stderr, "qluster migrate: %v\n", err)
		return 1
	}
	be.Close(ctx, false)
	fmt.Fprintln(stdout, "the metadata store is up to date")
	return 0
}

// runWorker will run queue workers; the queue comes with the training issue.
func runWorker(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "qluster worker: the queue and its workers are not built yet (they come with the training and migrations issue)")
	return 1
}
