package qluster

import (
	"context"
	"encoding/json"
	"time"
)

// Message is one unit of work waiting on, or taken from, a queue.
type Message struct {
	ID int64 `json:"id" db:"id"`
	// QName is the queue the message is on (e.g. "training", "ingestion").
	QName string `json:"q_name" db:"q_name"`
	// Key, when set, identifies the work: a queue holds at most one pending
	// message per key.
	Key *string `json:"key" db:"key"`
	// Data is the job's input.
	Data json.RawMessage `json:"data" db:"data"`
	// DataSourceModelID is the data source the work belongs to, if any.
	DataSourceModelID *int64 `json:"data_source_model_id" db:"data_source_model_id"`
	// ScheduleAt is when the message becomes due.
	ScheduleAt time.Time `json:"schedule_at" db:"schedule_at"`
	// ExpectedAt is when a received message becomes visible again unless it
	// is acknowledged (or its lease extended) first.
	ExpectedAt *time.Time `json:"expected_at" db:"expected_at"`
	EnqueuedAt time.Time  `json:"enqueued_at" db:"enqueued_at"`
	DequeuedAt *time.Time `json:"dequeued_at" db:"dequeued_at"`
	// Acknowledged is true once the work is done.
	Acknowledged bool `json:"acknowledged" db:"acknowledged"`
	// PutCount counts the puts folded into this message (one per Put with its key).
	PutCount int `json:"put_count" db:"put_count"`
	// ReceiveCount counts the receives; it is also the receipt that Ack,
	// Retry and Extend must name, so a worker whose lease lapsed cannot
	// acknowledge work another worker has taken since.
	ReceiveCount int `json:"receive_count" db:"receive_count"`
}

// PutParams is one message to enqueue.
type PutParams struct {
	// QName is the queue. Required.
	QName string
	// Key makes the put idempotent: when a pending message of QName has this
	// key, its data and schedule are replaced and its put_count bumped
	// instead of a second message being added. Empty means no key.
	Key string
	// Data is marshalled to JSON as the message's data; it must marshal to
	// a JSON object (a struct or a map). Nil means {}.
	Data any
	// ScheduleAt is when the message becomes due; zero means now.
	ScheduleAt time.Time
	// DataSourceModelID ties the message to a data source, for listing.
	DataSourceModelID *int64
}

// Queue is a durable work queue shared by any number of workers in any
// number of processes.
//
// A received message is leased: invisible to other receivers until its
// ExpectedAt. The worker acknowledges it when done, retries it for later on
// failure, or extends the lease while it works; a worker that dies simply
// lets the lease lapse and the message is received again. Work must
// therefore be idempotent: a message can run more than once, never twice at
// the same time while its lease is kept.
//
// Ack, Retry and Extend take the receipt (the ReceiveCount the worker got)
// and return a *ConflictError (errors.Is ErrConflict) when the message was
// received again since or is already acknowledged, and a *NotFoundError
// (errors.Is ErrNotFound) when no message has the id; either way nothing
// changes. A receipt stays valid until the next receive, even after its lease
// lapsed.
//
// A put folded into a message while a worker holds it is not lost: the
// worker's Ack ends the lease but leaves the message pending with the new
// data, due at the schedule of that put, and Retry makes it due at the
// earlier of `at` and that schedule.
//
// Implementations decide due times and lapsed leases by one clock shared by
// all their workers (the database's, for a database), so that workers whose
// clocks disagree still agree. Every implementation runs
// qlustertest.RunQueueTests.
type Queue interface {
	// Put enqueues a message (or folds it into the pending one with its key)
	// and returns it as stored. An empty QName, or Data that is not a JSON
	// object, is a *ValidationError.
	Put(ctx context.Context, p PutParams) (*Message, error)
	// Receive leases up to n due messages of qname for the visibility
	// duration, oldest schedule first (ties by id), bumping the ReceiveCount
	// of each. It returns an empty slice, not an error, when nothing is due.
	// n must be at least 1 and visibility positive.
	Receive(ctx context.Context, qname string, n int, visibility time.Duration) ([]Message, error)
	// Ack marks a received message done.
	Ack(ctx context.Context, id int64, receipt int) error
	// Retry ends the lease and makes the message due again at `at`.
	Retry(ctx context.Context, id int64, receipt int, at time.Time) error
	// Extend keeps the lease until `until`; an `until` already past ends it.
	Extend(ctx context.Context, id int64, receipt int, until time.Time) error
}
