package pgdest

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/openqluster/qluster-go/internal/pgtest"
	"github.com/openqluster/qluster-go/qluster"
	"github.com/openqluster/qluster-go/qlustertest"
)

// testBundle is what a test of this package needs.
type testBundle struct {
	ctx  context.Context
	url  string
	dest *Destination
}

// setup opens a Destination on a fresh database. Its sessions use a time
// zone far from UTC so that tests notice when Apply depends on it.
func setup(t *testing.T) *testBundle {
	t.Helper()
	u := pgtest.NewDatabase(t)
	d, err := OpenURL(t.Context(), withParam(t, u, "timezone", "Asia/Tokyo"), &Options{MaxConns: 8})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, d.Close()) })
	return &testBundle{ctx: t.Context(), url: u, dest: d}
}

// withParam returns the URL u with the query parameter key set to value.
func withParam(t *testing.T, u, key, value string) string {
	t.Helper()
	p, err := url.Parse(u)
	require.NoError(t, err)
	q := p.Query()
	q.Set(key, value)
	p.RawQuery = q.Encode()
	return p.String()
}

// exec runs sql on the bundle's pool.
func (b *testBundle) exec(t *testing.T, sql string, args ...any) {
	t.Helper()
	_, err := b.dest.Pool().Exec(b.ctx, sql, args...)
	require.NoError(t, err, sql)
}

// strings returns the first column of sql's rows as text, read in UTC.
func (b *testBundle) strings(t *testing.T, sql string, args ...any) []*string {
	t.Helper()
	var out []*string
	err := pgx.BeginFunc(b.ctx, b.dest.Pool(), func(tx pgx.Tx) error {
		if _, err := tx.Exec(b.ctx, "SET LOCAL TimeZone = 'UTC'"); err != nil {
			return err
		}
		rows, err := tx.Query(b.ctx, sql, args...)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, pgx.RowTo[*string])
		return err
	})
	require.NoError(t, err, sql)
	return out
}

func TestOpen(t *testing.T) {
	t.Parallel()
	u, err := url.Parse(pgtest.NewDatabase(t))
	require.NoError(t, err)
	pw, _ := u.User.Password()
	m := &qluster.DestinationModel{
		Host:           u.Hostname(),
		Port:           u.Port(),
		User:           u.User.Username(),
		Password:       pw,
		DatabaseName:   u.Path[1:],
		ConnectTimeout: 3,
	}
	d, err := Open(t.Context(), m, &Options{MaxConns: 2})
	require.NoError(t, err)
	defer d.Close()
	cfg := d.Pool().Config()
	require.Equal(t, int32(2), cfg.MaxConns)
	require.Equal(t, 3*time.Second, cfg.ConnConfig.ConnectTimeout)
	require.Equal(t, applicationName, cfg.ConnConfig.RuntimeParams["application_name"])
	var db string
	require.NoError(t, d.Pool().QueryRow(t.Context(), "SELECT current_database()").Scan(&db))
	require.Equal(t, m.DatabaseName, db)

	t.Run("MissingDatabase", func(t *testing.T) {
		t.Parallel()
		bad := *m
		bad.DatabaseName = "qt_does_not_exist"
		_, err := Open(t.Context(), &bad, nil)
		require.ErrorContains(t, err, "pgdest.Open: postgres at")
		require.ErrorContains(t, err, "qt_does_not_exist")
	})
	t.Run("Refused", func(t *testing.T) {
		t.Parallel()
		bad := *m
		bad.Host, bad.Port, bad.Password = "127.0.0.1", "1", "s3cret-pw"
		_, err := Open(t.Context(), &bad, nil)
		require.Error(t, err)
		require.NotContains(t, err.Error(), "s3cret-pw")
	})
	t.Run("Invalid", func(t *testing.T) {
		t.Parallel()
		_, err := Open(t.Context(), nil, nil)
		require.ErrorContains(t, err, "nil")
		_, err = Open(t.Context(), &qluster.DestinationModel{Host: "127.0.0.1"}, nil)
		require.ErrorContains(t, err, "database_name is required")
		_, err = OpenURL(t.Context(), u.String(), &Options{MaxConns: -1})
		require.ErrorContains(t, err, "MaxConns")
	})
}

func TestDestinationConformance(t *testing.T) {
	t.Parallel()
	qlustertest.RunDestinationTests(t, func(t *testing.T) qluster.Destination {
		d, err := OpenURL(t.Context(), pgtest.NewDatabase(t), nil)
		require.NoError(t, err)
		t.Cleanup(func() { require.NoError(t, d.Close()) })
		return d
	})
}
