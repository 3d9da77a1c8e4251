// Package pgtest gives each test its own PostgreSQL database.
//
//	func TestSomething(t *testing.T) {
//		t.Parallel()
//		url := pgtest.NewDatabase(t)
//		pool, err := pgxpool.New(t.Context(), url)
//		...
//	}
//
// # Server
//
// Databases are created on the server named by the environment variable
// QLUSTER_TEST_DATABASE_URL, a postgres:// URL of a role allowed to create
// and drop databases (default
// postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable, the local
// server with trust authentication). If the local server is down, start it
// with:
//
//	pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start
//
// # Names and cleanup
//
// Each database is named qt_<pid>_<counter>_<random>, unique across parallel
// tests and concurrent test processes, carries the test's name as its
// comment, and is dropped WITH (FORCE) when the test ends, even if
// connections are still open. A database left behind by a killed test
// process can be found with
//
//	SELECT datname, shobj_description(oid, 'pg_database') FROM pg_database WHERE datname LIKE 'qt\_%';
package pgtest
