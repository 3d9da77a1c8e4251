package pgdest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strconv"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/openqluster/qluster-go/qluster"
)

// Options tunes a Destination. A nil *Options means the defaults.
type Options struct {
	// MaxConns caps the connection pool. Default 0 means pgxpool's default,
	// the greater of 4 and the number of CPUs.
	MaxConns int32
	// Logger receives one line per table created and per table altered.
	// Default: nothing is logged.
	Logger *slog.Logger
}

// defaultConnectTimeout is used when a DestinationModel has no connect_timeout.
const defaultConnectTimeout = 10 // seconds

// applicationName is reported to the server for connections whose URL names none.
const applicationName = "qluster pgdest"

// Destination is a PostgreSQL database that datasets load into. It is safe
// for concurrent use.
type Destination struct {
	pool *pgxpool.Pool
	log  *slog.Logger
}

var _ qluster.Destination = (*Destination)(nil)

// Open connects to the database described by m (host, port, user, password,
// database_name and connect_timeout in seconds; an empty port means 5432, a
// connect_timeout below 1 means 10) and checks that it answers. The
// connection uses libpq's default sslmode, prefer.
func Open(ctx context.Context, m *qluster.DestinationModel, opts *Options) (*Destination, error) {
	if m == nil {
		return nil, errors.New("pgdest.Open: the destination model is nil")
	}
	if m.DatabaseName == "" {
		return nil, errors.New("pgdest.Open: database_name is required")
	}
	port := m.Port
	if port == "" {
		port = "5432"
	}
	timeout := m.ConnectTimeout
	if timeout < 1 {
		timeout = defaultConnectTimeout
	}
	u := url.URL{
		Scheme:   "postgres",
		User:     url.UserPassword(m.User, m.Password),
		Host:     net.JoinHostPort(m.Host, port),
		Path:     "/" + m.DatabaseName,
		RawQuery: url.Values{"connect_timeout": {strconv.FormatInt(timeout, 10)}}.Encode(),
	}
	d, err := open(ctx, u.String(), opts)
	if err != nil {
		return nil, fmt.Errorf("pgdest.Open: postgres at %s:%s, database %q, user %q: %w", m.Host, port, m.DatabaseName, m.User, err)
	}
	return d, nil
}

// OpenURL connects to the database at url (a postgres:// URL or a key=value
// connection string, as pgxpool.ParseConfig reads them) and checks that it
// answers. It serves tests and programs that embed Qluster.
func OpenURL(ctx context.Context, url string, opts *Options) (*Destination, error) {
	d, err := open(ctx, url, opts)
	if err != nil {
		return nil, fmt.Errorf("pgdest.OpenURL: %w", err)
	}
	return d, nil
}

func open(ctx context.Context, url string, opts *Options) (*Destination, error) {
	if opts == nil {
		opts = &Options{}
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, err
	}
	if opts.MaxConns < 0 {
		return nil, fmt.Errorf("Options.MaxConns must not be negative, got %d", opts.MaxConns)
	}
	if opts.MaxConns > 0 {
		cfg.MaxConns = opts.MaxConns
		cfg.MinConns = min(cfg.MinConns, cfg.MaxConns)
	}
	if _, ok := cfg.ConnConfig.RuntimeParams["application_name"]; !ok {
		cfg.ConnConfig.RuntimeParams["application_name"] = applicationName
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Destination{pool: pool, log: log}, nil
}

// Pool returns the connection pool, for loading rows (COPY) and for callers
// that run their own queries.
func (d *Destination) Pool() *pgxpool.Pool { return d.pool }

// Close closes the connection pool, waiting for connections in use to be
// returned. It always returns nil.
func (d *Destination) Close() error {
	d.pool.Close()
	return nil
}
