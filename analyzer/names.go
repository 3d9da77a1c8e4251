package analyzer

import (
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// MaxIdentifierLength is the longest Postgres identifier, in bytes.
const MaxIdentifierLength = 63

// NormalizeName turns a raw column name into a snake_case Postgres
// identifier: ASCII (accents are dropped, "ß" becomes "ss"), lower case,
// words split at spaces, punctuation and camelCase boundaries and joined by
// "_", no leading digit (a "_" is prepended), at most 63 bytes. It returns
// "" when nothing is left.
func NormalizeName(raw string) string {
	var b strings.Builder
	b.Grow(len(raw) + 4)
	pendingSep := false
	var prev rune // previous rune written (ASCII), or 0 after a separator
	s := norm.NFKD.String(raw)
	runes := []rune(s)
	for i, r := range runes {
		if unicode.Is(unicode.Mn, r) {
			continue
		}
		switch r {
		case 'ß':
			r = 's'
			b.WriteString(sepIf(&pendingSep, b.Len() > 0))
			b.WriteString("s")
			prev = 's'
		case 'ø', 'Ø':
			r = 'o'
		case 'æ', 'Æ':
			b.WriteString(sepIf(&pendingSep, b.Len() > 0))
			b.WriteString("a")
			r, prev = 'e', 'a'
		case 'đ', 'Đ':
			r = 'd'
		case 'ł', 'Ł':
			r = 'l'
		}
		if r >= utf8.RuneSelf || !(unicode.IsLetter(r) || unicode.IsDigit(r)) {
			pendingSep = true
			prev = 0
			continue
		}
		// camelCase boundary: lower→Upper, or Upper followed by lower after
		// an upper run ("HTTPServer" → "http_server"), letter↔digit stays.
		if unicode.IsUpper(r) && prev != 0 {
			if unicode.IsLower(prev) || unicode.IsDigit(prev) {
				pendingSep = true
			} else if unicode.IsUpper(prev) && i+1 < len(runes) && unicode.IsLower(runes[i+1]) {
				pendingSep = true
			}
		}
		b.WriteString(sepIf(&pendingSep, b.Len() > 0))
		b.WriteRune(unicode.ToLower(r))
		prev = r
	}
	out := b.String()
	if out == "" {
		return ""
	}
	if out[0] >= '0' && out[0] <= '9' {
		out = "_" + out
	}
	return truncateIdent(out, MaxIdentifierLength)
}

func sepIf(pending *bool, notFirst bool) string {
	if *pending {
		*pending = false
		if notFirst {
			return "_"
		}
	}
	return ""
}

func truncateIdent(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	return strings.TrimRight(s, "_")
}

// FieldNames turns raw header names into unique Postgres identifiers: part
// conversions are applied to the raw name (longest key first), then the
// name is normalised, then full conversions (keyed by raw or normalised
// name) replace it. Empty names become "column_<position>" (1-based);
// duplicates get "_2", "_3", … in file order, so the result is stable.
func FieldNames(raw []string, full, part map[string]string) []string {
	parts := make([]string, 0, len(part)+len(DefaultFieldNamePartConversion))
	repl := map[string]string{}
	for k, v := range DefaultFieldNamePartConversion {
		repl[k] = v
	}
	for k, v := range part {
		repl[k] = v
	}
	for k := range repl {
		if k != "" {
			parts = append(parts, k)
		}
	}
	sort.Slice(parts, func(i, j int) bool {
		if len(parts[i]) != len(parts[j]) {
			return len(parts[i]) > len(parts[j])
		}
		return parts[i] < parts[j]
	})
	out := make([]string, len(raw))
	used := map[string]bool{}
	for i, r := range raw {
		name := ""
		if v, ok := full[r]; ok {
			name = NormalizeName(v)
		} else {
			s := r
			for _, k := range parts {
				if strings.Contains(s, k) {
					s = strings.ReplaceAll(s, k, " "+repl[k]+" ")
				}
			}
			name = NormalizeName(s)
			if v, ok := full[name]; ok {
				name = NormalizeName(v)
			}
		}
		if name == "" {
			name = "column_" + strconv.Itoa(i+1)
		}
		out[i] = name
	}
	// Names given explicitly win; duplicates get suffixes in file order.
	for i, name := range out {
		base := name
		for n := 2; used[name]; n++ {
			suf := "_" + strconv.Itoa(n)
			name = truncateIdent(base, MaxIdentifierLength-len(suf)) + suf
		}
		used[name] = true
		out[i] = name
	}
	return out
}
