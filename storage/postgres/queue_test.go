package postgres_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/openqluster/qluster-go/qluster"
	"github.com/openqluster/qluster-go/qlustertest"
	"github.com/openqluster/qluster-go/storage/postgres"
)

func TestQueueConformance(t *testing.T) {
	t.Parallel()
	s := setupStore(t)
	qlustertest.RunQueueTests(t, func(*testing.T) qluster.Queue { return s.Queue() })
}

func TestQueueMessagesAdmin(t *testing.T) {
	t.Parallel()
	s := setupStore(t)
	ctx := t.Context()
	q := s.Queue()
	src := int64(42)
	put := func(p qluster.PutParams) *qluster.Message {
		t.Helper()
		m, err := q.Put(ctx, p)
		require.NoError(t, err)
		return m
	}
	later := time.Now().Add(time.Hour)
	leased := put(qluster.PutParams{QName: "training", Key: "a", Data: map[string]any{"n": 1}, DataSourceModelID: &src})
	done := put(qluster.PutParams{QName: "training", Data: map[string]any{"n": 2}, ScheduleAt: time.Now().Add(-time.Minute)})
	future := put(qluster.PutParams{QName: "training", Data: map[string]any{"n": 3}, ScheduleAt: later, DataSourceModelID: &src})
	other := put(qluster.PutParams{QName: "ingestion", Data: map[string]any{"n": 4}})

	got, err := q.Receive(ctx, "training", 2, time.Hour)
	require.NoError(t, err)
	require.Equal(t, []int64{done.ID, leased.ID}, []int64{got[0].ID, got[1].ID})
	require.NoError(t, q.Ack(ctx, done.ID, 1))

	tests := []struct {
		name string
		p    postgres.ListQueueMessagesParams
		want []int64
	}{
		{"all newest first", postgres.ListQueueMessagesParams{ListParams: qluster.ListParams{Reverse: true}}, []int64{other.ID, future.ID, done.ID, leased.ID}},
		{"by queue", postgres.ListQueueMessagesParams{QName: ptr("training")}, []int64{leased.ID, done.ID, future.ID}},
		{"acknowledged", postgres.ListQueueMessagesParams{Acknowledged: ptr(true)}, []int64{done.ID}},
		{"pending", postgres.ListQueueMessagesParams{Acknowledged: ptr(false)}, []int64{leased.ID, future.ID, other.ID}},
		{"by data source", postgres.ListQueueMessagesParams{DataSourceModelID: &src}, []int64{leased.ID, future.ID}},
		{"all filters", postgres.ListQueueMessagesParams{QName: ptr("training"), Acknowledged: ptr(false), DataSourceModelID: &src}, []int64{leased.ID, future.ID}},
		{"no match", postgres.ListQueueMessagesParams{QName: ptr("nope")}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			page, err := s.ListQueueMessages(ctx, tc.p)
			require.NoError(t, err)
			var ids []int64
			for _, m := range page.Items {
				ids = append(ids, m.ID)
			}
			require.Equal(t, tc.want, ids)
		})
	}

	page, err := s.ListQueueMessages(ctx, postgres.ListQueueMessagesParams{ListParams: qluster.ListParams{Limit: 3}})
	require.NoError(t, err)
	require.Len(t, page.Items, 3)
	require.Equal(t, &qluster.Cursor{Start: other.ID, End: other.ID}, page.Next)
	require.JSONEq(t, `{"n": 1}`, string(page.Items[0].Data))
	_, err = s.ListQueueMessages(ctx, postgres.ListQueueMessagesParams{ListParams: qluster.ListParams{Limit: -1}})
	var ve *qluster.ValidationError
	require.ErrorAs(t, err, &ve)

	m, err := s.GetQueueMessage(ctx, leased.ID)
	require.NoError(t, err)
	require.Equal(t, "a", *m.Key)
	require.Equal(t, 1, m.ReceiveCount)
	require.NotNil(t, m.ExpectedAt)
	_, err = s.GetQueueMessage(ctx, other.ID+100)
	require.ErrorIs(t, err, qluster.ErrNotFound)

	// Unknown ids: nothing changes, the error names them.
	_, err = s.RescheduleQueueMessages(ctx, []int64{future.ID, other.ID + 200, other.ID + 100, other.ID + 100})
	var nf *qluster.NotFoundError
	require.ErrorAs(t, err, &nf)
	require.Equal(t, []int64{other.ID + 100, other.ID + 200}, nf.Key)
	m, err = s.GetQueueMessage(ctx, future.ID)
	require.NoError(t, err)
	require.WithinDuration(t, later, m.ScheduleAt, time.Millisecond)

	n, err := s.RescheduleQueueMessages(ctx, []int64{leased.ID, done.ID, future.ID})
	require.NoError(t, err)
	require.Equal(t, int64(2), n, "the acknowledged message is left alone")
	for _, id := range []int64{leased.ID, future.ID} {
		m, err := s.GetQueueMessage(ctx, id)
		require.NoError(t, err)
		require.Nil(t, m.ExpectedAt)
		require.WithinDuration(t, time.Now(), m.ScheduleAt, 5*time.Second)
	}
	d, err := s.GetQueueMessage(ctx, done.ID)
	require.NoError(t, err)
	require.True(t, d.Acknowledged)
	require.WithinDuration(t, done.ScheduleAt, d.ScheduleAt, time.Millisecond)

	got, err = q.Receive(ctx, "training", 10, time.Hour)
	require.NoError(t, err)
	require.Len(t, got, 2, "both rescheduled messages are due and visible now")
	n, err = s.RescheduleQueueMessages(ctx, nil)
	require.NoError(t, err)
	require.Zero(t, n)
}
