package analyzer

import (
	"fmt"
	"strings"
	"time"
)

// Format is a compiled strftime format (Python strptime codes). Compile it
// once with CompileFormat; Parse does not allocate.
//
// Supported directives: %Y (4-digit year), %y (2-digit year, 69–99 →
// 19xx), %m, %d, %e (1 or 2 digits), %H, %I (1 or 2 digits), %M, %S (2
// digits, %S also 1), %f (1–9 fraction digits), %p (AM/PM), %z (Z, ±HH,
// ±HHMM, ±HH:MM), %Z (UTC, GMT, Z or an offset), %b/%h and %B (English month
// names, either form accepted), %a and %A (English weekday names, checked
// only for spelling), %j (day of year), %s (Unix epoch seconds, optionally
// with a fraction), %T (%H:%M:%S), %F (%Y-%m-%d), %D (%m/%d/%y) and %%. A
// space matches one or more spaces; other characters match themselves.
type Format struct {
	src     string
	toks    []fmtTok
	hasDate bool
	hasTime bool
	hasZone bool
	epoch   bool
	// dayFirst and monthFirst record the order of %d and %m, used to pair
	// day-first and month-first formats.
	dayFirst, monthFirst bool
}

type fmtTok struct {
	kind byte // directive letter, or 0 for a literal
	lit  byte
}

// DateParts are the fields a Format read from a value.
type DateParts struct {
	Year, Month, Day     int
	Hour, Minute, Second int
	Nanosecond           int
	// Offset is the UTC offset in seconds; valid when HasOffset.
	Offset    int
	HasOffset bool
	yday      int
	pm, ampm  bool
	epoch     int64
	hasEpoch  bool
}

// CompileFormat compiles a strftime format.
func CompileFormat(src string) (*Format, error) {
	f := &Format{src: src}
	for i := 0; i < len(src); i++ {
		c := src[i]
		if c != '%' {
			f.toks = append(f.toks, fmtTok{lit: c})
			continue
		}
		i++
		if i >= len(src) {
			return nil, fmt.Errorf("format %q ends with %%", src)
		}
		d := src[i]
		if d == '-' || d == '#' { // %-d, %#d: non-padded, same as %d for parsing
			i++
			if i >= len(src) {
				return nil, fmt.Errorf("format %q ends with %%-", src)
			}
			d = src[i]
		}
		switch d {
		case '%':
			f.toks = append(f.toks, fmtTok{lit: '%'})
		case 'Y', 'y', 'm', 'd', 'e', 'b', 'h', 'B', 'j':
			if d == 'h' {
				d = 'b'
			}
			if d == 'e' {
				d = 'd'
			}
			if d == 'd' && !f.monthFirst {
				f.dayFirst = true
			}
			if (d == 'm' || d == 'b' || d == 'B') && !f.dayFirst {
				f.monthFirst = true
			}
			f.hasDate = true
			f.toks = append(f.toks, fmtTok{kind: d})
		case 'H', 'I', 'M', 'S', 'f', 'p':
			f.hasTime = true
			f.toks = append(f.toks, fmtTok{kind: d})
		case 'a', 'A':
			f.toks = append(f.toks, fmtTok{kind: 'a'})
		case 'z', 'Z':
			f.hasZone = true
			f.toks = append(f.toks, fmtTok{kind: d})
		case 's':
			f.epoch, f.hasDate, f.hasTime, f.hasZone = true, true, true, true
			f.toks = append(f.toks, fmtTok{kind: 's'})
		case 'T':
			f.hasTime = true
			f.toks = append(f.toks, fmtTok{kind: 'H'}, fmtTok{lit: ':'}, fmtTok{kind: 'M'}, fmtTok{lit: ':'}, fmtTok{kind: 'S'})
		case 'F':
			f.hasDate, f.monthFirst = true, true
			f.toks = append(f.toks, fmtTok{kind: 'Y'}, fmtTok{lit: '-'}, fmtTok{kind: 'm'}, fmtTok{lit: '-'}, fmtTok{kind: 'd'})
		case 'D':
			f.hasDate, f.monthFirst = true, true
			f.toks = append(f.toks, fmtTok{kind: 'm'}, fmtTok{lit: '/'}, fmtTok{kind: 'd'}, fmtTok{lit: '/'}, fmtTok{kind: 'y'})
		default:
			return nil, fmt.Errorf("format %q: unsupported directive %%%c", src, d)
		}
	}
	if len(f.toks) == 0 {
		return nil, fmt.Errorf("empty datetime format")
	}
	if !f.hasDate && !f.hasTime {
		return nil, fmt.Errorf("format %q has no date or time directive", src)
	}
	return f, nil
}

// MustCompileFormat is CompileFormat that panics on error; for formats
// written in code.
func MustCompileFormat(src string) *Format {
	f, err := CompileFormat(src)
	if err != nil {
		panic(err)
	}
	return f
}

// String returns the format's source text.
func (f *Format) String() string { return f.src }

// HasDate reports whether the format reads a date.
func (f *Format) HasDate() bool { return f.hasDate }

// HasTime reports whether the format reads a time of day.
func (f *Format) HasTime() bool { return f.hasTime }

// HasZone reports whether the format reads a UTC offset or zone.
func (f *Format) HasZone() bool { return f.hasZone }

var monthNames = [12]string{"january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"}
var dayNames = [7]string{"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// matchName matches a full or 3-letter abbreviated English name at s[i:],
// case-insensitively ("sept" is accepted for September). It returns the
// index of the name and the new position.
func matchName(s string, i int, names []string) (int, int, bool) {
	for n, name := range names {
		// Try the full name first, then the abbreviation.
		if hasPrefixFold(s[i:], name) {
			return n, i + len(name), true
		}
	}
	for n, name := range names {
		if n == 8 && len(names) == 12 && hasPrefixFold(s[i:], "sept") {
			return n, i + 4, true
		}
		if hasPrefixFold(s[i:], name[:3]) {
			return n, i + 3, true
		}
	}
	return 0, i, false
}

func hasPrefixFold(s, p string) bool {
	if len(s) < len(p) {
		return false
	}
	for i := 0; i < len(p); i++ {
		if lower(s[i]) != p[i] {
			return false
		}
	}
	return true
}

// digits reads between min and max ASCII digits at s[i:].
func digits(s string, i, min, max int) (int, int, bool) {
	n, j := 0, i
	for j < len(s) && j-i < max && s[j] >= '0' && s[j] <= '9' {
		n = n*10 + int(s[j]-'0')
		j++
	}
	if j-i < min {
		return 0, i, false
	}
	return n, j, true
}

// Parse reads s with the format. It reports false when s does not match
// the format exactly or names an impossible date or time.
func (f *Format) Parse(s string) (DateParts, bool) {
	var p DateParts
	p.Year, p.Month, p.Day = 1970, 1, 1
	if f.epoch && len(f.toks) == 1 {
		return parseEpoch(s)
	}
	i := 0
	var ok bool
	for _, t := range f.toks {
		if t.kind == 0 {
			if t.lit == ' ' {
				if i >= len(s) || s[i] != ' ' {
					return p, false
				}
				for i < len(s) && s[i] == ' ' {
					i++
				}
				continue
			}
			if i >= len(s) || s[i] != t.lit {
				// Python's strptime is case-insensitive for literals like T.
				if i < len(s) && lower(s[i]) == lower(t.lit) {
					i++
					continue
				}
				return p, false
			}
			i++
			continue
		}
		switch t.kind {
		case 'Y':
			if p.Year, i, ok = digits(s, i, 4, 4); !ok {
				return p, false
			}
		case 'y':
			var y int
			if y, i, ok = digits(s, i, 2, 2); !ok {
				return p, false
			}
			if y < 69 {
				p.Year = 2000 + y
			} else {
				p.Year = 1900 + y
			}
		case 'm':
			if p.Month, i, ok = digits(s, i, 1, 2); !ok || p.Month < 1 || p.Month > 12 {
				return p, false
			}
		case 'd':
			if p.Day, i, ok = digits(s, i, 1, 2); !ok || p.Day < 1 || p.Day > 31 {
				return p, false
			}
		case 'j':
			if p.yday, i, ok = digits(s, i, 1, 3); !ok || p.yday < 1 || p.yday > 366 {
				return p, false
			}
		case 'b', 'B':
			var m int
			if m, i, ok = matchName(s, i, monthNames[:]); !ok {
				return p, false
			}
			p.Month = m + 1
		case 'a':
			if _, i, ok = matchName(s, i, dayNames[:]); !ok {
				return p, false
			}
		case 'H':
			if p.Hour, i, ok = digits(s, i, 1, 2); !ok || p.Hour > 23 {
				return p, false
			}
		case 'I':
			if p.Hour, i, ok = digits(s, i, 1, 2); !ok || p.Hour < 1 || p.Hour > 12 {
				return p, false
			}
			p.ampm = true
		case 'M':
			if p.Minute, i, ok = digits(s, i, 2, 2); !ok || p.Minute > 59 {
				return p, false
			}
		case 'S':
			if p.Second, i, ok = digits(s, i, 2, 2); !ok || p.Second > 61 {
				return p, false
			}
			if p.Second > 59 {
				p.Second = 59
			}
		case 'f':
			j := i
			ns := 0
			for j < len(s) && j-i < 9 && s[j] >= '0' && s[j] <= '9' {
				ns = ns*10 + int(s[j]-'0')
				j++
			}
			if j == i {
				return p, false
			}
			for k := j - i; k < 9; k++ {
				ns *= 10
			}
			p.Nanosecond, i = ns, j
		case 'p':
			if i+2 > len(s) {
				return p, false
			}
			a, m := lower(s[i]), lower(s[i+1])
			if m != 'm' || (a != 'a' && a != 'p') {
				return p, false
			}
			p.pm = a == 'p'
			i += 2
		case 'z', 'Z':
			if i, ok = parseOffset(s, i, &p, t.kind == 'Z'); !ok {
				return p, false
			}
		case 's':
			j := i
			for j < len(s) && (s[j] >= '0' && s[j] <= '9' || s[j] == '-' && j == i || s[j] == '.') {
				j++
			}
			ep, ok := parseEpoch(s[i:j])
			if !ok {
				return p, false
			}
			p = ep
			i = j
		}
	}
	if i != len(s) {
		return p, false
	}
	if p.hasEpoch {
		return p, true
	}
	if p.ampm {
		if p.pm && p.Hour != 12 {
			p.Hour += 12
		} else if !p.pm && p.Hour == 12 {
			p.Hour = 0
		}
	}
	if p.yday > 0 {
		if p.yday > daysIn(p.Year) {
			return p, false
		}
		t := time.Date(p.Year, 1, p.yday, 0, 0, 0, 0, time.UTC)
		p.Month, p.Day = int(t.Month()), t.Day()
	}
	if p.Day > monthDays(p.Year, p.Month) {
		return p, false
	}
	return p, true
}

func daysIn(y int) int {
	if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
		return 366
	}
	return 365
}

func monthDays(y, m int) int {
	switch m {
	case 2:
		if daysIn(y) == 366 {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

func parseOffset(s string, i int, p *DateParts, named bool) (int, bool) {
	if i >= len(s) {
		return i, false
	}
	if s[i] == 'Z' || s[i] == 'z' {
		p.HasOffset = true
		return i + 1, true
	}
	if named {
		for _, n := range [...]string{"UTC", "GMT"} {
			if hasPrefixFold(s[i:], strings.ToLower(n)) {
				p.HasOffset = true
				return i + 3, true
			}
		}
	}
	sign := 1
	switch s[i] {
	case '+':
	case '-':
		sign = -1
	default:
		return i, false
	}
	i++
	h, j, ok := digits(s, i, 2, 2)
	if !ok || h > 23 {
		return i, false
	}
	i = j
	m := 0
	if i < len(s) && s[i] == ':' {
		if m, j, ok = digits(s, i+1, 2, 2); !ok {
			return i, false
		}
		i = j
	} else if i < len(s) && s[i] >= '0' && s[i] <= '9' {
		if m, j, ok = digits(s, i, 2, 2); !ok {
			return i, false
		}
		i = j
	}
	if m > 59 {
		return i, false
	}
	p.Offset = sign * (h*3600 + m*60)
	p.HasOffset = true
	return i, true
}

// parseEpoch reads Unix epoch seconds with an optional fraction.
func parseEpoch(s string) (DateParts, bool) {
	var p DateParts
	if s == "" {
		return p, false
	}
	neg := false
	i := 0
	if s[0] == '-' {
		neg = true
		i++
	}
	var sec int64
	j := i
	for j < len(s) && s[j] >= '0' && s[j] <= '9' {
		if j-i > 11 {
			return p, false
		}
		sec = sec*10 + int64(s[j]-'0')
		j++
	}
	if j == i {
		return p, false
	}
	ns := 0
	if j < len(s) && s[j] == '.' {
		k := j + 1
		n := 0
		for k < len(s) && s[k] >= '0' && s[k] <= '9' {
			if n < 9 {
				ns = ns*10 + int(s[k]-'0')
				n++
			}
			k++
		}
		for ; n < 9; n++ {
			ns *= 10
		}
		j = k
	}
	if j != len(s) {
		return p, false
	}
	if neg {
		sec = -sec
		ns = -ns
	}
	p.epoch = sec
	p.Nanosecond = ns
	p.hasEpoch = true
	p.HasOffset = true
	return p, true
}

// Time returns the parts as a time.Time: in UTC (converted from the offset
// when the value had one), else as a wall-clock time in UTC.
func (p DateParts) Time() time.Time {
	if p.hasEpoch {
		return time.Unix(p.epoch, int64(p.Nanosecond)).UTC()
	}
	t := time.Date(p.Year, time.Month(p.Month), p.Day, p.Hour, p.Minute, p.Second, p.Nanosecond, time.UTC)
	if p.HasOffset && p.Offset != 0 {
		t = t.Add(-time.Duration(p.Offset) * time.Second)
	}
	return t
}
