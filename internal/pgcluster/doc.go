// Package pgcluster runs a private PostgreSQL cluster for `qluster serve`
// when no database URL is configured.
//
//	c, err := pgcluster.New(&pgcluster.Options{DataDir: dir, Logger: logger})
//	if err != nil { ... }
//	if err := c.Start(ctx); err != nil { ... }
//	defer c.Stop(context.WithoutCancel(ctx))
//	if err := c.CreateDatabase(ctx, "qluster"); err != nil { ... }
//	pool, err := pgxpool.New(ctx, c.URL("qluster"))
//
// # Binaries
//
// FindBinaries looks for initdb, pg_ctl and postgres in $QLUSTER_PG_BIN, then
// in /usr/lib/postgresql/*/bin (newest major version first), then in $PATH.
// When they are missing it returns a *MissingBinariesError that says how to
// install them; with FindOptions.InstallIfMissing (or
// Options.InstallIfMissing) it installs Debian's postgresql package itself
// when running as root on a system with apt-get.
//
// # Layout
//
// Everything lives under Options.DataDir/pg:
//
//	data/            the PostgreSQL data directory (initdb -U postgres -E UTF8 --locale=C)
//	run/             the Unix socket directory
//	port             the TCP port, reused by the next Start
//	postgresql.log   the server log (moved to postgresql.log.1 beyond 10 MiB)
//	lock             serializes Start and Stop across processes
//
// The server listens on 127.0.0.1 and on the socket in run/ only, and
// pg_hba.conf trusts exactly these two (no password, superuser "postgres").
// Any local user who can reach 127.0.0.1 can therefore connect as superuser:
// the cluster is meant for a single-user machine or container.
//
// # Lifecycle
//
// Start runs initdb on first use, then starts postgres and returns once it
// accepts connections. The server is started in its own session and keeps
// running after the Go process exits unless Stop is called; the next Start,
// from any process, finds it through data/postmaster.pid and reuses it. A
// postmaster.pid whose process is gone, or is not this cluster's postgres (a
// reused PID after a crash or reboot), is removed, and PostgreSQL recovers
// from its write-ahead log. Stop performs a fast shutdown.
//
// Start runs postgres itself rather than through pg_ctl, so that it notices
// at once when the server exits during startup and can report why; the
// server is compatible with pg_ctl, which operators may use as the cluster's
// OS user (pg_ctl -D DataDir/pg/data status).
//
// # Ports
//
// With Options.Port 0 the first Start picks a free port on 127.0.0.1 and
// writes it to DataDir/pg/port; later Starts use it again, and pick a new
// free one only when another process has taken it. URL and Port report the
// current one.
//
// # Running as root
//
// PostgreSQL refuses to run as root. When the process runs as root, the
// cluster is owned and run by Options.OSUser (default "postgres", created
// with `useradd --system --user-group` if missing): DataDir/pg and everything
// below it are chowned to that user and initdb and postgres run with its
// credentials (uid, gid and supplementary groups; no su or runuser needed).
// That user must be able to traverse every directory from / down to
// DataDir/pg. Start checks each one and, where the user lacks search
// permission on a directory owned by root, adds search permission for others
// (chmod o+x: enter, not list; e.g. the 0700 directories made by
// os.MkdirTemp or t.TempDir), logging each change. A directory owned by
// another user that the cluster user cannot traverse is an error. DataDir
// itself keeps its owner; DataDir/pg, data/ and run/ are mode 0700.
// Processes running as root connect through the socket regardless of its
// owner.
package pgcluster
