package analyzer

import (
	"strings"
)

// delimiterCandidates are tried by the sniffer, most likely first.
var delimiterCandidates = []byte{',', ';', '\t', '|', ':', '^', '~'}

// SniffDialect guesses the dialect of delimited text from a sample (whole
// lines, already UTF-8). It returns a Dialect with Delimiter 0 when no
// delimiter splits the lines consistently (plain text, one column).
func SniffDialect(sample string) Dialect {
	d := Dialect{Quote: '"', LineTerminator: sniffTerminator(sample)}
	if q := sniffQuote(sample); q != 0 {
		d.Quote = q
	}
	d.Escape = sniffEscape(sample, d.Quote)
	best, bestScore := byte(0), 0.0
	for rank, delim := range delimiterCandidates {
		score := delimiterScore(sample, Dialect{Delimiter: delim, Quote: d.Quote, Escape: d.Escape})
		// Later candidates must do clearly better.
		score *= 1 - float64(rank)*0.01
		if score > bestScore {
			best, bestScore = delim, score
		}
	}
	d.Delimiter = best
	return d
}

// delimiterScore rates how consistently delim splits the sample's rows: the
// number of rows sharing the most common field count (above 1), weighted
// by that count a little.
func delimiterScore(sample string, d Dialect) float64 {
	r := NewCSVReader(strings.NewReader(sample), d)
	counts := map[int]int{}
	rows := 0
	for rows < 200 {
		rec, _, err := r.Next()
		if err != nil {
			break
		}
		rows++
		counts[len(rec)]++
	}
	mode, modeN := 0, 0
	for n, k := range counts {
		if n > 1 && (k > modeN || k == modeN && n > mode) {
			mode, modeN = n, k
		}
	}
	if mode <= 1 || rows == 0 {
		return 0
	}
	consistency := float64(modeN) / float64(rows)
	return consistency*100 + float64(min(mode, 20))*0.5
}

func sniffTerminator(s string) string {
	crlf := strings.Count(s, "\r\n")
	lf := strings.Count(s, "\n") - crlf
	cr := strings.Count(s, "\r") - crlf
	switch {
	case crlf >= lf && crlf >= cr && crlf > 0:
		return "\r\n"
	case cr > lf:
		return "\r"
	}
	return "\n"
}

// sniffQuote returns '\” when single quotes open fields clearly more
// often than double quotes, else 0 (keep '"').
func sniffQuote(s string) byte {
	opens := func(q byte) int {
		n := 0
		for i := 0; i < len(s); i++ {
			if s[i] != q {
				continue
			}
			prevOK := i == 0
			if i > 0 {
				switch s[i-1] {
				case ',', ';', '\t', '|', '\n', '\r':
					prevOK = true
				}
			}
			if !prevOK {
				continue
			}
			// Find the closing quote, followed by a delimiter or line end.
			j := strings.IndexByte(s[i+1:], q)
			if j < 0 {
				continue
			}
			k := i + 1 + j + 1
			if k == len(s) || strings.IndexByte(",;\t|\n\r", s[k]) >= 0 {
				n++
			}
		}
		return n
	}
	dq, sq := opens('"'), opens('\'')
	if sq > 2*dq && sq >= 2 {
		return '\''
	}
	return 0
}

// sniffEscape returns '\\' when backslash-escaped quotes appear inside
// quoted fields (and doubled quotes do not).
func sniffEscape(s string, q byte) byte {
	esc := 0
	for i := 0; i+2 < len(s); i++ {
		if s[i] == '\\' && s[i+1] == q {
			// \" followed by a delimiter or line end may close a field
			// that merely ends in a backslash; count only inner ones.
			if strings.IndexByte(",;\t|\n\r", s[i+2]) < 0 {
				esc++
			}
		}
	}
	if esc == 0 {
		return 0
	}
	if strings.Contains(s, string([]byte{q, q})) && strings.Count(s, string([]byte{q, q})) > esc {
		return 0
	}
	return '\\'
}
