package auth

import (
	"slices"
	"time"
)

// The lockout policy; see Locked.
const (
	// MaxFailedLogins failed logins within FailureWindow lock the account.
	MaxFailedLogins = 5
	// FailureWindow is how close together MaxFailedLogins failures must be.
	FailureWindow = 15 * time.Minute
	// LockDuration is how long the account stays locked after the failure
	// that locked it.
	LockDuration = 15 * time.Minute
)

// Locked applies the lockout policy to a user's failed logins (in any order;
// the slice is not modified) at time now.
//
// The rule: whenever MaxFailedLogins failures happened within less than
// FailureWindow of each other (the first to the last of them), the last of
// them locks the account for LockDuration. The account is locked at now when
// such a lock has not ended yet; until is when the latest such lock ends (the
// zero time when not locked). For example, five failures at 10:00, 10:01,
// 10:02, 10:03 and 10:04 lock the account until 10:19; five failures spread
// over more than 15 minutes lock nothing.
//
// Callers check Locked before checking the password and do not record the
// attempts refused because of the lock: otherwise a locked account stays
// locked for as long as someone keeps guessing. A successful login clears
// the failures.
func Locked(failures []time.Time, now time.Time) (locked bool, until time.Time) {
	if len(failures) < MaxFailedLogins {
		return false, time.Time{}
	}
	sorted := slices.Clone(failures)
	slices.SortFunc(sorted, func(a, b time.Time) int { return a.Compare(b) })
	for i := len(sorted) - 1; i >= MaxFailedLogins-1; i-- {
		last, first := sorted[i], sorted[i-MaxFailedLogins+1]
		if last.Sub(first) >= FailureWindow {
			continue
		}
		// The latest qualifying run ends the latest lock.
		if end := last.Add(LockDuration); now.Before(end) {
			return true, end
		}
		return false, time.Time{}
	}
	return false, time.Time{}
}
