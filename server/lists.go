package server

import (
	"context"

	"github.com/google/uuid"

	"github.com/openqluster/qluster-go/qluster"
)

// listParams turns the paging parameters every list takes into ListParams;
// reverse defaults to true.
func listParams(start, end, limit *int, reverse *bool) qluster.ListParams {
	p := qluster.ListParams{Reverse: true}
	if start != nil {
		v := int64(*start)
		p.Start = &v
	}
	if end != nil {
		v := int64(*end)
		p.End = &v
	}
	if limit != nil {
		p.Limit = *limit
		if p.Limit == 0 {
			p.Limit = -1 // an explicit 0 is invalid, not the default
		}
	}
	if reverse != nil {
		p.Reverse = *reverse
	}
	return p
}

// envelope is the shape of every list answer.
type envelope[T any] struct {
	Next     *qluster.Cursor `json:"next"`
	Previous *qluster.Cursor `json:"previous"`
	Results  []T             `json:"results"`
	Filters  map[string]any  `json:"filters"`
	Title    string          `json:"title"`
}

// toList converts a page of domain objects into the generated list type L,
// echoing the filters applied.
func toList[L any, T any](page qluster.Page[T], filters map[string]any, title string, each func(*T)) (L, error) {
	env := envelope[T]{Next: page.Next, Previous: page.Previous, Results: page.Items, Filters: filters, Title: title}
	if env.Results == nil {
		env.Results = []T{}
	}
	if env.Filters == nil {
		env.Filters = map[string]any{}
	}
	if each != nil {
		for i := range env.Results {
			each(&env.Results[i])
		}
	}
	return convert[L](env)
}

// actor is the id of the acting user, for history rows.
func actor(ctx context.Context) *uuid.UUID {
	if p := principal(ctx); p != nil {
		id := p.User.ID
		return &id
	}
	return nil
}

func ptr[T any](v T) *T { return &v }

// idFilter records an id query parameter, when given, in the filters a list
// answers under name, and returns it as the store's filter (nil: none).
func idFilter(filters map[string]any, name string, id *int) *int64 {
	if id == nil {
		return nil
	}
	filters[name] = *id
	return ptr(int64(*id))
}
