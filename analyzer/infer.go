package analyzer

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"unicode/utf8"
)

// numStats is what one number style saw in a column.
type numStats struct {
	alive    bool
	isInt    bool
	min, max int64
	overflow bool
	maxScale int
	currency bool
	parens   bool
	grouped  bool
}

// observe updates the style's statistics with a value it read (ok) or
// not; it reports whether the style is still alive.
func (st *numStats) observe(ns *numScan, ok bool) bool {
	if !ok || ns.lead0 {
		st.alive = false
		return false
	}
	if ns.scale > 0 {
		st.isInt = false
		if int(ns.scale) > st.maxScale {
			st.maxScale = int(ns.scale)
		}
	} else if ns.big {
		st.overflow = true
	} else {
		if ns.mant < st.min {
			st.min = ns.mant
		}
		if ns.mant > st.max {
			st.max = ns.mant
		}
	}
	st.currency = st.currency || ns.currency
	st.parens = st.parens || ns.parens
	st.grouped = st.grouped || ns.grouped
	return true
}

// Inferer infers the type of one column from its values, one at a time.
// It keeps a bounded amount of state whatever the number of values.
type Inferer struct {
	s        *settings
	raw      string
	name     string
	index    int
	nulls    nullSet
	nonNull  int64
	nullCnt  int64
	markers  []string
	examples []string
	maxLen   int

	boolOK            bool
	trueSeen, falseSn []string

	numOK     bool
	styles    [len(numStyles)]numStats
	plainMin  int64
	plainMax  int64
	plainOver bool
	plainSeen bool
	lead0     bool
	numCount  int64 // values that read as plain numbers, even after numOK died
	numBad    []string
	numTrack  bool // numCount is still counted after numOK died

	floatOK bool
	sawExp  bool

	dtOK      bool
	dtFirst   bool
	cands     *candidateFormats
	strict    bool
	alive     fmtSet
	used      fmtSet
	masks     map[fmtSet]struct{}
	lastMask  fmtSet
	forced    fmtSet // formats that alone read some value
	forcedOne int    // the only format in forced, or -1
	dtCount   int64
	dtBad     []string
	dtForced  bool // formats given for this column
	dtMixed   bool // strict mode: values parse, but not with one format
	nUser     int  // the first nUser candidates are Options.DatetimeFormats

	// preferComma makes decimal-comma styles win over decimal-point ones
	// when both read every value (another column of the file decided).
	preferComma bool

	jsonOK    bool
	jsonFixed int64

	arrOK      bool
	pgArray    bool
	delimAlive []bool
	delimSeen  []bool

	emailOK bool

	expand   bool
	sub      map[string]*Inferer
	subOrder []string
	rows     int64
}

// NewInferer returns an inferer for the column with the given raw name
// and position, using opts (nil means defaults).
func NewInferer(rawName string, index int, opts *Options) (*Inferer, error) {
	s, err := opts.compile()
	if err != nil {
		return nil, err
	}
	return newInferer(s, rawName, NormalizeName(rawName), index), nil
}

func newInferer(s *settings, raw, name string, index int) *Inferer {
	in := &Inferer{
		s: s, raw: raw, name: name, index: index,
		nulls:     s.nullsFor(raw, name),
		boolOK:    true,
		numOK:     true,
		numTrack:  true,
		forcedOne: -1,
		floatOK:   true,
		dtOK:      true,
		jsonOK:    true,
		arrOK:     true,
		pgArray:   true,
		emailOK:   true,
		strict:    s.o.StrictlyOneDatetimeFormatInAColumn,
	}
	for i := range in.styles {
		in.styles[i] = numStats{alive: true, isInt: true, min: math.MaxInt64, max: math.MinInt64}
	}
	in.plainMin, in.plainMax = math.MaxInt64, math.MinInt64
	var list []*Format
	if f, ok := s.perColFmts[raw]; ok {
		list, in.dtForced = f, true
	} else if f, ok := s.perColFmts[name]; ok {
		list, in.dtForced = f, true
	} else {
		list = append(list, s.userFormats...)
		in.nUser = len(s.userFormats)
		if s.inferDT[raw] || s.inferDT[name] {
			in.dtFirst = true
			list = append(list, epochFormats()...)
		}
		list = append(list, compiledBuiltins()...)
	}
	if s.inferDT[raw] || s.inferDT[name] || in.dtForced {
		in.dtFirst = true
	}
	in.cands = newCandidates(list)
	in.alive = in.cands.all
	if !in.strict {
		in.masks = map[fmtSet]struct{}{}
	}
	in.delimAlive = make([]bool, len(s.arrayDelims))
	in.delimSeen = make([]bool, len(s.arrayDelims))
	for i := range in.delimAlive {
		in.delimAlive[i] = s.arrayDelims[i] != ""
	}
	in.expand = s.expand[raw] || s.expand[name]
	return in
}

func addDistinct(list []string, v string, max int) []string {
	if len(list) >= max {
		return list
	}
	for _, x := range list {
		if x == v {
			return list
		}
	}
	return append(list, strings.Clone(v))
}

// Observe feeds one cell. The string is not retained (examples are
// copied).
func (in *Inferer) Observe(v string) {
	in.rows++
	t := trimSpace(v)
	if in.nulls.has(t) {
		in.nullCnt++
		in.markers = addDistinct(in.markers, t, 10)
		return
	}
	in.nonNull++
	if n := len(v); n > in.maxLen {
		if n = utf8.RuneCountInString(v); n > in.maxLen {
			in.maxLen = n
		}
	}
	if len(in.examples) < in.s.o.MaxExamples && in.nonNull <= 4096 {
		in.examples = addDistinct(in.examples, v, in.s.o.MaxExamples)
	}
	if in.boolOK {
		switch {
		case in.s.trueWords.has(t):
			in.trueSeen = addDistinct(in.trueSeen, t, 10)
		case in.s.falseWords.has(t):
			in.falseSn = addDistinct(in.falseSn, t, 10)
		default:
			in.boolOK = false
		}
	}
	in.observeNumber(t)
	if in.dtOK {
		in.observeDatetime(t)
	}
	if in.jsonOK {
		if t[0] != '{' && t[0] != '[' {
			in.jsonOK = false
		} else if !json.Valid([]byte(t)) {
			if _, ok := fixJSON(t, in.s.o.MaxTriesToFixJSON); ok {
				in.jsonFixed++
			} else {
				in.jsonOK = false
			}
		}
	}
	if in.arrOK {
		in.observeArray(t)
	}
	if in.emailOK && !isEmail(t) {
		in.emailOK = false
	}
	if in.expand {
		in.observeExpand(t)
	}
}

func (in *Inferer) observeNumber(t string) {
	if isPlainInt(t) {
		in.numCount++
		if !in.numOK {
			return
		}
		n, ok := parsePlainInt(t)
		if !ok {
			in.plainOver = true
		} else {
			in.plainSeen = true
			if n < in.plainMin {
				in.plainMin = n
			}
			if n > in.plainMax {
				in.plainMax = n
			}
		}
		return
	}
	if !in.numOK {
		if in.floatOK && !isFloatText(t) {
			in.floatOK = false
		}
		if in.numTrack {
			if _, ok := scanNumber(t, '.', 0); ok {
				in.numCount++
			} else if bad := in.nonNull - in.numCount; bad > 16 && bad*2 > in.nonNull {
				in.numTrack = false // no longer "mostly numbers"
			}
		}
		return
	}
	any := false
	// Separators absent from the value read like no separator: scan each
	// distinct effective style once and apply the result to every style
	// that shares it.
	var present [4]bool // thousands separators present: , . space '
	for i := 0; i < len(t); i++ {
		switch t[i] {
		case ',':
			present[0] = true
		case '.':
			present[1] = true
		case ' ':
			present[2] = true
		case '\'':
			present[3] = true
		}
	}
	var keys [len(numStyles)]uint16
	for k := range in.styles {
		if in.styles[k].alive {
			thou := numStyles[k].thou
			if thou != 0 && !present[thouIndex(thou)] {
				thou = 0
			}
			keys[k] = uint16(numStyles[k].dec)<<8 | uint16(thou)
		}
	}
	var done [len(numStyles)]bool
	for k := range in.styles {
		if !in.styles[k].alive || done[k] {
			continue
		}
		ns, ok := scanNumber(t, byte(keys[k]>>8), byte(keys[k]))
		if ok && ns.lead0 {
			in.lead0 = true
			in.floatOK = false
		}
		for j := k; j < len(numStyles); j++ {
			if done[j] || !in.styles[j].alive || keys[j] != keys[k] {
				continue
			}
			done[j] = true
			if in.styles[j].observe(&ns, ok) {
				any = true
				if j == 0 && (ns.currency || ns.parens) {
					in.floatOK = false // not a float literal
				}
			}
		}
	}
	if any && !in.styles[0].alive {
		in.floatOK = false // only separators read it: not a float literal
	}
	if any {
		in.numCount++
	} else {
		if isFloatText(t) && t != "." {
			in.sawExp = true
			in.numCount++
		} else {
			in.floatOK = false
			in.numBad = addDistinct(in.numBad, t, 3)
		}
		in.numOK = false
	}
}

func (in *Inferer) dtAllowed(t string) bool {
	if len(t) > 64 {
		return false
	}
	if in.s.dtDefault {
		// The built-in formats only read characters of the default set:
		// parsing will decide.
		return true
	}
	digit := false
	for i := 0; i < len(t); i++ {
		c := t[i]
		if !in.s.dtAllowed[c] {
			return false
		}
		if c >= '0' && c <= '9' {
			digit = true
		}
	}
	return digit
}

func (in *Inferer) observeDatetime(t string) {
	if !in.dtAllowed(t) {
		in.dtOK = false
		in.dtBad = addDistinct(in.dtBad, t, 3)
		return
	}
	c := in.cands
	if in.strict {
		var m fmtSet
		in.alive.each(func(i int) {
			if _, ok := c.fmts[i].Parse(t); ok {
				m.add(i)
			}
		})
		if m.empty() && in.dtCount > 0 {
			// Does the value parse with another format on its own?
			c.all.each(func(i int) {
				if !in.dtMixed {
					if _, ok := c.fmts[i].Parse(t); ok {
						in.dtMixed = true
					}
				}
			})
		}
		in.alive = in.alive.and(m)
		if in.alive.empty() {
			in.dtOK = false
			in.dtBad = addDistinct(in.dtBad, t, 3)
			return
		}
		in.dtCount++
		return
	}
	// Mixed formats allowed. A value read by a format that some value
	// needed alone is covered already: its other formats do not matter.
	if in.forcedOne >= 0 {
		if _, ok := c.fmts[in.forcedOne].Parse(t); ok {
			in.dtCount++
			return
		}
	}
	if !in.forced.empty() {
		covered := false
		in.forced.each(func(i int) {
			if !covered {
				if _, ok := c.fmts[i].Parse(t); ok {
					covered = true
				}
			}
		})
		if covered {
			in.dtCount++
			return
		}
	}
	// Try the formats already used (and their day/month siblings) before
	// all of them.
	var m fmtSet
	if !in.used.empty() {
		in.used.each(func(i int) {
			if _, ok := c.fmts[i].Parse(t); ok {
				m.add(i)
				if j := c.sib[i]; j >= 0 && !m.has(j) && !in.used.has(j) {
					if _, ok := c.fmts[j].Parse(t); ok {
						m.add(j)
					}
				}
			}
		})
	}
	if m.empty() {
		in.alive.each(func(i int) {
			if _, ok := c.fmts[i].Parse(t); ok {
				m.add(i)
			}
		})
	}
	if m.empty() {
		in.dtOK = false
		in.dtBad = addDistinct(in.dtBad, t, 3)
		return
	}
	in.dtCount++
	if m == in.lastMask {
		return
	}
	in.lastMask = m
	in.used = in.used.or(m)
	if m.count() == 1 {
		in.forced = in.forced.or(m)
		if in.forced.count() == 1 {
			in.forcedOne = in.forced.first()
		} else {
			in.forcedOne = -1
		}
	}
	if len(in.masks) < 4096 {
		in.masks[m] = struct{}{}
	}
}

func (in *Inferer) observeArray(t string) {
	if in.pgArray {
		if t[0] != '{' || t[len(t)-1] != '}' {
			in.pgArray = false
		} else if _, ok := splitArray(t, ""); !ok {
			in.pgArray = false
		}
	}
	alive := in.pgArray
	for i, d := range in.s.arrayDelims {
		if !in.delimAlive[i] {
			continue
		}
		rest := t
		for {
			j := strings.Index(rest, d)
			item := rest
			if j >= 0 {
				item = rest[:j]
				in.delimSeen[i] = true
			}
			if len(item) > 256 {
				in.delimAlive[i] = false
				break
			}
			if j < 0 {
				break
			}
			rest = rest[j+len(d):]
		}
		alive = alive || in.delimAlive[i]
	}
	in.arrOK = alive
}

func (in *Inferer) observeExpand(t string) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal([]byte(t), &obj); err != nil {
		fixed, ok := fixJSON(t, in.s.o.MaxTriesToFixJSON)
		if !ok || json.Unmarshal([]byte(fixed), &obj) != nil {
			return
		}
	}
	if in.sub == nil {
		in.sub = map[string]*Inferer{}
	}
	// Keys in the order of the text, for a stable column order.
	keys := orderedKeys(t, obj)
	for _, k := range keys {
		sub := in.sub[k]
		if sub == nil {
			if len(in.sub) >= 256 {
				continue
			}
			sub = newInferer(in.s, k, "", -1)
			sub.expand = false
			sub.rows = in.rows - 1
			sub.nullCnt = in.rows - 1
			in.sub[k] = sub
			in.subOrder = append(in.subOrder, k)
		}
		sub.Observe(jsonCellText(obj[k]))
	}
	for _, k := range in.subOrder {
		if sub := in.sub[k]; sub.rows < in.rows {
			sub.rows++
			sub.nullCnt++
		}
	}
}

// orderedKeys returns the keys of obj in the order they appear in text.
func orderedKeys(text string, obj map[string]json.RawMessage) []string {
	dec := json.NewDecoder(strings.NewReader(text))
	keys := make([]string, 0, len(obj))
	if _, err := dec.Token(); err != nil {
		return keys
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		k, _ := tok.(string)
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			break
		}
		if _, ok := obj[k]; ok {
			keys = append(keys, k)
		}
	}
	return keys
}

// JSONField returns the cell text of key in the JSON object value (strings
// unquoted, null as ""), as analysis saw it for a column expanded from a
// JSON field (Column.ExpandedFrom, Column.JSONKey). ok is false when value
// is not an object or lacks the key.
func JSONField(value, key string) (string, bool) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal([]byte(trimSpace(value)), &obj); err != nil {
		return "", false
	}
	raw, ok := obj[key]
	if !ok {
		return "", false
	}
	return jsonCellText(raw), true
}

// jsonCellText turns a JSON value into cell text: strings unquoted, null
// empty, everything else as written.
func jsonCellText(raw json.RawMessage) string {
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	if raw[0] == '"' {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return s
		}
	}
	return string(raw)
}

// Column returns the inferred column. It can be called at any time; the
// inferer may keep observing afterwards.
func (in *Inferer) Column() *Column {
	cols := in.columns()
	return cols[0]
}

// columns returns the column and, for a field to expand, its expansion.
func (in *Inferer) columns() []*Column {
	c := &Column{
		Index: in.index, RawName: in.raw, Name: in.name,
		NonNull: in.nonNull, Nulls: in.nullCnt, MaxLength: in.maxLen,
		Nullable:    in.nullCnt > 0 || in.nonNull == 0,
		NullMarkers: in.markers, Examples: in.examples,
	}
	in.decide(c)
	_ = c.compileWith(in.s)
	out := []*Column{c}
	if in.expand && len(in.subOrder) > 0 {
		for _, k := range in.subOrder {
			sub := in.sub[k]
			sc := sub.columns()[0]
			sc.ExpandedFrom, sc.JSONKey = in.name, k
			sc.RawName = in.raw + "." + k
			sc.Name = truncateIdent(NormalizeName(in.name+"_"+k), MaxIdentifierLength)
			out = append(out, sc)
		}
	}
	return out
}

func (in *Inferer) decide(c *Column) {
	if in.nonNull == 0 {
		c.Type = TypeText
		c.FailedToInfer = true
		c.Questionable = "no value to infer a type from: every value is null"
		return
	}
	if in.boolOK {
		c.Type = TypeBoolean
		c.TrueWords, c.FalseWords = in.trueSeen, in.falseSn
		return
	}
	if (in.dtFirst || in.userFormatFits()) && in.dtOK && in.decideDatetime(c) {
		return
	}
	if in.numOK && in.decideNumber(c) {
		return
	}
	if in.floatOK && in.sawExp && !in.lead0 {
		c.Type = TypeDouble
		return
	}
	if in.dtOK && in.decideDatetime(c) {
		return
	}
	if in.jsonOK {
		c.Type = TypeJSONB
		if in.jsonFixed > 0 {
			c.Questionable = fmt.Sprintf("%d values are not valid JSON but could be repaired", in.jsonFixed)
		}
		return
	}
	if in.arrOK {
		if in.pgArray {
			c.Type = TypeTextArray
			return
		}
		for i, d := range in.s.arrayDelims {
			if in.delimAlive[i] && in.delimSeen[i] {
				c.Type, c.ArrayDelimiter = TypeTextArray, d
				return
			}
		}
	}
	c.Type = TypeText
	if !in.s.o.UseTextInsteadOfString {
		c.Length = max(in.maxLen, 1)
	}
	c.IsEmail = in.emailOK
	switch {
	case in.lead0 && in.numCount == in.nonNull:
		c.Questionable = "numbers with leading zeros are kept as text"
	case in.numTrack && in.numCount*10 >= in.nonNull*9:
		c.Questionable = fmt.Sprintf("%d of %d values are numbers, but not %s", in.numCount, in.nonNull, quoteList(in.numBad))
	case in.dtCount*10 >= in.nonNull*9 && in.dtCount > 0:
		c.Questionable = fmt.Sprintf("%d of %d values are datetimes, but not %s", in.dtCount, in.nonNull, quoteList(in.dtBad))
	case in.dtMixed:
		c.Questionable = fmt.Sprintf("values are datetimes in more than one format (e.g. %s) but strictly_one_datetime_format_in_a_column is set", quoteList(in.dtBad))
	case in.dtForced:
		c.Questionable = fmt.Sprintf("the datetime formats given for this column do not parse %s", quoteList(in.dtBad))
	}
}

func quoteList(xs []string) string {
	q := make([]string, len(xs))
	for i, x := range xs {
		q[i] = fmt.Sprintf("%q", x)
	}
	return strings.Join(q, ", ")
}

func thouIndex(c byte) int {
	switch c {
	case ',':
		return 0
	case '.':
		return 1
	case ' ':
		return 2
	}
	return 3
}

// commaOnly reports a number column that only reads with a decimal
// comma: evidence of the file's locale.
func (in *Inferer) commaOnly() bool {
	if !in.numOK || in.lead0 || in.nonNull == 0 {
		return false
	}
	comma := false
	for i, st := range in.styles {
		if !st.alive {
			continue
		}
		if numStyles[i].dec != ',' {
			return false
		}
		comma = true
	}
	return comma
}

// isUser reports whether candidate i comes from the options (a format the
// user asked for, global or for this column).
func (in *Inferer) isUser(i int) bool { return i < in.nUser || in.dtForced }

// userFormatFits reports whether a format of Options.DatetimeFormats reads
// the column: the user's formats win over numbers ("%Y%m%d").
func (in *Inferer) userFormatFits() bool {
	if in.nUser == 0 || !in.dtOK {
		return false
	}
	set := in.alive
	if !in.strict {
		set = in.used
	}
	i := set.first()
	return i >= 0 && i < in.nUser
}

func (in *Inferer) decideNumber(c *Column) bool {
	if in.lead0 {
		return false
	}
	k := -1
	for i := range in.styles {
		if in.styles[i].alive && (!in.preferComma || numStyles[i].dec == ',') {
			k = i
			break
		}
	}
	if k < 0 {
		for i := range in.styles {
			if in.styles[i].alive {
				k = i
				break
			}
		}
	}
	if k < 0 {
		return false
	}
	st := in.styles[k]
	if numStyles[k].dec == ',' {
		c.Number.Decimal = ","
	}
	if st.grouped && numStyles[k].thou != 0 {
		c.Number.Thousands = string(numStyles[k].thou)
	} else if numStyles[k].dec == ',' && numStyles[k].thou == ' ' {
		c.Number.Thousands = ""
	}
	c.Number.Currency, c.Number.Parens = st.currency, st.parens
	min, max, over := st.min, st.max, st.overflow || in.plainOver
	if in.plainSeen {
		if in.plainMin < min {
			min = in.plainMin
		}
		if in.plainMax > max {
			max = in.plainMax
		}
	}
	if in.s.o.DollarToCent && st.currency && st.maxScale <= 2 && !over {
		c.Type, c.DollarToCent = TypeBigInt, true
		return true
	}
	switch {
	case !st.isInt || over:
		c.Type = TypeNumeric
	case min >= math.MinInt16 && max <= math.MaxInt16:
		c.Type = TypeSmallInt
	case min >= math.MinInt32 && max <= math.MaxInt32:
		c.Type = TypeInteger
	default:
		c.Type = TypeBigInt
	}
	return true
}

func (in *Inferer) decideDatetime(c *Column) bool {
	cands := in.cands
	var chosen []int
	var ambiguous []string
	if in.strict {
		i := in.alive.first()
		if i < 0 {
			return false
		}
		chosen = []int{i}
		if j := cands.sib[i]; j >= 0 && in.alive.has(j) && !in.isUser(i) {
			ambiguous = []string{cands.fmts[i].src, cands.fmts[j].src}
		}
	} else {
		var pick fmtSet
		// Formats that alone parse some value are needed.
		for m := range in.masks {
			if m.count() == 1 {
				pick.add(m.first())
			}
		}
		// Then cover the rest, most useful format first.
		for {
			var open []fmtSet
			for m := range in.masks {
				if m.and(pick).empty() {
					open = append(open, m)
				}
			}
			if len(open) == 0 {
				break
			}
			best, bestN := -1, -1
			for _, m := range open {
				m.each(func(i int) {
					n := 0
					for _, o := range open {
						if o.has(i) {
							n++
						}
					}
					if n > bestN || n == bestN && i < best {
						best, bestN = i, n
					}
				})
			}
			pick.add(best)
			if j := cands.sib[best]; j >= 0 {
				undecided := false
				for _, m := range open {
					if m.has(best) && m.has(j) {
						undecided = true
					}
				}
				if undecided && ambiguous == nil && !in.isUser(best) {
					ambiguous = []string{cands.fmts[best].src, cands.fmts[j].src}
				}
			}
		}
		pick.each(func(i int) { chosen = append(chosen, i) })
		if len(chosen) == 0 {
			return false
		}
	}
	hasDate, hasTime, timeOnly, zone := false, false, false, false
	for _, i := range chosen {
		f := cands.fmts[i]
		c.DatetimeFormats = append(c.DatetimeFormats, f.src)
		switch {
		case f.hasDate && f.hasTime:
			hasDate, hasTime = true, true
		case f.hasDate:
			hasDate = true
		default:
			timeOnly = true
		}
		zone = zone || f.hasZone
	}
	switch {
	case timeOnly && hasDate:
		c.DatetimeFormats = nil
		return false
	case timeOnly:
		c.Type = TypeTime
	case zone:
		c.Type = TypeTimestamptz
	case hasTime:
		c.Type = TypeTimestamp
	default:
		c.Type = TypeDate
	}
	if ambiguous != nil {
		c.AmbiguousFormats = ambiguous
		c.Questionable = fmt.Sprintf("day-first or month-first is undecided: %s or %s", ambiguous[0], ambiguous[1])
	}
	return true
}
