package server

import (
	"context"
	"fmt"

	"github.com/openqluster/qluster-go/destinations/pgdest"
	"github.com/openqluster/qluster-go/qluster"
)

// GetData answers one page of a dataset's ingested rows or, with
// is_bad_data, of its quarantine. A limited_to_source user sees only its
// sources' rows.
func (s *Server) GetData(ctx context.Context, req GetDataRequestObject) (GetDataResponseObject, error) {
	ds, err := s.store.GetDataset(ctx, int64(req.DatasetId))
	if err != nil {
		return nil, err
	}
	p := req.Params
	q := pgdest.RowsQuery{Page: deref(p.Page), Limit: deref(p.Limit), Equal: map[string]int64{}, SourceIDs: visibleSources(ctx), OrderBy: []string{"~id"}}
	filters := map[string]any{}
	if p.DataSourceModelId != nil {
		if err := s.canSeeSource(ctx, int64(*p.DataSourceModelId)); err != nil {
			return nil, err
		}
		q.Equal[qluster.ColDataSourceModelID] = int64(*p.DataSourceModelId)
		filters["data_source_model_id"] = *p.DataSourceModelId
	}
	if p.StoredItemId != nil {
		q.Equal[qluster.ColStoredItemID] = int64(*p.StoredItemId)
		filters["stored_item_id"] = *p.StoredItemId
	}
	if p.OrderBy != nil {
		q.OrderBy = *p.OrderBy
	}
	filters["order_by"] = q.OrderBy
	bad := deref(p.IsBadData)
	filters["is_bad_data"] = bad
	if q.Limit == 0 {
		q.Limit = 20
	}
	if q.Limit < 1 || q.Limit > qluster.MaxLimit || q.Page < 0 {
		return nil, (&qluster.ValidationError{}).Add([]string{"query", "limit"}, "value_error", "limit must be 1 to %d and page 1 or more", qluster.MaxLimit)
	}
	if ds.DestinationID == nil {
		return nil, &qluster.ConflictError{Msg: fmt.Sprintf("dataset %d has no destination", ds.ID)}
	}
	dm, err := s.store.GetDestination(ctx, *ds.DestinationID)
	if err != nil {
		return nil, err
	}
	dest, err := pgdest.Open(ctx, dm, &pgdest.Options{MaxConns: 2})
	if err != nil {
		return nil, err
	}
	defer dest.Close()
	t := qluster.TableRef{Schema: ds.SchemaName, Table: ds.TableName}
	title := "Data of " + ds.Name
	if bad {
		t = t.QuarantineTable()
		title = "Quarantined rows of " + ds.Name
	}
	fields, rows, total, err := dest.Rows(ctx, t, q)
	if err != nil {
		return nil, err
	}
	pages := (total + int64(q.Limit) - 1) / int64(q.Limit)
	out := map[string]any{"title": title, "total_page_count": pages, "total_rows": total, "dataset_name": ds.Name,
		"fields": fields, "results": rows, "filters": filters}
	return convert[GetData200JSONResponse](out)
}
