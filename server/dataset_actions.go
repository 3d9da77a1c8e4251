package server

import (
	"context"
	"fmt"
	"sort"

	"github.com/jackc/pgx/v5"

	"github.com/openqluster/qluster-go/destinations/pgdest"
	"github.com/openqluster/qluster-go/qluster"
)

// IgnoreLineSignatureForDataset skips rows by signature from now on, per
// data source ([[source_id, "sig"], [source_id, ["sig", ...]], ...]), and
// loads again the sources' files that hold quarantined rows, so the rows
// with those signatures leave the quarantine.
func (s *Server) IgnoreLineSignatureForDataset(ctx context.Context, req IgnoreLineSignatureForDatasetRequestObject) (IgnoreLineSignatureForDatasetResponseObject, error) {
	e, err := s.engineOr()
	if err != nil {
		return nil, err
	}
	ds, err := s.liveDataset(ctx, int64(req.DatasetId))
	if err != nil {
		return nil, err
	}
	bySource := map[int64][]string{}
	v := &qluster.ValidationError{}
	n := 0
	for i, pair := range req.Body.DataSourceModelToLineSignatures {
		loc := []string{"body", "data_source_model_to_line_signatures", fmt.Sprint(i)}
		id, ok := pairSource(pair)
		if !ok {
			v.Add(loc, "value_error", "each item is [data_source_model_id, signature] or [data_source_model_id, [signatures]]")
			continue
		}
		sigs, ok := pairSignatures(pair[1])
		if !ok {
			v.Add(loc, "value_error", "the signatures are a non-empty string or a list of them (the _signature of the quarantined rows)")
			continue
		}
		bySource[id] = append(bySource[id], sigs...)
		n += len(sigs)
	}
	if len(req.Body.DataSourceModelToLineSignatures) == 0 {
		v.Add([]string{"body", "data_source_model_to_line_signatures"}, "missing", "name at least one [data_source_model_id, signature]")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	for id := range bySource {
		if err := s.canSeeSource(ctx, id); err != nil {
			return nil, err
		}
	}
	if err := e.IgnoreSourceSignatures(ctx, ds.ID, bySource); err != nil {
		return nil, err
	}
	return IgnoreLineSignatureForDataset200JSONResponse{Result: fmt.Sprintf(
		"%d signature(s) of %d data source(s) are ignored from now on; their files with quarantined rows are queued to load again without them", n, len(bySource))}, nil
}

func pairSource(pair []any) (int64, bool) {
	if len(pair) != 2 {
		return 0, false
	}
	f, ok := pair[0].(float64)
	if !ok || f != float64(int64(f)) || f <= 0 {
		return 0, false
	}
	return int64(f), true
}

func pairSignatures(v any) ([]string, bool) {
	switch x := v.(type) {
	case string:
		return []string{x}, x != ""
	case []any:
		out := make([]string, 0, len(x))
		for _, s := range x {
			str, ok := s.(string)
			if !ok || str == "" {
				return nil, false
			}
			out = append(out, str)
		}
		return out, len(out) > 0
	}
	return nil, false
}

// ReprocessBadRowsForDataset queues again the files of quarantined rows
// (by their _id in the quarantine table): each file loads again whole with
// the settings of now, replacing its rows, so a row the settings now read
// leaves the quarantine.
func (s *Server) ReprocessBadRowsForDataset(ctx context.Context, req ReprocessBadRowsForDatasetRequestObject) (ReprocessBadRowsForDatasetResponseObject, error) {
	e, err := s.engineOr()
	if err != nil {
		return nil, err
	}
	ds, err := s.liveDataset(ctx, int64(req.DatasetId))
	if err != nil {
		return nil, err
	}
	if len(req.Body.Ids) == 0 {
		return nil, qluster.Invalid("ids", "missing", "name at least one quarantined row by its _id")
	}
	files, missing, err := s.filesOfBadRows(ctx, ds, req.Body.Ids)
	if err != nil {
		return nil, err
	}
	if len(missing) > 0 {
		return nil, qluster.Invalid("ids", "value_error", "the quarantine of dataset %d has no row with _id %v", ds.ID, missing)
	}
	if err := e.ReprocessFiles(ctx, ds.ID, files); err != nil {
		return nil, err
	}
	return ReprocessBadRowsForDataset200JSONResponse{Result: fmt.Sprintf("%d row(s) of %d file(s) are queued to load again", len(req.Body.Ids), len(files))}, nil
}

// filesOfBadRows maps quarantined rows (by _id) to their files; missing are
// the ids the quarantine has not (a limited_to_source user sees only its
// sources' rows).
func (s *Server) filesOfBadRows(ctx context.Context, ds *qluster.Dataset, ids []int) (files []int64, missing []int, err error) {
	if ds.DestinationID == nil {
		return nil, nil, &qluster.ConflictError{Msg: fmt.Sprintf("dataset %d has no destination", ds.ID)}
	}
	dm, err := s.store.GetDestination(ctx, *ds.DestinationID)
	if err != nil {
		return nil, nil, err
	}
	dest, err := pgdest.Open(ctx, dm, &pgdest.Options{MaxConns: 1})
	if err != nil {
		return nil, nil, err
	}
	defer dest.Close()
	q := qluster.TableRef{Schema: ds.SchemaName, Table: ds.TableName}.QuarantineTable()
	sql := `SELECT ` + pgx.Identifier{pgdest.ColQuarantineID}.Sanitize() + `, ` + pgx.Identifier{qluster.ColStoredItemID}.Sanitize() +
		` FROM ` + pgx.Identifier{q.Schema, q.Table}.Sanitize() + ` WHERE ` + pgx.Identifier{pgdest.ColQuarantineID}.Sanitize() + ` = ANY($1)`
	args := []any{ids}
	if src := visibleSources(ctx); src != nil {
		sql += ` AND ` + pgx.Identifier{qluster.ColDataSourceModelID}.Sanitize() + ` = ANY($2)`
		args = append(args, src)
	}
	rows, err := dest.Pool().Query(ctx, sql, args...)
	if err != nil {
		return nil, nil, err
	}
	found := map[int]bool{}
	seen := map[int64]bool{}
	for rows.Next() {
		var id, item int64
		if err := rows.Scan(&id, &item); err != nil {
			rows.Close()
			return nil, nil, err
		}
		found[int(id)] = true
		if !seen[item] {
			seen[item] = true
			files = append(files, item)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	for _, id := range ids {
		if !found[id] {
			missing = append(missing, id)
		}
	}
	sort.Slice(files, func(i, j int) bool { return files[i] < files[j] })
	return files, missing, nil
}

// PatchFieldsModification renames columns of the dataset's draft migration
// and changes their types; a type the training data does not fit is
// refused with the values that do not.
func (s *Server) PatchFieldsModification(ctx context.Context, req PatchFieldsModificationRequestObject) (PatchFieldsModificationResponseObject, error) {
	e, err := s.engineOr()
	if err != nil {
		return nil, err
	}
	p := qluster.ModifyDraftParams{By: actor(ctx), Settings: settingsStore{s.store}}
	if req.Body.Renames != nil {
		p.Renames = *req.Body.Renames
	}
	if req.Body.FieldNameToTypeSuggestion != nil {
		p.Types = *req.Body.FieldNameToTypeSuggestion
	}
	if len(p.Renames)+len(p.Types) == 0 {
		return nil, qluster.Invalid("renames", "missing", "send renames or field_name_to_type_suggestion")
	}
	if _, err := s.liveDataset(ctx, int64(req.DatasetId)); err != nil {
		return nil, err
	}
	m, err := e.ModifyDraft(ctx, int64(req.DatasetId), p)
	if err != nil {
		return nil, err
	}
	return PatchFieldsModification200JSONResponse{Result: fmt.Sprintf("draft migration %d: %d column(s) renamed, %d retyped; review it at /api/migrations/%d",
		m.ID, len(p.Renames), len(p.Types), m.ID)}, nil
}

// GetOrCreateDraftMigrationAndReviewAlert answers the alert under which the
// dataset's draft migration is reviewed, making the draft (a copy of the
// current migration) and the alert when missing.
func (s *Server) GetOrCreateDraftMigrationAndReviewAlert(ctx context.Context, req GetOrCreateDraftMigrationAndReviewAlertRequestObject) (GetOrCreateDraftMigrationAndReviewAlertResponseObject, error) {
	e, err := s.engineOr()
	if err != nil {
		return nil, err
	}
	if _, err := s.liveDataset(ctx, int64(req.DatasetId)); err != nil {
		return nil, err
	}
	a, err := e.DraftReview(ctx, int64(req.DatasetId))
	if err != nil {
		return nil, err
	}
	return GetOrCreateDraftMigrationAndReviewAlert200JSONResponse{AlertItemId: ptr(int(a.ID))}, nil
}

// PatchStoredItem ignores a file (its rows leave the table and the
// quarantine, its alerts are resolved, the counts are recomputed) or takes
// it back (it loads again).
func (s *Server) PatchStoredItem(ctx context.Context, req PatchStoredItemRequestObject) (PatchStoredItemResponseObject, error) {
	e, err := s.engineOr()
	if err != nil {
		return nil, err
	}
	if _, err := s.visibleStoredItem(ctx, int64(req.Body.Id)); err != nil {
		return nil, err
	}
	it, err := e.IgnoreFile(ctx, int64(req.Body.Id), req.Body.IgnoreFile, actor(ctx))
	if err != nil {
		return nil, err
	}
	return convert[PatchStoredItem200JSONResponse](it)
}
