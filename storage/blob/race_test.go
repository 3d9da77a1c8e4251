//go:build race

package blob_test

// raceEnabled is true when the race detector is on; tests shrink their data.
const raceEnabled = true
