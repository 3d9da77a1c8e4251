//go:build !unix

package testservers

import "os"

// flock does nothing where flock(2) is missing: test packages installing
// the same program at once may then both build it; the rename keeps the
// binary whole either way.
func flock(*os.File) error { return nil }
