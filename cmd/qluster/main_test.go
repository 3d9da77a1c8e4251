package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/openqluster/qluster-go/client"
	"github.com/openqluster/qluster-go/internal/pgtest"
	"github.com/openqluster/qluster-go/storage/postgres"
)

// TestServeEmbedded runs `qluster serve` with no database configured: it
// starts a private PostgreSQL in the data folder, creates the first user,
// prints its password once, and serves the API.
func TestServeEmbedded(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	stderr := &syncBuffer{}
	go func() {
		done <- run(ctx, []string{"serve", "--data-dir", dir, "--addr", "127.0.0.1:0", "--database-url", "", "--demo-data", "../../examples/data"}, nil, pw, stderr)
		pw.Close()
	}()
	var url, password string
	sc := bufio.NewScanner(pr)
	deadline := time.After(90 * time.Second)
	lines := make(chan string)
	go func() {
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	for url == "" {
		select {
		case l, ok := <-lines:
			require.True(t, ok, "serve stopped early: %s", stderr.String())
			if m := regexp.MustCompile(`password: (\S+)`).FindStringSubmatch(l); m != nil {
				password = m[1]
			}
			if m := regexp.MustCompile(`serving on (http://\S+)`).FindStringSubmatch(l); m != nil {
				url = m[1]
			}
		case <-deadline:
			t.Fatalf("serve did not start in time: %s", stderr.String())
		}
	}
	require.NotEmpty(t, password, "the first user's password is printed")
	// make demo ends with data: the example files trained, loaded and counted.
	var demo []string
	for done := false; !done; {
		select {
		case l, ok := <-lines:
			require.True(t, ok, "serve stopped early: %s", stderr.String())
			demo = append(demo, l)
			done = strings.Contains(l, "rows are in table demo.orders")
		case <-deadline:
			t.Fatalf("the demo did not finish: %s\n%s", strings.Join(demo, "\n"), stderr.String())
		}
	}
	require.Contains(t, demo[len(demo)-1], "98 rows are in table demo.orders and 2 in demo.orders_quarantine")
	go func() {
		for range lines {
		}
	}()
	for _, f := range []string{"secret.key", "master.key", "pg/port"} {
		_, err := os.Stat(filepath.Join(dir, f))
		require.NoError(t, err, f)
	}

	c, err := client.Login(ctx, url, "admin@qluster.local", password)
	require.NoError(t, err)
	me, err := c.ReadUsersMeWithResponse(ctx)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, me.StatusCode())
	res, err := http.Get(url + "/api/docs")
	require.NoError(t, err)
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	require.Contains(t, string(body), "getDatasets")

	cancel()
	select {
	case code := <-done:
		require.Equal(t, 0, code, stderr.String())
	case <-time.After(60 * time.Second):
		t.Fatal("serve did not stop")
	}
}

// TestMigrateAndUserCreate runs migrate twice (the second changes nothing)
// and creates a user with the password on stdin.
func TestMigrateAndUserCreate(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDatabase(t)
	dir := t.TempDir()
	common := []string{"--database-url", url, "--data-dir", dir}
	for range 2 {
		var out, errb bytes.Buffer
		require.Equal(t, 0, run(context.Background(), append([]string{"migrate"}, common...), nil, &out, &errb), errb.String())
	}
	store, err := postgres.Open(context.Background(), url, nil)
	require.NoError(t, err)
	defer store.Close()
	applied, err := store.Migrate(context.Background())
	require.NoError(t, err)
	require.Empty(t, applied)

	var out, errb bytes.Buffer
	args := append([]string{"user", "create", "--email", "ops@example.com", "--type", "editor", "--password-stdin"}, common...)
	code := run(context.Background(), args, strings.NewReader("a long enough password\n"), &out, &errb)
	require.Equal(t, 0, code, errb.String())
	require.Contains(t, out.String(), "created editor user ops@example.com")
	_, hash, err := store.GetUserByEmail(context.Background(), "ops@example.com")
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(hash, "$argon2id$"))

	errb.Reset()
	code = run(context.Background(), append([]string{"user", "create", "--email", "x@example.com", "--type", "editor", "--password-stdin"}, common...), strings.NewReader("short\n"), &out, &errb)
	require.Equal(t, 1, code)
	require.Contains(t, errb.String(), "at least 8 characters")
}
