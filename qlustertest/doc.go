// Package qlustertest holds the conformance suites that every implementation
// of an interface of package qluster runs, so that all of them keep the
// contract written on the interface. It imports only qluster, testing and
// testify, so any implementation can run it from its own tests.
//
// # Suites
//
//   - RunBackupTests checks a qluster.Backup.
//   - RunQueueTests checks a qluster.Queue.
//   - RunDestinationTests checks a qluster.Destination.
//
// # Running a suite
//
// Each suite takes a function that returns a fresh (or shared) implementation
// for one subtest and registers its cleanup with t.Cleanup; subtests run in
// parallel. For example, pgdest runs the destination suite with a database
// of its own per subtest:
//
//	func TestDestinationConformance(t *testing.T) {
//		t.Parallel()
//		qlustertest.RunDestinationTests(t, func(t *testing.T) qluster.Destination {
//			d, err := pgdest.OpenURL(t.Context(), pgtest.NewDatabase(t), nil)
//			require.NoError(t, err)
//			t.Cleanup(func() { require.NoError(t, d.Close()) })
//			return d
//		})
//	}
//
// Adding an implementation means running its suite this way; adding an
// interface means adding a Run<Interface>Tests suite here, in a file named
// for the interface.
package qlustertest
