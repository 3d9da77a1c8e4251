// Package testservers starts real servers on loopback for tests: each
// helper listens on 127.0.0.1:0, serves what the test prepared, and stops
// (closing every connection it accepted) when the test ends.
//
// # SFTP
//
// SFTP and StartSFTP run an SSH server (password and public-key auth)
// whose sftp subsystem serves a temporary directory as "/": a client sees
// only that directory, as on a chrooted SFTP host.
//
// # S3 and GCS
//
// S3 runs versitygw (an S3 gateway storing buckets as directories) and GCS
// runs fake-gcs-server (the Cloud Storage JSON and XML APIs, in memory), each
// as a child process on a free port of 127.0.0.1, waiting at most 30
// seconds until it answers HTTP and killing it when the test ends. A server
// that exits first fails the test with the end of its output; a port taken
// between choosing and binding it is retried on another.
//
//	endpoint, accessKey, secretKey := testservers.S3(t) // versitygw posix over t.TempDir()
//	gcsEndpoint := testservers.GCS(t)                   // checks no credentials
//
// Both programs are pinned (VersityGWVersion, FakeGCSServerVersion) and
// built on first use with `go install module@version` into
// $QLUSTER_TESTSERVERS_DIR, by default <user cache dir>/qluster/testservers
// (~/.cache/qluster/testservers), one directory per program and version;
// later runs and other test packages reuse the binary, and a file lock makes
// test packages running at once build it once. The first build needs the go
// command on $PATH (go test puts it there) and the Go module proxy, and
// takes minutes on a 2-CPU machine: with the module cache empty and other
// builds running, versitygw took 8.5 minutes (2.7 minutes of CPU) and
// fake-gcs-server 8 minutes (2 minutes of CPU); with the modules already
// downloaded, 6 minutes and 36 seconds respectively. make test's 15-minute timeout
// covers it; a plain go test of one package (10 minutes) may not on a
// loaded machine, so run the package once first. A failed build fails the
// test with the go command's output: nothing is skipped. $QLUSTER_VERSITYGW
// and $QLUSTER_FAKE_GCS_SERVER may name binaries built elsewhere instead.
//
// versitygw's posix backend keeps object metadata in extended attributes,
// which the temporary directory's filesystem must support (ext4, xfs,
// btrfs and tmpfs do).
package testservers
