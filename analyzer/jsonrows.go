package analyzer

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// jsonRows reads a JSON array of objects (or of arrays), or a stream of
// objects (NDJSON), as rows. For objects the columns are the keys in order
// of first appearance: Keys grows as new keys appear, and each row is
// aligned with Keys (missing keys are empty). Nested values are given as
// JSON text. The row number stands in for the line.
type jsonRows struct {
	dec     *json.Decoder
	array   bool
	started bool
	keys    []string
	idx     map[string]int
	row     []string
	n       int
	mode    int // 0 unknown, 1 objects, 2 arrays
	done    bool
}

func newJSONRows(r io.Reader, array bool) *jsonRows {
	d := json.NewDecoder(r)
	d.UseNumber()
	return &jsonRows{dec: d, array: array, idx: map[string]int{}}
}

func (j *jsonRows) Next() ([]string, int, error) {
	if !j.started {
		j.started = true
		if j.array {
			t, err := j.dec.Token()
			if err != nil {
				return nil, 0, &ParseError{Line: 1, Err: err}
			}
			if d, ok := t.(json.Delim); !ok || d != '[' {
				return nil, 0, &ParseError{Line: 1, Err: fmt.Errorf("expected a JSON array")}
			}
		}
	}
	if j.done {
		return nil, j.n + 1, io.EOF
	}
	if !j.dec.More() {
		j.done = true
		if j.array {
			if _, err := j.dec.Token(); err != nil {
				return nil, j.n + 1, &ParseError{Line: j.n + 1, Err: err}
			}
		}
		return nil, j.n + 1, io.EOF
	}
	j.n++
	t, err := j.dec.Token()
	if err != nil {
		return nil, j.n, &ParseError{Line: j.n, Err: err}
	}
	d, ok := t.(json.Delim)
	if !ok || (d != '{' && d != '[') {
		return nil, j.n, &ParseError{Line: j.n, Err: fmt.Errorf("record %d is not an object", j.n)}
	}
	if j.mode == 0 {
		j.mode = 1
		if d == '[' {
			j.mode = 2
		}
	}
	for i := range j.row {
		j.row[i] = ""
	}
	if d == '[' {
		j.row = j.row[:0]
		for j.dec.More() {
			var raw json.RawMessage
			if err := j.dec.Decode(&raw); err != nil {
				return nil, j.n, &ParseError{Line: j.n, Err: err}
			}
			j.row = append(j.row, jsonCellText(raw))
		}
		if _, err := j.dec.Token(); err != nil {
			return nil, j.n, &ParseError{Line: j.n, Err: err}
		}
		return j.row, j.n, nil
	}
	for j.dec.More() {
		kt, err := j.dec.Token()
		if err != nil {
			return nil, j.n, &ParseError{Line: j.n, Err: err}
		}
		k, _ := kt.(string)
		var raw json.RawMessage
		if err := j.dec.Decode(&raw); err != nil {
			return nil, j.n, &ParseError{Line: j.n, Err: err}
		}
		i, ok := j.idx[k]
		if !ok {
			i = len(j.keys)
			j.idx[k] = i
			j.keys = append(j.keys, strings.Clone(k))
			j.row = append(j.row, "")
		}
		j.row[i] = jsonCellText(raw)
	}
	if _, err := j.dec.Token(); err != nil {
		return nil, j.n, &ParseError{Line: j.n, Err: err}
	}
	return j.row, j.n, nil
}

// Keys returns the object keys seen so far (nil for arrays of arrays).
func (j *jsonRows) Keys() []string {
	if j.mode == 1 {
		return j.keys
	}
	return nil
}
