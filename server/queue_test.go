package server_test

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/openqluster/qluster-go/client"
	"github.com/openqluster/qluster-go/qluster"
)

// put enqueues a message through the store and returns its id.
func (b *bundle) put(p qluster.PutParams) int {
	b.t.Helper()
	m, err := b.store.Queue().Put(b.ctx, p)
	require.NoError(b.t, err)
	return int(m.ID)
}

func msgIDs(ms []client.QueueMsg) []int {
	out := make([]int, 0, len(ms))
	for _, m := range ms {
		out = append(out, m.Id)
	}
	return out
}

func TestQueueMsgsList(t *testing.T) {
	t.Parallel()
	b := setup(t)
	src := int64(9)
	a := b.put(qluster.PutParams{QName: "reports", Key: "ds-1", Data: map[string]any{"dataset_id": 1}, DataSourceModelID: &src})
	done := b.put(qluster.PutParams{QName: "reports", Data: map[string]any{"dataset_id": 2}, ScheduleAt: time.Now().Add(-time.Minute)})
	c := b.put(qluster.PutParams{QName: "exports", Data: map[string]any{"file": "x.csv"}, DataSourceModelID: &src})
	d := b.put(qluster.PutParams{QName: "exports", Data: map[string]any{"file": "y.csv"}})
	q := b.store.Queue()
	got, err := q.Receive(b.ctx, "reports", 1, time.Hour)
	require.NoError(t, err)
	require.Len(t, got, 1)
	require.NoError(t, q.Ack(b.ctx, int64(done), got[0].ReceiveCount))

	tests := []struct {
		name    string
		params  client.GetQueueMsgsParams
		want    []int
		filters map[string]any
	}{
		{"default newest first", client.GetQueueMsgsParams{}, []int{d, c, done, a}, map[string]any{}},
		{"oldest first", client.GetQueueMsgsParams{Reverse: ptr(false)}, []int{a, done, c, d}, map[string]any{}},
		{"by queue", client.GetQueueMsgsParams{QName: ptr("reports")}, []int{done, a}, map[string]any{"q_name": "reports"}},
		{"acknowledged", client.GetQueueMsgsParams{Acknowledged: ptr(true)}, []int{done}, map[string]any{"acknowledged": true}},
		{"pending", client.GetQueueMsgsParams{Acknowledged: ptr(false)}, []int{d, c, a}, map[string]any{"acknowledged": false}},
		{"by data source", client.GetQueueMsgsParams{DataSourceModelId: ptr(9)}, []int{c, a}, map[string]any{"data_source_model_id": float64(9)}},
		{
			"every filter", client.GetQueueMsgsParams{QName: ptr("exports"), Acknowledged: ptr(false), DataSourceModelId: ptr(9)}, []int{c},
			map[string]any{"q_name": "exports", "acknowledged": false, "data_source_model_id": float64(9)},
		},
		{"no match", client.GetQueueMsgsParams{QName: ptr("nope")}, []int{}, map[string]any{"q_name": "nope"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res, err := b.admin.GetQueueMsgsWithResponse(b.ctx, &tc.params)
			require.NoError(t, err)
			require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
			require.Equal(t, tc.want, msgIDs(res.JSON200.Results))
			require.Equal(t, tc.filters, res.JSON200.Filters)
		})
	}

	t.Run("fields", func(t *testing.T) {
		t.Parallel()
		res, err := b.admin.GetQueueMsgsWithResponse(b.ctx, &client.GetQueueMsgsParams{QName: ptr("reports"), Reverse: ptr(false)})
		require.NoError(t, err)
		m := res.JSON200.Results[0]
		require.Equal(t, "ds-1", *m.Key)
		require.Equal(t, map[string]any{"dataset_id": float64(1)}, *m.Data)
		require.Equal(t, 9, *m.DataSourceModelId)
		require.Equal(t, 1, *m.PutCount)
		require.Equal(t, 0, *m.ReceiveCount)
		require.False(t, *m.Acknowledged)
		require.Nil(t, m.ExpectedAt)
		ack := res.JSON200.Results[1]
		require.True(t, *ack.Acknowledged)
		require.Equal(t, 1, *ack.ReceiveCount)
		require.NotNil(t, ack.DequeuedAt)
	})

	t.Run("paging", func(t *testing.T) {
		t.Parallel()
		var seen []int
		params := &client.GetQueueMsgsParams{Limit: ptr(3)}
		for range 5 {
			res, err := b.admin.GetQueueMsgsWithResponse(b.ctx, params)
			require.NoError(t, err)
			require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
			seen = append(seen, msgIDs(res.JSON200.Results)...)
			if res.JSON200.Next == nil {
				break
			}
			params = &client.GetQueueMsgsParams{Limit: ptr(3), End: &res.JSON200.Next.End}
		}
		require.Equal(t, []int{d, c, done, a}, seen)
	})

	t.Run("bad paging", func(t *testing.T) {
		t.Parallel()
		res, err := b.admin.GetQueueMsgsWithResponse(b.ctx, &client.GetQueueMsgsParams{Start: &a, End: &d})
		require.NoError(t, err)
		require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode(), string(res.Body))
	})
}

func TestQueueMsgGet(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.put(qluster.PutParams{QName: "files", Key: "item-7", Data: map[string]any{"stored_item_id": 7}})
	b.put(qluster.PutParams{QName: "files", Key: "item-7", Data: map[string]any{"stored_item_id": 7, "again": true}})

	res, err := b.admin.GetQueueMsgWithResponse(b.ctx, id)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
	require.Equal(t, id, res.JSON200.Id)
	require.Equal(t, "files", *res.JSON200.QName)
	require.Equal(t, 2, *res.JSON200.PutCount, "the second put folded into the first")
	require.Equal(t, map[string]any{"stored_item_id": float64(7), "again": true}, *res.JSON200.Data)
	require.WithinDuration(t, time.Now(), *res.JSON200.ScheduleAt, time.Minute)

	missing, err := b.admin.GetQueueMsgWithResponse(b.ctx, id+1000)
	require.NoError(t, err)
	require.Equal(t, http.StatusNotFound, missing.StatusCode(), string(missing.Body))
	require.Contains(t, string(missing.Body), "queue message")
}

func TestQueueMsgsReschedule(t *testing.T) {
	t.Parallel()
	b := setup(t)
	q := b.store.Queue()
	leased := b.put(qluster.PutParams{QName: "reports", Data: map[string]any{"n": 1}})
	done := b.put(qluster.PutParams{QName: "reports", Data: map[string]any{"n": 2}})
	future := b.put(qluster.PutParams{QName: "reports", Data: map[string]any{"n": 3}, ScheduleAt: time.Now().Add(time.Hour)})
	got, err := q.Receive(b.ctx, "reports", 2, time.Hour)
	require.NoError(t, err)
	require.Len(t, got, 2)
	require.NoError(t, q.Ack(b.ctx, int64(done), 1))

	// Unknown ids: a 422 naming them, and nothing changes.
	bad, err := b.admin.RescheduleQueueMsgsWithResponse(b.ctx, client.IdsRequest{Ids: []int{future, future + 1000, future + 2000}})
	require.NoError(t, err)
	require.Equal(t, http.StatusUnprocessableEntity, bad.StatusCode(), string(bad.Body))
	require.Contains(t, string(bad.Body), "ids")
	require.Contains(t, string(bad.Body), strconv.Itoa(future+1000)+", "+strconv.Itoa(future+2000))
	still, err := b.admin.GetQueueMsgWithResponse(b.ctx, future)
	require.NoError(t, err)
	require.WithinDuration(t, time.Now().Add(time.Hour), *still.JSON200.ScheduleAt, time.Minute)

	empty, err := b.admin.RescheduleQueueMsgsWithResponse(b.ctx, client.IdsRequest{Ids: []int{}})
	require.NoError(t, err)
	require.Equal(t, http.StatusUnprocessableEntity, empty.StatusCode(), string(empty.Body))

	res, err := b.admin.RescheduleQueueMsgsWithResponse(b.ctx, client.IdsRequest{Ids: []int{leased, done, future}})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode(), string(res.Body))
	require.Equal(t, "2 messages rescheduled", res.JSON200.Result)

	for _, id := range []int{leased, future} {
		m, err := b.admin.GetQueueMsgWithResponse(b.ctx, id)
		require.NoError(t, err)
		require.Nil(t, m.JSON200.ExpectedAt, "visible now")
		require.WithinDuration(t, time.Now(), *m.JSON200.ScheduleAt, time.Minute, "due now")
	}
	ack, err := b.admin.GetQueueMsgWithResponse(b.ctx, done)
	require.NoError(t, err)
	require.True(t, *ack.JSON200.Acknowledged)
	require.NotNil(t, ack.JSON200.ExpectedAt, "acknowledged messages are left alone")

	again, err := q.Receive(b.ctx, "reports", 10, time.Hour)
	require.NoError(t, err)
	require.Len(t, again, 2)
}

func TestQueueMsgsRoles(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.put(qluster.PutParams{QName: "reports"})
	reader, _ := b.user(qluster.UserTypeReadOnly, "reader@example.com")
	limited, _ := b.user(qluster.UserTypeLimitedToSource, "limited@example.com")

	res, err := reader.GetQueueMsgsWithResponse(b.ctx, nil)
	require.Equal(t, http.StatusOK, statusOf(t, res, err))
	one, err := reader.GetQueueMsgWithResponse(b.ctx, id)
	require.Equal(t, http.StatusOK, statusOf(t, one, err))
	rs, err := reader.RescheduleQueueMsgsWithResponse(b.ctx, client.IdsRequest{Ids: []int{id}})
	require.Equal(t, http.StatusForbidden, statusOf(t, rs, err))
	lres, err := limited.GetQueueMsgsWithResponse(b.ctx, nil)
	require.Equal(t, http.StatusForbidden, statusOf(t, lres, err))
	anon, err := b.anon.GetQueueMsgsWithResponse(b.ctx, nil)
	require.Equal(t, http.StatusUnauthorized, statusOf(t, anon, err))
}
