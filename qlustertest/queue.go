package qlustertest

import (
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/openqluster/qluster-go/qluster"
)

// Timings of the queue suite. Leases are short so that lapses can be waited
// for; waits are bounded so that a broken queue fails instead of hanging.
const (
	// shortLease is the lease of tests that wait for it to lapse.
	shortLease = time.Second
	// longLease is the lease of tests that must not see it lapse.
	longLease = time.Minute
	// waitFor bounds every wait for a message to come due.
	waitFor = 5 * time.Second
	// pollEvery is the pause between receives while waiting.
	pollEvery = 20 * time.Millisecond
	// clockSlack is how far the queue's clock may be from the test's.
	clockSlack = 100 * time.Millisecond
)

// queueTest is one case of the queue suite: it runs on a queue named qname
// that no other case uses.
type queueTest struct {
	name string
	run  func(t *testing.T, q qluster.Queue, qname string)
}

// RunQueueTests checks that the queues made by newQueue keep the contract of
// qluster.Queue: puts, key folding, due times, leases and their lapse,
// receipts, and exclusive receipt by concurrent workers.
//
// newQueue is called once per subtest, and the subtests run in parallel.
// Each subtest uses queue names of its own, so the queues returned may share
// their storage. The suite waits for short leases (about a second) to lapse
// and takes a few seconds in all.
func RunQueueTests(t *testing.T, newQueue func(t *testing.T) qluster.Queue) {
	t.Helper()
	tests := []queueTest{
		{"PutReceiveAck", testPutReceiveAck},
		{"NothingDue", testNothingDue},
		{"FutureScheduleNotReceived", testFutureSchedule},
		{"OldestScheduleFirst", testOldestScheduleFirst},
		{"KeyFoldsPendingPuts", testKeyFolds},
		{"PutDuringLeaseIsNotLost", testPutDuringLease},
		{"LeaseLapses", testLeaseLapses},
		{"UnknownID", testUnknownID},
		{"Retry", testRetry},
		{"Extend", testExtend},
		{"InvalidInput", testInvalidInput},
		{"ConcurrentWorkers", testConcurrentWorkers},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.run(t, newQueue(t), queueName(t))
		})
	}
}

// queueName is a queue name unique to the test and to this run, so that
// queues sharing storage across runs do not see each other's messages.
func queueName(t *testing.T) string {
	return fmt.Sprintf("qlustertest/%s/%d", t.Name(), time.Now().UnixNano())
}

// payload is the data of the suite's messages.
type payload struct {
	N int    `json:"n"`
	S string `json:"s,omitempty"`
}

func put(t *testing.T, q qluster.Queue, p qluster.PutParams) *qluster.Message {
	t.Helper()
	m, err := q.Put(t.Context(), p)
	require.NoError(t, err)
	require.NotNil(t, m)
	return m
}

func receive(t *testing.T, q qluster.Queue, qname string, n int, lease time.Duration) []qluster.Message {
	t.Helper()
	msgs, err := q.Receive(t.Context(), qname, n, lease)
	require.NoError(t, err)
	require.NotNil(t, msgs, "Receive returns an empty slice, not nil")
	return msgs
}

func requireNothing(t *testing.T, q qluster.Queue, qname string) {
	t.Helper()
	require.Empty(t, receive(t, q, qname, 10, longLease))
}

// receiveOne waits up to waitFor for exactly one message to come due.
func receiveOne(t *testing.T, q qluster.Queue, qname string, lease time.Duration) qluster.Message {
	t.Helper()
	deadline := time.Now().Add(waitFor)
	for {
		msgs := receive(t, q, qname, 10, lease)
		if len(msgs) > 0 {
			require.Len(t, msgs, 1)
			return msgs[0]
		}
		require.True(t, time.Now().Before(deadline), "no message of %s came due within %s", qname, waitFor)
		time.Sleep(pollEvery)
	}
}

func requireData(t *testing.T, want any, got json.RawMessage) {
	t.Helper()
	b, err := json.Marshal(want)
	require.NoError(t, err)
	require.JSONEq(t, string(b), string(got))
}

func requireConflict(t *testing.T, err error) {
	t.Helper()
	require.ErrorIs(t, err, qluster.ErrConflict)
	var ce *qluster.ConflictError
	require.ErrorAs(t, err, &ce)
}

func ids(msgs []qluster.Message) []int64 {
	out := make([]int64, len(msgs))
	for i, m := range msgs {
		out[i] = m.ID
	}
	return out
}

func testPutReceiveAck(t *testing.T, q qluster.Queue, qname string) {
	ctx := t.Context()
	src := int64(7)
	before := time.Now()
	m := put(t, q, qluster.PutParams{QName: qname, Data: payload{N: 1, S: "a"}, DataSourceModelID: &src})
	require.NotZero(t, m.ID)
	require.Equal(t, qname, m.QName)
	require.Nil(t, m.Key)
	requireData(t, payload{N: 1, S: "a"}, m.Data)
	require.Equal(t, &src, m.DataSourceModelID)
	require.WithinDuration(t, before, m.ScheduleAt, waitFor, "a zero ScheduleAt means now")
	require.WithinDuration(t, before, m.EnqueuedAt, waitFor)
	require.Nil(t, m.ExpectedAt)
	require.Nil(t, m.DequeuedAt)
	require.False(t, m.Acknowledged)
	require.Equal(t, 1, m.PutCount)
	require.Zero(t, m.ReceiveCount)

	got := receive(t, q, qname, 10, longLease)
	require.Len(t, got, 1)
	r := got[0]
	require.Equal(t, m.ID, r.ID)
	require.Equal(t, 1, r.ReceiveCount)
	requireData(t, payload{N: 1, S: "a"}, r.Data)
	require.NotNil(t, r.DequeuedAt)
	require.NotNil(t, r.ExpectedAt)
	require.WithinDuration(t, r.DequeuedAt.Add(longLease), *r.ExpectedAt, clockSlack, "the lease lasts the visibility asked for")
	require.False(t, r.Acknowledged)

	requireNothing(t, q, qname)
	require.NoError(t, q.Ack(ctx, r.ID, r.ReceiveCount))
	requireNothing(t, q, qname)
	requireConflict(t, q.Ack(ctx, r.ID, r.ReceiveCount))
	requireConflict(t, q.Retry(ctx, r.ID, r.ReceiveCount, time.Now()))
	requireConflict(t, q.Extend(ctx, r.ID, r.ReceiveCount, time.Now().Add(longLease)))
	requireNothing(t, q, qname)
}

func testNothingDue(t *testing.T, q qluster.Queue, qname string) {
	requireNothing(t, q, qname)
	put(t, q, qluster.PutParams{QName: qname + "-other", Data: payload{N: 1}})
	requireNothing(t, q, qname)
}

func testFutureSchedule(t *testing.T, q qluster.Queue, qname string) {
	later := put(t, q, qluster.PutParams{QName: qname, Data: payload{N: 1}, ScheduleAt: time.Now().Add(time.Hour)})
	require.WithinDuration(t, time.Now().Add(time.Hour), later.ScheduleAt, waitFor)
	requireNothing(t, q, qname)
	due := put(t, q, qluster.PutParams{QName: qname, Data: payload{N: 2}, ScheduleAt: time.Now().Add(-time.Minute)})
	require.Equal(t, []int64{due.ID}, ids(receive(t, q, qname, 10, longLease)))
	requireNothing(t, q, qname)
}

func testOldestScheduleFirst(t *testing.T, q qluster.Queue, qname string) {
	now := time.Now()
	a := put(t, q, qluster.PutParams{QName: qname, Data: payload{N: 3}, ScheduleAt: now.Add(-3 * time.Minute)})
	b := put(t, q, qluster.PutParams{QName: qname, Data: payload{N: 1}, ScheduleAt: now.Add(-time.Minute)})
	c := put(t, q, qluster.PutParams{QName: qname, Data: payload{N: 2}, ScheduleAt: now.Add(-2 * time.Minute)})
	require.Equal(t, []int64{a.ID, c.ID}, ids(receive(t, q, qname, 2, longLease)), "at most n, oldest schedule first")
	require.Equal(t, []int64{b.ID}, ids(receive(t, q, qname, 2, longLease)))
	requireNothing(t, q, qname)
}

func testKeyFolds(t *testing.T, q qluster.Queue, qname string) {
	ctx := t.Context()
	first := put(t, q, qluster.PutParams{QName: qname, Key: "k", Data: payload{N: 1}, ScheduleAt: time.Now().Add(time.Hour)})
	require.Equal(t, "k", *first.Key)
	second := put(t, q, qluster.PutParams{QName: qname, Key: "k", Data: payload{N: 2}})
	require.Equal(t, first.ID, second.ID, "a put with the key of a pending message folds into it")
	require.Equal(t, 2, second.PutCount)
	requireData(t, payload{N: 2}, second.Data)
	require.True(t, second.ScheduleAt.Before(first.ScheduleAt), "the schedule is replaced")

	other := put(t, q, qluster.PutParams{QName: qname, Key: "other", Data: payload{N: 3}})
	require.NotEqual(t, first.ID, other.ID)
	elsewhere := put(t, q, qluster.PutParams{QName: qname + "-other", Key: "k", Data: payload{N: 4}})
	require.NotEqual(t, first.ID, elsewhere.ID, "keys are per queue")
	require.Equal(t, 1, elsewhere.PutCount)
	n1 := put(t, q, qluster.PutParams{QName: qname, Data: payload{N: 5}})
	n2 := put(t, q, qluster.PutParams{QName: qname, Data: payload{N: 5}})
	require.NotEqual(t, n1.ID, n2.ID, "puts without a key never fold")

	got := receive(t, q, qname, 10, longLease)
	require.ElementsMatch(t, []int64{first.ID, other.ID, n1.ID, n2.ID}, ids(got))
	for _, m := range got {
		if m.ID == first.ID {
			requireData(t, payload{N: 2}, m.Data)
			require.Equal(t, 2, m.PutCount)
		}
		require.NoError(t, q.Ack(ctx, m.ID, m.ReceiveCount))
	}
	again := put(t, q, qluster.PutParams{QName: qname, Key: "k", Data: payload{N: 6}})
	require.NotEqual(t, first.ID, again.ID, "an acknowledged message is not pending: its key is free")
	require.Equal(t, 1, again.PutCount)
}

func testPutDuringLease(t *testing.T, q qluster.Queue, qname string) {
	ctx := t.Context()
	put(t, q, qluster.PutParams{QName: qname, Key: "k", Data: payload{N: 1}})
	r := receiveOne(t, q, qname, longLease)
	requireData(t, payload{N: 1}, r.Data)

	folded := put(t, q, qluster.PutParams{QName: qname, Key: "k", Data: payload{N: 2}})
	require.Equal(t, r.ID, folded.ID)
	require.Equal(t, 2, folded.PutCount)
	requireNothing(t, q, qname) // the lease holds

	require.NoError(t, q.Ack(ctx, r.ID, r.ReceiveCount), "the worker's work is done")
	r2 := receiveOne(t, q, qname, longLease)
	require.Equal(t, r.ID, r2.ID, "the put folded in during the lease is still pending")
	require.Equal(t, 2, r2.ReceiveCount)
	requireData(t, payload{N: 2}, r2.Data)
	require.NoError(t, q.Ack(ctx, r2.ID, r2.ReceiveCount))
	requireNothing(t, q, qname)
}

func testLeaseLapses(t *testing.T, q qluster.Queue, qname string) {
	ctx := t.Context()
	put(t, q, qluster.PutParams{QName: qname, Data: payload{N: 1}})
	start := time.Now()
	r1 := receiveOne(t, q, qname, shortLease)
	require.Equal(t, 1, r1.ReceiveCount)
	requireNothing(t, q, qname)

	r2 := receiveOne(t, q, qname, longLease)
	require.GreaterOrEqual(t, time.Since(start), shortLease-clockSlack, "received again before the lease lapsed")
	require.Equal(t, r1.ID, r2.ID)
	require.Equal(t, 2, r2.ReceiveCount)

	requireConflict(t, q.Ack(ctx, r1.ID, r1.ReceiveCount))
	requireConflict(t, q.Retry(ctx, r1.ID, r1.ReceiveCount, time.Now()))
	requireConflict(t, q.Extend(ctx, r1.ID, r1.ReceiveCount, time.Now().Add(longLease)))
	requireNothing(t, q, qname) // the stale calls changed nothing
	require.NoError(t, q.Ack(ctx, r2.ID, r2.ReceiveCount))
	requireNothing(t, q, qname)
}

func testUnknownID(t *testing.T, q qluster.Queue, qname string) {
	ctx := t.Context()
	m := put(t, q, qluster.PutParams{QName: qname, Data: payload{N: 1}})
	unknown := m.ID + 1<<40
	require.ErrorIs(t, q.Ack(ctx, unknown, 1), qluster.ErrNotFound)
	require.ErrorIs(t, q.Retry(ctx, unknown, 1, time.Now()), qluster.ErrNotFound)
	require.ErrorIs(t, q.Extend(ctx, unknown, 1, time.Now()), qluster.ErrNotFound)
	var nf *qluster.NotFoundError
	require.ErrorAs(t, q.Ack(ctx, unknown, 1), &nf)
}

func testRetry(t *testing.T, q qluster.Queue, qname string) {
	ctx := t.Context()
	put(t, q, qluster.PutParams{QName: qname, Data: payload{N: 1}})
	r1 := receiveOne(t, q, qname, longLease)

	require.NoError(t, q.Retry(ctx, r1.ID, r1.ReceiveCount, time.Now().Add(time.Hour)))
	requireNothing(t, q, qname)
	require.NoError(t, q.Retry(ctx, r1.ID, r1.ReceiveCount, time.Now().Add(-time.Second)), "the receipt holds until the next receive")
	r2 := receiveOne(t, q, qname, longLease)
	require.Equal(t, 2, r2.ReceiveCount)

	at := time.Now().Add(shortLease)
	require.NoError(t, q.Retry(ctx, r2.ID, r2.ReceiveCount, at))
	requireNothing(t, q, qname)
	r3 := receiveOne(t, q, qname, longLease)
	require.False(t, time.Now().Before(at.Add(-clockSlack)), "received before the retry's time")
	require.Equal(t, 3, r3.ReceiveCount)
	require.WithinDuration(t, at, r3.ScheduleAt, time.Millisecond, "due at the time given")
	require.NoError(t, q.Ack(ctx, r3.ID, r3.ReceiveCount))
}

func testExtend(t *testing.T, q qluster.Queue, qname string) {
	ctx := t.Context()
	put(t, q, qluster.PutParams{QName: qname, Data: payload{N: 1}})
	r1 := receiveOne(t, q, qname, shortLease)
	until := time.Now().Add(time.Hour)
	require.NoError(t, q.Extend(ctx, r1.ID, r1.ReceiveCount, until))
	time.Sleep(shortLease + 3*clockSlack)
	requireNothing(t, q, qname) // the first lease has lapsed, the extension holds

	require.NoError(t, q.Extend(ctx, r1.ID, r1.ReceiveCount, time.Now().Add(-time.Second)), "an extension into the past ends the lease")
	r2 := receiveOne(t, q, qname, longLease)
	require.Equal(t, 2, r2.ReceiveCount)
	require.NoError(t, q.Ack(ctx, r2.ID, r2.ReceiveCount))
}

func testInvalidInput(t *testing.T, q qluster.Queue, qname string) {
	ctx := t.Context()
	var ve *qluster.ValidationError
	_, err := q.Put(ctx, qluster.PutParams{Data: payload{N: 1}})
	require.ErrorAs(t, err, &ve, "QName is required")
	_, err = q.Put(ctx, qluster.PutParams{QName: qname, Data: 42})
	require.ErrorAs(t, err, &ve, "data must be a JSON object")
	_, err = q.Put(ctx, qluster.PutParams{QName: qname, Data: []int{1}})
	require.ErrorAs(t, err, &ve, "data must be a JSON object")
	requireNothing(t, q, qname)

	m := put(t, q, qluster.PutParams{QName: qname})
	requireData(t, map[string]any{}, m.Data)
}

// testConcurrentWorkers has workers share one queue: one of them dies
// holding its first batch, which comes back when the lease lapses, and every
// message must be acknowledged exactly once, never held by two workers.
func testConcurrentWorkers(t *testing.T, q qluster.Queue, qname string) {
	const (
		messages = 200
		workers  = 4
		batch    = 5
		lease    = 2 * time.Second
		deadline = 12 * time.Second
	)
	ctx := t.Context()
	for i := range messages {
		put(t, q, qluster.PutParams{QName: qname, Data: payload{N: i}})
	}

	var (
		mu        sync.Mutex
		held      = map[int64]int{} // message id → worker holding it
		acked     = map[int]int{}   // payload N → successful acks
		abandoned []qluster.Message
		failures  []string
		done      int
	)
	fail := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		failures = append(failures, fmt.Sprintf(format, args...))
	}
	finished := func() bool {
		mu.Lock()
		defer mu.Unlock()
		return done >= messages || len(failures) > 0
	}
	stop := time.Now().Add(deadline)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			dead := w == 0 // worker 0 dies holding its first batch
			for !finished() && time.Now().Before(stop) {
				msgs, err := q.Receive(ctx, qname, batch, lease)
				if err != nil {
					fail("worker %d: Receive: %v", w, err)
					return
				}
				if len(msgs) == 0 {
					time.Sleep(pollEvery)
					continue
				}
				if dead {
					mu.Lock()
					abandoned = append(abandoned, msgs...)
					mu.Unlock()
					dead = false
					continue
				}
				for _, m := range msgs {
					mu.Lock()
					if other, ok := held[m.ID]; ok {
						failures = append(failures, fmt.Sprintf("message %d received by worker %d while worker %d held it", m.ID, w, other))
					}
					held[m.ID] = w
					mu.Unlock()
				}
				for _, m := range msgs {
					var p payload
					if err := json.Unmarshal(m.Data, &p); err != nil {
						fail("worker %d: message %d: data %s: %v", w, m.ID, m.Data, err)
						return
					}
					err := q.Ack(ctx, m.ID, m.ReceiveCount)
					mu.Lock()
					delete(held, m.ID)
					if err != nil {
						failures = append(failures, fmt.Sprintf("worker %d: Ack(%d, %d): %v", w, m.ID, m.ReceiveCount, err))
					} else {
						acked[p.N]++
						done++
					}
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	require.Empty(t, failures)
	require.Equal(t, messages, done, "not every message was acknowledged within %s", deadline)
	for i := range messages {
		require.Equal(t, 1, acked[i], "message with n=%d acknowledged %d times", i, acked[i])
	}
	require.NotEmpty(t, abandoned)
	for _, m := range abandoned {
		requireConflict(t, q.Ack(ctx, m.ID, m.ReceiveCount))
	}
	requireNothing(t, q, qname)
}
