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
	fs.IntVar(&cfg.Workers, "workers", 2, "jobs run at once in this process (0: none; run qluster worker elsewhere)")
	fs.StringVar(&cfg.DemoData, "demo-data", "", "feed the files of this folder into a demo dataset once started (make demo: examples/data)")
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
	if err := ensureDefaults(ctx, be, log); err != nil {
		return err
	}
	tokenKey, err := cfg.key(cfg.SecretKey, "secret.key")
	if err != nil {
		return fmt.Errorf("secret key: %w", err)
	}
	engine, err := server.NewEngine(server.EngineOptions{Store: be.Store, DataDir: cfg.DataDir, Workers: cfg.Workers, Logger: log})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s (QLUSTER_ADDR): %w", cfg.Addr, err)
	}
	srv, err := server.New(server.Options{Store: be.Store, TokenKey: tokenKey, Logger: log, Engine: engine, PublicURL: "http://" + ln.Addr().String()})
	if err != nil {
		return err
	}
	if cfg.Workers > 0 {
		if err := engine.Start(ctx); err != nil {
			return err
		}
		defer func() {
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
			defer cancel()
			engine.Stop(sctx) //nolint:errcheck
		}()
	}
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(stdout, "Qluster is serving on http://%s (API reference: http://%s/api/docs)\n", ln.Addr(), ln.Addr())
	if be.Cluster != nil {
		fmt.Fprintf(stdout, "Metadata store: embedded PostgreSQL at %s\n", be.URL)
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	if cfg.DemoData != "" && cfg.Workers > 0 {
		go func() {
			if err := runDemo(ctx, be.Store, engine, cfg.DemoData, stdout); err != nil && ctx.Err() == nil {
				log.Error("demo", "err", err)
			}
		}()
	}
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

// runWorker runs the engine's workers against a shared database until
// SIGINT or SIGTERM; then the jobs in flight finish (for up to --grace) or
// are handed back to the queue.
func runWorker(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("qluster worker", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg config
	cfg.bind(fs)
	fs.IntVar(&cfg.Workers, "workers", 2, "jobs run at once")
	lease := fs.Duration("lease", 2*time.Minute, "how long a taken job stays invisible to other workers unless renewed")
	grace := fs.Duration("grace", 30*time.Second, "how long in-flight jobs may finish after SIGTERM before they are handed back")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	be, err := cfg.open(ctx, log)
	if err != nil {
		fmt.Fprintf(stderr, "qluster worker: %v\n", err)
		return 1
	}
	defer be.Close(context.WithoutCancel(ctx), false)
	engine, err := server.NewEngine(server.EngineOptions{Store: be.Store, DataDir: cfg.DataDir, Workers: cfg.Workers, Lease: *lease, Logger: log})
	if err == nil {
		err = engine.Start(ctx)
	}
	if err != nil {
		fmt.Fprintf(stderr, "qluster worker: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "qluster worker: %d workers running\n", cfg.Workers)
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), *grace)
	defer cancel()
	if err := engine.Stop(sctx); err != nil {
		log.Warn("in-flight jobs were handed back to the queue", "err", err)
	}
	return 0
}
