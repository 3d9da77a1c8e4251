package analyzer

import (
	"math"
	"strings"
	"unicode/utf8"
)

// NumberStyle describes how a column writes numbers. The zero value is the
// plain style: "." as decimal separator, no thousands separator, no
// currency sign.
type NumberStyle struct {
	// Decimal is the decimal separator, "." (default) or ",".
	Decimal string `json:"decimal,omitempty"`
	// Thousands is the digit-group separator: "", ",", ".", " " or "'".
	Thousands string `json:"thousands,omitempty"`
	// Currency reports that values carry a currency sign ($ € £ ¥ ₹ or a
	// 3-letter ISO code such as USD), which casting strips.
	Currency bool `json:"currency,omitempty"`
	// Parens reports that negatives are written in parentheses: (12.50).
	Parens bool `json:"parens,omitempty"`
}

func (s NumberStyle) dec() byte {
	if s.Decimal == "," {
		return ','
	}
	return '.'
}

func (s NumberStyle) thou() byte {
	if s.Thousands == "" {
		return 0
	}
	return s.Thousands[0]
}

// numStyles are the styles inference tries, in order of preference.
var numStyles = [...]struct{ dec, thou byte }{
	{'.', 0},    // 1234.5
	{'.', ','},  // 1,234.5
	{',', '.'},  // 1.234,5
	{',', ' '},  // 1 234,5 (and 12,5)
	{'.', ' '},  // 1 234.5
	{'.', '\''}, // 1'234.5
}

// numScan is a number read from text.
type numScan struct {
	mant     int64 // valid when !big
	digits   int32 // significant digits (integer + fraction, leading zeros dropped)
	scale    int32 // digits after the decimal separator
	neg      bool
	currency bool
	parens   bool
	big      bool // more than 18 significant digits
	lead0    bool // integer part has a leading zero followed by digits ("007")
	grouped  bool // a thousands separator was used
}

// trimSpace trims ASCII white space and non-breaking spaces.
func trimSpace(s string) string {
	for len(s) > 0 {
		c := s[0]
		if c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f' {
			s = s[1:]
			continue
		}
		if c == 0xC2 && len(s) > 1 && s[1] == 0xA0 {
			s = s[2:]
			continue
		}
		break
	}
	for len(s) > 0 {
		c := s[len(s)-1]
		if c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f' {
			s = s[:len(s)-1]
			continue
		}
		if c == 0xA0 && len(s) > 1 && s[len(s)-2] == 0xC2 {
			s = s[:len(s)-2]
			continue
		}
		break
	}
	return s
}

// stripCurrency removes one currency sign or ISO code at either end.
func stripCurrency(s string) (string, bool) {
	if s == "" {
		return s, false
	}
	c := s[0]
	if c == '$' {
		return trimSpace(s[1:]), true
	}
	if c >= 0x80 {
		r, n := utf8.DecodeRuneInString(s)
		if isCurrencyRune(r) {
			return trimSpace(s[n:]), true
		}
	}
	c = s[len(s)-1]
	if c == '$' {
		return trimSpace(s[:len(s)-1]), true
	}
	if c >= 0x80 {
		r, n := utf8.DecodeLastRuneInString(s)
		if isCurrencyRune(r) {
			return trimSpace(s[:len(s)-n]), true
		}
	}
	if len(s) > 4 {
		if isISOCode(s[:3]) && (s[3] == ' ' || s[3] >= '0' && s[3] <= '9' || s[3] == '-') {
			return trimSpace(s[3:]), true
		}
		if isISOCode(s[len(s)-3:]) && (s[len(s)-4] == ' ' || s[len(s)-4] >= '0' && s[len(s)-4] <= '9') {
			return trimSpace(s[:len(s)-3]), true
		}
	}
	return s, false
}

func isCurrencyRune(r rune) bool {
	switch r {
	case '€', '£', '¥', '₹', '₽', '₩', '₺', '¢', '₪', '₫', '₱':
		return true
	}
	return false
}

func isISOCode(s string) bool {
	switch s {
	case "USD", "EUR", "GBP", "JPY", "CHF", "CAD", "AUD", "CNY", "INR", "SEK", "NOK", "DKK", "PLN", "BRL", "MXN":
		return true
	}
	return false
}

// scanNumber reads s (already trimmed) as a decimal number written with
// the given separators. thou == 0 means no grouping. It accepts a sign
// (before or after a currency sign), a currency sign and parenthesised
// negatives; it does not accept exponents.
func scanNumber(s string, dec, thou byte) (numScan, bool) {
	var n numScan
	if s == "" {
		return n, false
	}
	if s[0] == '(' && s[len(s)-1] == ')' {
		n.parens, n.neg = true, true
		s = trimSpace(s[1 : len(s)-1])
	}
	if len(s) > 0 && (s[0] == '-' || s[0] == '+') {
		if s[0] == '-' {
			if n.neg {
				return n, false
			}
			n.neg = true
		}
		s = trimSpace(s[1:])
	}
	if len(s) > 0 && (s[0] < '0' || s[0] > '9') && s[0] != dec {
		s, n.currency = stripCurrency(s)
		if len(s) > 0 && (s[0] == '-' || s[0] == '+') {
			if s[0] == '-' {
				if n.neg {
					return n, false
				}
				n.neg = true
			}
			s = s[1:]
		}
	} else if len(s) > 0 && (s[len(s)-1] < '0' || s[len(s)-1] > '9') {
		s, n.currency = stripCurrency(s)
	}
	if s == "" {
		return n, false
	}
	i := 0
	group := 0     // digits in the current group
	groups := 0    // groups seen so far (separators + 1)
	intDigits := 0 // digits in the integer part
	var mant uint64
	for ; i < len(s); i++ {
		c := s[i]
		if c >= '0' && c <= '9' {
			if intDigits == 0 && c == '0' && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9' {
				n.lead0 = true
			}
			intDigits++
			group++
			if mant != 0 || c != '0' {
				n.digits++
				if n.digits <= 18 {
					mant = mant*10 + uint64(c-'0')
				}
			}
			continue
		}
		if thou != 0 && c == thou {
			if group == 0 || group > 3 || (groups > 0 && group != 3) {
				return n, false
			}
			groups++
			group = 0
			n.grouped = true
			continue
		}
		break
	}
	if n.grouped && group != 3 {
		return n, false
	}
	if intDigits == 0 && (i >= len(s) || s[i] != dec) {
		return n, false
	}
	if i < len(s) && s[i] == dec {
		i++
		for ; i < len(s); i++ {
			c := s[i]
			if c < '0' || c > '9' {
				return n, false
			}
			n.scale++
			if mant != 0 || c != '0' {
				n.digits++
				if n.digits <= 18 {
					mant = mant*10 + uint64(c-'0')
				}
			} else if n.digits > 0 {
				n.digits++
				if n.digits <= 18 {
					mant *= 10
				}
			}
		}
		if intDigits == 0 && n.scale == 0 {
			return n, false
		}
	}
	if i != len(s) {
		return n, false
	}
	if n.digits > 18 {
		n.big = true
	}
	n.mant = int64(mant)
	if n.neg {
		n.mant = -n.mant
	}
	return n, true
}

// digitsOf returns the significant digits of s (a number accepted by
// scanNumber), without separators, sign or leading zeros.
func digitsOf(s string) string {
	var b strings.Builder
	started := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= '0' && c <= '9' {
			if c == '0' && !started {
				continue
			}
			started = true
			b.WriteByte(c)
		}
	}
	if b.Len() == 0 {
		return "0"
	}
	return b.String()
}

// isPlainInt reports whether s is an optionally signed run of ASCII digits
// without a leading zero; the fast path of integer inference.
func isPlainInt(s string) bool {
	if s == "" {
		return false
	}
	i := 0
	if s[0] == '-' || s[0] == '+' {
		i = 1
	}
	if i >= len(s) || len(s)-i > 19 {
		return false
	}
	if s[i] == '0' && len(s)-i > 1 {
		return false
	}
	for ; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// parsePlainInt parses what isPlainInt accepted; ok is false on overflow.
func parsePlainInt(s string) (int64, bool) {
	neg := false
	i := 0
	if s[0] == '-' || s[0] == '+' {
		neg = s[0] == '-'
		i = 1
	}
	var u uint64
	for ; i < len(s); i++ {
		d := uint64(s[i] - '0')
		if u > (math.MaxUint64-d)/10 {
			return 0, false
		}
		u = u*10 + d
	}
	if neg {
		if u > 1<<63 {
			return 0, false
		}
		return -int64(u), true
	}
	if u > math.MaxInt64 {
		return 0, false
	}
	return int64(u), true
}

// isFloatText reports whether s is a float literal as strconv.ParseFloat
// reads it in decimal: [+-] digits [. digits] [e [+-] digits], or inf,
// infinity, nan. Hex and underscores are refused.
func isFloatText(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	if i < len(s) && (s[i] < '0' || s[i] > '9') && s[i] != '.' {
		l := strings.ToLower(s[i:])
		return l == "inf" || l == "infinity" || l == "nan"
	}
	digits := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
		digits++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			digits++
		}
	}
	if digits == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		exp := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			exp++
		}
		if exp == 0 {
			return false
		}
	}
	return i == len(s)
}
