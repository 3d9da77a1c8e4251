package analyzer

import (
	"encoding/json"
	"strings"
)

// fixJSON tries up to tries repairs on a value that is almost JSON: Python
// literals (True, False, None), single-quoted strings, trailing commas and
// unquoted object keys. It returns the repaired text when it is valid.
func fixJSON(s string, tries int) (string, bool) {
	if tries <= 0 {
		return "", false
	}
	s = strings.TrimSpace(s)
	if s == "" || (s[0] != '{' && s[0] != '[') {
		return "", false
	}
	steps := []func(string) string{quoteFix, pyLiteralFix, trailingCommaFix, bareKeyFix}
	for i := 0; i < tries && i < len(steps); i++ {
		s = steps[i](s)
		if json.Valid([]byte(s)) {
			return s, true
		}
	}
	return "", false
}

// quoteFix turns single-quoted strings into double-quoted ones.
func quoteFix(s string) string {
	var b strings.Builder
	inD, inS := false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s):
			if inS && s[i+1] == '\'' {
				b.WriteByte('\'')
			} else {
				b.WriteByte(c)
				b.WriteByte(s[i+1])
			}
			i++
		case c == '"' && !inS:
			inD = !inD
			b.WriteByte(c)
		case c == '"' && inS:
			b.WriteString(`\"`)
		case c == '\'' && !inD:
			inS = !inS
			b.WriteByte('"')
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// outsideStrings applies f to the parts of s outside double-quoted strings.
func outsideStrings(s string, f func(string) string) string {
	var b strings.Builder
	start := 0
	in := false
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && in {
			i++
			continue
		}
		if s[i] == '"' {
			if !in {
				b.WriteString(f(s[start:i]))
				start = i
			} else {
				b.WriteString(s[start : i+1])
				start = i + 1
			}
			in = !in
		}
	}
	if in {
		b.WriteString(s[start:])
	} else {
		b.WriteString(f(s[start:]))
	}
	return b.String()
}

var pyLiterals = strings.NewReplacer("True", "true", "False", "false", "None", "null", "NaN", "null")

func pyLiteralFix(s string) string {
	return outsideStrings(s, pyLiterals.Replace)
}

func trailingCommaFix(s string) string {
	return outsideStrings(s, func(p string) string {
		var b strings.Builder
		for i := 0; i < len(p); i++ {
			if p[i] == ',' {
				j := i + 1
				for j < len(p) && (p[j] == ' ' || p[j] == '\n' || p[j] == '\t' || p[j] == '\r') {
					j++
				}
				if j < len(p) && (p[j] == '}' || p[j] == ']') {
					continue
				}
			}
			b.WriteByte(p[i])
		}
		return b.String()
	})
}

func bareKeyFix(s string) string {
	return outsideStrings(s, func(p string) string {
		var b strings.Builder
		for i := 0; i < len(p); i++ {
			c := p[i]
			if isIdentStart(c) && (i == 0 || !isIdentChar(p[i-1])) {
				j := i
				for j < len(p) && isIdentChar(p[j]) {
					j++
				}
				k := j
				for k < len(p) && p[k] == ' ' {
					k++
				}
				w := p[i:j]
				if k < len(p) && p[k] == ':' && w != "true" && w != "false" && w != "null" {
					b.WriteString(`"` + w + `"`)
					i = j - 1
					continue
				}
			}
			b.WriteByte(c)
		}
		return b.String()
	})
}

func isIdentStart(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func isIdentChar(c byte) bool { return isIdentStart(c) || c >= '0' && c <= '9' }
