package analyzer

import (
	"math/bits"
	"strings"
	"sync"
)

// builtinDateFormats are the date parts tried, month-first before
// day-first so that an undecided column reads month-first.
var builtinDateFormats = []string{
	"%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d",
	"%m/%d/%Y", "%d/%m/%Y", "%m-%d-%Y", "%d-%m-%Y", "%m.%d.%Y", "%d.%m.%Y",
	"%m/%d/%y", "%d/%m/%y", "%m-%d-%y", "%d-%m-%y", "%d.%m.%y",
	"%d-%b-%Y", "%d-%b-%y", "%d %b %Y", "%d %B %Y", "%b %d, %Y", "%B %d, %Y", "%b %d %Y",
	"%d/%b/%Y", "%Y-%b-%d", "%a, %d %b %Y", "%A, %B %d, %Y",
}

var builtinTimeFormats = []string{
	"%H:%M:%S", "%H:%M", "%H:%M:%S.%f", "%I:%M:%S %p", "%I:%M %p", "%I:%M%p",
}

// builtinFormats returns every built-in format: ISO-8601 first, then
// date-only, date and time, and time-only formats.
var builtinFormats = sync.OnceValue(func() []string {
	out := []string{
		"%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S.%f%z", "%Y-%m-%dT%H:%M%z",
		"%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%S.%f", "%Y-%m-%dT%H:%M",
		"%Y-%m-%d %H:%M:%S%z", "%Y-%m-%d %H:%M:%S.%f%z", "%Y-%m-%d %H:%M:%S %z",
		"%Y-%m-%d %H:%M:%S.%f %z", "%Y-%m-%d %H:%M:%S %Z",
		"%a, %d %b %Y %H:%M:%S %z", "%a %b %d %H:%M:%S %Y",
	}
	out = append(out, builtinDateFormats...)
	for _, d := range builtinDateFormats {
		if strings.HasPrefix(d, "%a") || strings.HasPrefix(d, "%A") {
			continue
		}
		for _, t := range builtinTimeFormats {
			out = append(out, d+" "+t)
		}
	}
	out = append(out, builtinTimeFormats...)
	return out
})

// maxFormats bounds the candidate formats of one column.
const maxFormats = 256

// fmtSet is a set of candidate format indexes.
type fmtSet [maxFormats / 64]uint64

func (s *fmtSet) add(i int)     { s[i>>6] |= 1 << (i & 63) }
func (s fmtSet) has(i int) bool { return s[i>>6]&(1<<(i&63)) != 0 }
func (s fmtSet) empty() bool    { return s == fmtSet{} }
func (s fmtSet) and(o fmtSet) (r fmtSet) {
	for i := range s {
		r[i] = s[i] & o[i]
	}
	return r
}
func (s fmtSet) or(o fmtSet) (r fmtSet) {
	for i := range s {
		r[i] = s[i] | o[i]
	}
	return r
}
func (s fmtSet) count() int {
	n := 0
	for _, w := range s {
		n += bits.OnesCount64(w)
	}
	return n
}

// each calls f for each index in increasing order.
func (s fmtSet) each(f func(i int)) {
	for wi, w := range s {
		for w != 0 {
			b := bits.TrailingZeros64(w)
			f(wi*64 + b)
			w &^= 1 << b
		}
	}
}

// first returns the lowest index, or -1.
func (s fmtSet) first() int {
	for wi, w := range s {
		if w != 0 {
			return wi*64 + bits.TrailingZeros64(w)
		}
	}
	return -1
}

// candidateFormats is the compiled list of formats tried for a column,
// with day-first/month-first siblings.
type candidateFormats struct {
	fmts []*Format
	sib  []int // index of the sibling with %d and %m swapped, or -1
	all  fmtSet
}

func newCandidates(list []*Format) *candidateFormats {
	c := &candidateFormats{}
	seen := map[string]int{}
	for _, f := range list {
		if _, dup := seen[f.src]; dup || len(c.fmts) >= maxFormats {
			continue
		}
		seen[f.src] = len(c.fmts)
		c.fmts = append(c.fmts, f)
	}
	c.sib = make([]int, len(c.fmts))
	for i, f := range c.fmts {
		c.sib[i] = -1
		sw := swapDayMonth(f.src)
		if sw == f.src {
			continue
		}
		if j, ok := seen[sw]; ok {
			c.sib[i] = j
		}
	}
	for i := range c.fmts {
		c.all.add(i)
	}
	return c
}

func swapDayMonth(s string) string {
	s = strings.ReplaceAll(s, "%d", "\x00")
	s = strings.ReplaceAll(s, "%m", "%d")
	return strings.ReplaceAll(s, "\x00", "%m")
}

var compiledBuiltins = sync.OnceValue(func() []*Format {
	var out []*Format
	for _, s := range builtinFormats() {
		out = append(out, MustCompileFormat(s))
	}
	return out
})

var epochFormats = sync.OnceValue(func() []*Format {
	return []*Format{MustCompileFormat("%s"), MustCompileFormat("%Y%m%d"), MustCompileFormat("%Y%m%d%H%M%S")}
})
