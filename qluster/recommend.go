package qluster

import (
	"sort"
	"unicode/utf8"

	"github.com/openqluster/qluster-go/analyzer"
)

// maxSampleRows is how many rows of a file are read to recommend where its
// unexpected fields belong.
const maxSampleRows = 50

// FieldRecommendation is an existing column an unexpected field may be.
type FieldRecommendation struct {
	// Field is the existing column.
	Field string `json:"field"`
	// NameSimilarity is 1 for equal names, 0 for nothing in common.
	NameSimilarity float64 `json:"name_similarity"`
	// ValuesFit is the share of the field's sampled values that cast to the column's type.
	ValuesFit float64 `json:"values_fit"`
	// Score ranks the recommendations: name similarity plus half the values' fit.
	Score float64 `json:"score"`
}

// recommendFields ranks, for each unexpected field, the columns of the plan
// it may be: by name similarity and by whether its sampled values cast to the
// column's type. The best three come first.
func recommendFields(plan *MigrationPlan, unexpected []string, samples map[string][]string) map[string]any {
	out := map[string]any{}
	for _, f := range unexpected {
		var recs []FieldRecommendation
		for _, c := range plan.Columns {
			r := FieldRecommendation{Field: c.Name, NameSimilarity: similarity(f, c.Name)}
			if vals := samples[f]; len(vals) > 0 && c.Cast != nil {
				fit := 0
				var cell analyzer.Cell
				for _, v := range vals {
					if analyzer.CastInto(&cell, v, c.Cast) == nil {
						fit++
					}
				}
				r.ValuesFit = float64(fit) / float64(len(vals))
			}
			r.Score = r.NameSimilarity + r.ValuesFit/2
			recs = append(recs, r)
		}
		sort.SliceStable(recs, func(i, j int) bool { return recs[i].Score > recs[j].Score })
		if len(recs) > 3 {
			recs = recs[:3]
		}
		out[f] = recs
	}
	return out
}

// similarity is 1 - the Levenshtein distance of a and b over the longer length.
func similarity(a, b string) float64 {
	la, lb := utf8.RuneCountInString(a), utf8.RuneCountInString(b)
	if la == 0 && lb == 0 {
		return 1
	}
	return 1 - float64(editDistance(a, b))/float64(max(la, lb))
}
