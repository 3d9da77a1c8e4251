package qluster

// DefaultLimit is the page size of a list when the request names none.
const DefaultLimit = 20

// MaxLimit caps the page size of a list.
const MaxLimit = 1000

// ListParams selects one page of a list ordered by id.
//
// With Start, the page holds the Limit lowest ids at or above Start; with End,
// the Limit highest ids at or below End; with neither, the newest ids (or the
// oldest when Reverse is false). Reverse orders the page from the newest to
// the oldest. Start and End together are invalid.
type ListParams struct {
	Start   *int64
	End     *int64
	Limit   int
	Reverse bool
}

// Validate checks the parameters and fills the default limit.
func (p *ListParams) Validate() error {
	v := &ValidationError{}
	if p.Start != nil && p.End != nil {
		v.Add([]string{"query", "start"}, "value_error", "pass start or end, not both")
	}
	if p.Limit == 0 {
		p.Limit = DefaultLimit
	}
	if p.Limit < 1 || p.Limit > MaxLimit {
		v.Add([]string{"query", "limit"}, "value_error", "limit must be between 1 and %d, got %d", MaxLimit, p.Limit)
	}
	return v.Err()
}

// Cursor names the ids of an adjacent page: pass Start as the next request's
// start (ascending lists) or End as its end (descending lists) to fetch it.
type Cursor struct {
	Start int64 `json:"start"`
	End   int64 `json:"end"`
}

// Page is one page of a list and the cursors around it.
type Page[T any] struct {
	Items []T
	// Next is the page after this one in the list's order, nil at the end.
	Next *Cursor
	// Previous is the page before this one, nil at the start.
	Previous *Cursor
}
