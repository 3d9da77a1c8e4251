package server

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/openqluster/qluster-go/qluster"
	"github.com/openqluster/qluster-go/storage/postgres"
)

// GetQueueMsgs answers a page of queue messages, acknowledged or not,
// filtered by acknowledged, q_name and data_source_model_id.
func (s *Server) GetQueueMsgs(ctx context.Context, req GetQueueMsgsRequestObject) (GetQueueMsgsResponseObject, error) {
	p := req.Params
	lp := postgres.ListQueueMessagesParams{ListParams: listParams(p.Start, p.End, p.Limit, p.Reverse)}
	filters := map[string]any{}
	if p.Acknowledged != nil {
		lp.Acknowledged = p.Acknowledged
		filters["acknowledged"] = *p.Acknowledged
	}
	if p.QName != nil {
		lp.QName = p.QName
		filters["q_name"] = *p.QName
	}
	lp.DataSourceModelID = idFilter(filters, "data_source_model_id", p.DataSourceModelId)
	page, err := s.store.ListQueueMessages(ctx, lp)
	if err != nil {
		return nil, err
	}
	return toList[GetQueueMsgs200JSONResponse](page, filters, "Queue Messages", nil)
}

// GetQueueMsg answers one queue message.
func (s *Server) GetQueueMsg(ctx context.Context, req GetQueueMsgRequestObject) (GetQueueMsgResponseObject, error) {
	m, err := s.store.GetQueueMessage(ctx, int64(req.MsgId))
	if err != nil {
		return nil, err
	}
	return convert[GetQueueMsg200JSONResponse](m)
}

// RescheduleQueueMsgs makes the pending messages named due and visible now;
// acknowledged ones are left alone. Ids that name no message are a 422 that
// lists them, and then nothing changes.
func (s *Server) RescheduleQueueMsgs(ctx context.Context, req RescheduleQueueMsgsRequestObject) (RescheduleQueueMsgsResponseObject, error) {
	if req.Body == nil || len(req.Body.Ids) == 0 {
		return nil, qluster.Invalid("ids", "missing", "name at least one queue message to reschedule; list them with GET /api/queue-messages")
	}
	ids := make([]int64, len(req.Body.Ids))
	for i, id := range req.Body.Ids {
		ids[i] = int64(id)
	}
	n, err := s.store.RescheduleQueueMessages(ctx, ids)
	var nf *qluster.NotFoundError
	if errors.As(err, &nf) {
		if missing, ok := nf.Key.([]int64); ok {
			names := make([]string, len(missing))
			for i, id := range missing {
				names[i] = fmt.Sprint(id)
			}
			return nil, qluster.Invalid("ids", "not_found",
				"no queue message has id %s; nothing was rescheduled; list them with GET /api/queue-messages", strings.Join(names, ", "))
		}
	}
	if err != nil {
		return nil, err
	}
	return RescheduleQueueMsgs200JSONResponse{Result: fmt.Sprintf("%d messages rescheduled", n)}, nil
}
