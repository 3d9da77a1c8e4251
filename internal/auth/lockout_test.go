package auth_test

import (
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/openqluster/qluster-go/internal/auth"
)

func TestLocked(t *testing.T) {
	t.Parallel()
	base := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	at := func(minutes ...float64) []time.Time {
		out := make([]time.Time, len(minutes))
		for i, m := range minutes {
			out[i] = base.Add(time.Duration(m * float64(time.Minute)))
		}
		return out
	}
	mins := func(m float64) time.Time { return base.Add(time.Duration(m * float64(time.Minute))) }

	tests := []struct {
		name      string
		failures  []time.Time
		now       time.Time
		want      bool
		wantUntil time.Time
	}{
		{"none", nil, mins(0), false, time.Time{}},
		{"four", at(0, 1, 2, 3), mins(4), false, time.Time{}},
		{"five within the window", at(0, 1, 2, 3, 4), mins(5), true, mins(19)},
		{"five, any order", at(4, 2, 0, 3, 1), mins(5), true, mins(19)},
		{"locked just before the end", at(0, 1, 2, 3, 4), mins(19).Add(-time.Nanosecond), true, mins(19)},
		{"unlocked at the end", at(0, 1, 2, 3, 4), mins(19), false, time.Time{}},
		{"five spanning exactly the window", at(0, 1, 2, 3, 15), mins(16), false, time.Time{}},
		{"five spanning just under the window", at(0, 1, 2, 3, 14.99), mins(16), true, mins(29.99)},
		{"spread out", at(0, 4, 8, 12, 16, 20, 24), mins(25), false, time.Time{}},
		{"later run extends", at(0, 1, 2, 3, 4, 10), mins(20), true, mins(25)},
		{"old lock over, new failure alone", at(0, 1, 2, 3, 4, 30), mins(31), false, time.Time{}},
		{"old run, then a new run", at(0, 1, 2, 3, 4, 40, 41, 42, 43, 44), mins(45), true, mins(59)},
		{"old run, new run not complete", at(0, 1, 2, 3, 4, 40, 41, 42, 43), mins(45), false, time.Time{}},
		{"now before the failures", at(0, 1, 2, 3, 4), mins(-1), true, mins(19)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in := slices.Clone(tt.failures)
			got, until := auth.Locked(tt.failures, tt.now)
			require.Equal(t, tt.want, got)
			require.True(t, tt.wantUntil.Equal(until), "until %v, want %v", until, tt.wantUntil)
			require.Equal(t, in, tt.failures, "Locked must not modify its input")
		})
	}
}
