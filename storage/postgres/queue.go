package postgres

import (
	"bytes"
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/openqluster/qluster-go/qluster"
)

// Queue is the work queue kept in the queue_messages table: a qluster.Queue
// shared by any number of workers in any number of processes. It is safe for
// concurrent use.
//
// Every time it compares or sets (due, leased until, dequeued) comes from the
// database clock, so workers on machines whose clocks disagree still agree on
// which messages are due and which leases have lapsed. The absolute times
// callers pass (PutParams.ScheduleAt, Retry's at, Extend's until) are stored
// as given.
//
// Receive leases with one statement that locks the due rows it takes with
// FOR UPDATE SKIP LOCKED, so concurrent receivers never wait on each other and
// never take the same message.
type Queue struct {
	db *sqlx.DB
}

var _ qluster.Queue = (*Queue)(nil)

// Queue returns the store's work queue. It shares the store's connection pool.
func (s *Store) Queue() *Queue { return &Queue{db: s.db} }

// queueCols are the columns a qluster.Message is read from.
const queueCols = `id, q_name, key, data, data_source_model_id, schedule_at, expected_at, enqueued_at, dequeued_at,
	acknowledged, put_count, receive_count`

// kindQueueMessage names queue messages in errors.
const kindQueueMessage = "queue message"

// Put enqueues a message, or folds it into the pending message of p.QName
// with p.Key: that message's data and schedule are replaced, its put count
// bumped, and its data source replaced when p names one. A message folded
// into while a worker holds it keeps the worker's lease; the worker's Ack then
// leaves it pending for the new data (see qluster.Queue).
//
// p.QName is required and p.Data must marshal to a JSON object (nil stores
// {}); otherwise Put returns a *qluster.ValidationError.
func (q *Queue) Put(ctx context.Context, p qluster.PutParams) (*qluster.Message, error) {
	if p.QName == "" {
		return nil, qluster.Invalid("q_name", "missing", "postgres.Queue.Put: name the queue, e.g. training")
	}
	data, err := messageData(p.Data)
	if err != nil {
		return nil, err
	}
	var key *string
	if p.Key != "" {
		key = &p.Key
	}
	var at *time.Time
	if !p.ScheduleAt.IsZero() {
		at = &p.ScheduleAt
	}
	var m qluster.Message
	err = q.db.GetContext(ctx, &m, `INSERT INTO queue_messages (q_name, key, data, data_source_model_id, schedule_at)
		VALUES ($1, $2, $3, $4, COALESCE($5::timestamptz, now()))
		ON CONFLICT (q_name, key) WHERE NOT acknowledged AND key IS NOT NULL DO UPDATE
		SET data = EXCLUDED.data, schedule_at = EXCLUDED.schedule_at,
			data_source_model_id = COALESCE(EXCLUDED.data_source_model_id, queue_messages.data_source_model_id),
			put_count = queue_messages.put_count + 1
		RETURNING `+queueCols, p.QName, key, data, p.DataSourceModelID, at)
	if err != nil {
		return nil, fmt.Errorf("postgres.Queue.Put: %w", err)
	}
	return &m, nil
}

// messageData marshals the data of a put, which must be a JSON object.
func messageData(v any) ([]byte, error) {
	if v == nil {
		return []byte("{}"), nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, qluster.Invalid("data", "value_error", "postgres.Queue.Put: data cannot be marshalled to JSON: %v", err)
	}
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		return []byte("{}"), nil
	case len(b) == 0 || b[0] != '{':
		return nil, qluster.Invalid("data", "type_error", "postgres.Queue.Put: data must marshal to a JSON object (a struct or a map), got %.40s", b)
	}
	return b, nil
}

// Receive leases up to n due messages of qname until the database's now()
// plus visibility, oldest schedule first (ties by id). n must be at least 1
// and visibility positive.
func (q *Queue) Receive(ctx context.Context, qname string, n int, visibility time.Duration) ([]qluster.Message, error) {
	v := &qluster.ValidationError{}
	if n < 1 {
		v.Add([]string{"n"}, "value_error", "postgres.Queue.Receive: n must be at least 1, got %d", n)
	}
	if visibility <= 0 {
		v.Add([]string{"visibility"}, "value_error", "postgres.Queue.Receive: visibility must be positive, got %s", visibility)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	// The CTE is materialized so that the locking scan runs exactly once:
	// an IN (subquery) may be rescanned by the plan and lease more than n.
	msgs := []qluster.Message{}
	err := q.db.SelectContext(ctx, &msgs, `WITH due AS MATERIALIZED (
			SELECT id FROM queue_messages
			WHERE q_name = $1 AND NOT acknowledged AND schedule_at <= now() AND (expected_at IS NULL OR expected_at <= now())
			ORDER BY schedule_at, id
			LIMIT $2
			FOR UPDATE SKIP LOCKED
		)
		UPDATE queue_messages m
		SET expected_at = now() + $3::bigint * interval '1 microsecond', dequeued_at = now(),
			receive_count = m.receive_count + 1, received_put_count = m.put_count
		FROM due WHERE m.id = due.id
		RETURNING `+prefixed("m.", queueCols), qname, n, visibility.Microseconds())
	if err != nil {
		return nil, fmt.Errorf("postgres.Queue.Receive: %w", err)
	}
	slices.SortFunc(msgs, func(a, b qluster.Message) int {
		if c := a.ScheduleAt.Compare(b.ScheduleAt); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return msgs, nil
}

// Ack marks a received message done. When puts were folded into it since it
// was received, it ends the lease but leaves the message pending, due at the
// schedule the last put gave it, so the newer data is received too.
func (q *Queue) Ack(ctx context.Context, id int64, receipt int) error {
	return q.guarded(ctx, "Ack", id, receipt, `
		acknowledged = (put_count = received_put_count),
		expected_at = CASE WHEN put_count = received_put_count THEN expected_at END`)
}

// Retry ends the lease of a received message and makes it due again at `at`
// (or at the schedule of a put folded into it since, when that is earlier).
func (q *Queue) Retry(ctx context.Context, id int64, receipt int, at time.Time) error {
	return q.guarded(ctx, "Retry", id, receipt, `
		expected_at = NULL,
		schedule_at = CASE WHEN put_count = received_put_count THEN $3::timestamptz ELSE LEAST(schedule_at, $3::timestamptz) END`, at)
}

// Extend keeps the lease of a received message until `until`; an `until`
// already past ends the lease at once.
func (q *Queue) Extend(ctx context.Context, id int64, receipt int, until time.Time) error {
	return q.guarded(ctx, "Extend", id, receipt, `expected_at = $3::timestamptz`, until)
}

// guarded applies set (SQL of an UPDATE's SET, whose extra arguments are $3
// on) to message id when receipt is its receive count and it is not
// acknowledged; otherwise it says why nothing changed.
func (q *Queue) guarded(ctx context.Context, op string, id int64, receipt int, set string, args ...any) error {
	if receipt < 1 {
		return (&qluster.ValidationError{}).Add([]string{"receipt"}, "value_error",
			"postgres.Queue.%s: receipt must be the ReceiveCount of a received message (1 or more), got %d", op, receipt)
	}
	res, err := q.db.ExecContext(ctx, `UPDATE queue_messages SET `+set+`
		WHERE id = $1 AND receive_count = $2 AND NOT acknowledged`, append([]any{id, receipt}, args...)...)
	if err != nil {
		return fmt.Errorf("postgres.Queue.%s: %w", op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("postgres.Queue.%s: %w", op, err)
	}
	if n == 1 {
		return nil
	}
	var cur struct {
		Acknowledged bool `db:"acknowledged"`
		ReceiveCount int  `db:"receive_count"`
	}
	err = q.db.GetContext(ctx, &cur, `SELECT acknowledged, receive_count FROM queue_messages WHERE id = $1`, id)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return &qluster.NotFoundError{Kind: kindQueueMessage, Key: id}
	case err != nil:
		return fmt.Errorf("postgres.Queue.%s: %w", op, err)
	case cur.Acknowledged:
		return &qluster.ConflictError{Msg: fmt.Sprintf(
			"queue message %d is already acknowledged; %s changed nothing", id, op)}
	case cur.ReceiveCount != receipt:
		return &qluster.ConflictError{Msg: fmt.Sprintf(
			"queue message %d was received again since receipt %d (its receipt is now %d): another worker has it, so %s changed nothing; drop this work",
			id, receipt, cur.ReceiveCount, op)}
	}
	// It matched when read back: it changed and changed back in between,
	// which only a concurrent worker can do. Refuse rather than guess.
	return &qluster.ConflictError{Msg: fmt.Sprintf("queue message %d changed while %s ran; %s changed nothing", id, op, op)}
}

// ListQueueMessagesParams filters a list of queue messages.
type ListQueueMessagesParams struct {
	qluster.ListParams
	// Acknowledged keeps the done messages (true) or the pending ones (false).
	Acknowledged *bool
	// QName keeps the messages of this queue.
	QName *string
	// DataSourceModelID keeps the messages of this data source.
	DataSourceModelID *int64
}

// ListQueueMessages reads one page of queue messages, acknowledged or not.
func (s *Store) ListQueueMessages(ctx context.Context, p ListQueueMessagesParams) (qluster.Page[qluster.Message], error) {
	var fs []filter
	if p.Acknowledged != nil {
		fs = append(fs, filter{"acknowledged = ?", []any{*p.Acknowledged}})
	}
	if p.QName != nil {
		fs = append(fs, filter{"q_name = ?", []any{*p.QName}})
	}
	if p.DataSourceModelID != nil {
		fs = append(fs, filter{"data_source_model_id = ?", []any{*p.DataSourceModelID}})
	}
	page, err := listPage(ctx, s.db, "queue_messages", queueCols, "id", fs, p.ListParams,
		func(rows *sqlx.Rows) (qluster.Message, int64, error) {
			var m qluster.Message
			err := rows.StructScan(&m)
			return m, m.ID, err
		})
	if err != nil {
		var ve *qluster.ValidationError
		if errors.As(err, &ve) {
			return page, err
		}
		return page, fmt.Errorf("postgres.ListQueueMessages: %w", err)
	}
	return page, nil
}

// GetQueueMessage reads one queue message, acknowledged or not; an unknown id
// is a *qluster.NotFoundError.
func (s *Store) GetQueueMessage(ctx context.Context, id int64) (*qluster.Message, error) {
	var m qluster.Message
	err := s.db.GetContext(ctx, &m, `SELECT `+queueCols+` FROM queue_messages WHERE id = $1`, id)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, &qluster.NotFoundError{Kind: kindQueueMessage, Key: id}
	case err != nil:
		return nil, fmt.Errorf("postgres.GetQueueMessage: %w", err)
	}
	return &m, nil
}

// RescheduleQueueMessages makes the pending messages among ids due and
// visible now (schedule_at = now(), expected_at = NULL) and returns how many
// it rescheduled; acknowledged messages are left alone. A message a worker
// holds becomes receivable again at once: the worker's receipt is then
// superseded by the next receive, so its Ack will conflict.
//
// When some ids name no message, nothing changes and the error is a
// *qluster.NotFoundError whose Key is the []int64 of those ids, ascending.
func (s *Store) RescheduleQueueMessages(ctx context.Context, ids []int64) (int64, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	var n int64
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var missing []int64
		if err := tx.SelectContext(ctx, &missing, `SELECT DISTINCT i FROM unnest($1::bigint[]) AS i
			WHERE NOT EXISTS (SELECT 1 FROM queue_messages WHERE id = i) ORDER BY i`, ids); err != nil {
			return err
		}
		if len(missing) > 0 {
			return &qluster.NotFoundError{Kind: kindQueueMessage, Key: missing}
		}
		res, err := tx.ExecContext(ctx, `UPDATE queue_messages SET schedule_at = now(), expected_at = NULL
			WHERE id = ANY($1) AND NOT acknowledged`, ids)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		var nf *qluster.NotFoundError
		if errors.As(err, &nf) {
			return 0, err
		}
		return 0, fmt.Errorf("postgres.RescheduleQueueMessages: %w", err)
	}
	return n, nil
}

// prefixed qualifies each column of a comma-separated list with prefix.
func prefixed(prefix, cols string) string {
	parts := strings.Split(cols, ",")
	for i, c := range parts {
		parts[i] = prefix + strings.TrimSpace(c)
	}
	return strings.Join(parts, ", ")
}
