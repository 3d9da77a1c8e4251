package analyzer

import (
	"strings"
	"testing"
)

// TestOnlyWords: the allocation-free split agrees with strings.Fields, the
// rule it replaces, on ASCII and non-ASCII cells.
func TestOnlyWords(t *testing.T) {
	words := map[string]bool{"total": true, "page": true, "of": true, "report": true, "générale": true}
	reference := func(c string) bool {
		for _, w := range strings.Fields(c) {
			if !words[strings.Trim(w, ":.")] {
				return false
			}
		}
		return true
	}
	for _, tc := range []struct {
		cell string
		want bool
	}{
		{"total", true},
		{"total:", true},
		{"  page\tof\r\nreport. ", true},
		{"page 3 of 7", false},
		{"total\v\fpage", true},
		{"", true},
		{"   ", true},
		{"1000123", false},
		{"report générale", true},
		{"report\u00a0générale", true}, // a no-break space splits words, as in strings.Fields
		{"report\u00a0x", false},
		{"totals", false},
	} {
		if got := onlyWords(tc.cell, words); got != tc.want || got != reference(tc.cell) {
			t.Errorf("onlyWords(%q) = %v; want %v (strings.Fields: %v)", tc.cell, got, tc.want, reference(tc.cell))
		}
	}
	if n := testing.AllocsPerRun(100, func() { onlyWords("page 3 of 7", words) }); n != 0 {
		t.Errorf("onlyWords allocates %v times per call; want 0", n)
	}
}
