package qluster

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestNextWindow(t *testing.T) {
	t.Parallel()
	at := func(day, hour, minute int) time.Time { return time.Date(2024, 5, day, hour, minute, 0, 0, time.UTC) }
	for name, tc := range map[string]struct {
		window string
		now    time.Time
		want   time.Time
		err    string
	}{
		"inside":                      {"09:00-17:00", at(10, 12, 0), at(10, 12, 0), ""},
		"at the start":                {"09:00-17:00", at(10, 9, 0), at(10, 9, 0), ""},
		"at the end: it is exclusive": {"09:00-17:00", at(10, 17, 0), at(11, 9, 0), ""},
		"before":                      {"09:00-17:00", at(10, 7, 30), at(10, 9, 0), ""},
		"after":                       {"09:00-17:00", at(10, 18, 0), at(11, 9, 0), ""},
		"spaces around the parts":     {" 09:00 - 17:00 ", at(10, 8, 0), at(10, 9, 0), ""},
		"wrap: late evening inside":   {"22:00-02:00", at(10, 23, 0), at(10, 23, 0), ""},
		"wrap: past midnight inside":  {"22:00-02:00", at(10, 1, 0), at(10, 1, 0), ""},
		"wrap: after the end":         {"22:00-02:00", at(10, 3, 0), at(10, 22, 0), ""},
		"wrap: just before the start": {"22:00-02:00", at(10, 21, 59), at(10, 22, 0), ""},
		"wrap: at the end":            {"22:00-02:00", at(10, 2, 0), at(10, 22, 0), ""},
		"the whole day":               {"00:00-23:59", at(10, 5, 0), at(10, 5, 0), ""},
		"last minute of the day":      {"00:00-23:59", at(10, 23, 59), at(11, 0, 0), ""},
		"now in another zone":         {"09:00-17:00", time.Date(2024, 5, 10, 5, 0, 0, 0, time.FixedZone("UTC-5", -5*3600)), at(10, 10, 0), ""},
		"no dash":                     {"09:00", at(10, 12, 0), time.Time{}, "is not HH:MM-HH:MM"},
		"empty":                       {"", at(10, 12, 0), time.Time{}, "is not HH:MM-HH:MM"},
		"bad start":                   {"25:00-26:00", at(10, 12, 0), time.Time{}, "window start"},
		"bad end":                     {"09:00-noon", at(10, 12, 0), time.Time{}, "window end"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, err := NextWindow(tc.window, tc.now)
			if tc.err != "" {
				require.ErrorContains(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			require.True(t, tc.want.Equal(got), "want %s, got %s", tc.want, got)
		})
	}
}
