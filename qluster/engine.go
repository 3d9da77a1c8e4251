package qluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"
)

// The queues the engine's workers serve.
const (
	// QueueFiles holds stored items to route: to training or to ingestion.
	QueueFiles = "files"
	// QueueTraining holds training jobs to run.
	QueueTraining = "training"
	// QueueMigrations holds migrations to apply (at their window).
	QueueMigrations = "migrations"
	// QueueIngestion holds ingestion jobs to run.
	QueueIngestion = "ingestion"
)

// Config configures an Engine. Required fields say so; every other field has
// the default its comment names.
type Config struct {
	// Store is the metadata store. Required.
	Store Store
	// Queue carries the engine's jobs. Required.
	Queue Queue
	// Codec wraps and unwraps backup bytes (compression, encryption). Required.
	Codec Codec
	// OpenBackup opens the backup storage of a set of backup settings. Required.
	OpenBackup func(ctx context.Context, b *BackupSettings) (Backup, error)
	// OpenDestination connects to a destination. Required. The engine closes
	// what it opens.
	OpenDestination func(ctx context.Context, d *DestinationModel) (Destination, error)
	// OpenSource connects to the source of a data source, for the sensors
	// that poll it. Nil: data sources are only fed by uploads.
	OpenSource func(ctx context.Context, d *DataSource) (Source, error)
	// Workers is how many jobs Start runs at once. Default 2.
	Workers int
	// PollInterval is how long an idle worker waits before looking for work
	// again. Default 250ms.
	PollInterval time.Duration
	// Lease is how long a received job stays invisible to other workers; a
	// running job extends it every Lease/3. Default 2m.
	Lease time.Duration
	// TrainingDelay is how long a training job waits for more files of its
	// dataset before it starts. Default 2s.
	TrainingDelay time.Duration
	// Logger receives the engine's log. Default slog.Default().
	Logger *slog.Logger
	// Test holds knobs for tests.
	Test TestConfig
}

// TestConfig holds knobs for tests.
type TestConfig struct {
	// Now replaces the clock. Default time.Now.
	Now func() time.Time
}

// WithDefaults returns a copy of c with every unset field at its default.
func (c Config) WithDefaults() Config {
	if c.Workers == 0 {
		c.Workers = 2
	}
	if c.PollInterval == 0 {
		c.PollInterval = 250 * time.Millisecond
	}
	if c.Lease == 0 {
		c.Lease = 2 * time.Minute
	}
	if c.TrainingDelay == 0 {
		c.TrainingDelay = 2 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Test.Now == nil {
		c.Test.Now = time.Now
	}
	return c
}

func (c Config) validate() error {
	switch {
	case c.Store == nil:
		return errors.New("qluster.New: Config.Store is required")
	case c.Queue == nil:
		return errors.New("qluster.New: Config.Queue is required")
	case c.Codec == nil:
		return errors.New("qluster.New: Config.Codec is required")
	case c.OpenBackup == nil:
		return errors.New("qluster.New: Config.OpenBackup is required")
	case c.OpenDestination == nil:
		return errors.New("qluster.New: Config.OpenDestination is required")
	case c.Workers < 0:
		return fmt.Errorf("qluster.New: Config.Workers must be 0 or more, got %d", c.Workers)
	}
	return nil
}

// Engine learns datasets, shapes their tables and loads their files. Its
// methods are safe for concurrent use; any number of engines (in any number
// of processes) may share one Store and Queue.
type Engine struct {
	cfg      Config
	store    Store
	queue    Queue
	log      *slog.Logger
	handlers map[string]func(ctx context.Context, data json.RawMessage) error

	mu      sync.Mutex
	stop    context.CancelFunc // stops taking new work
	cancel  context.CancelFunc // cancels work in flight
	running sync.WaitGroup
}

// New makes an Engine from cfg after applying its defaults.
func New(cfg *Config) (*Engine, error) {
	if cfg == nil {
		return nil, errors.New("qluster.New: nil Config")
	}
	c := cfg.WithDefaults()
	if err := c.validate(); err != nil {
		return nil, err
	}
	e := &Engine{cfg: c, store: c.Store, queue: c.Queue, log: c.Logger}
	e.handlers = map[string]func(context.Context, json.RawMessage) error{
		QueueFiles:      e.handleFile,
		QueueTraining:   e.handleTraining,
		QueueMigrations: e.handleMigration,
		QueueIngestion:  e.handleIngestion,
		QueueSensors:    e.handleSensor,
	}
	return e, nil
}

// Handle registers the handler of a queue's messages, replacing the
// engine's own. Call it before Start.
func (e *Engine) Handle(qname string, h func(ctx context.Context, data json.RawMessage) error) {
	e.handlers[qname] = h
}

func (e *Engine) now() time.Time { return e.cfg.Test.Now() }

// Start runs the workers until Stop. It returns at once.
func (e *Engine) Start(ctx context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.stop != nil {
		return errors.New("qluster: engine already started")
	}
	if err := e.scheduleAll(ctx); err != nil {
		return err
	}
	work, cancel := context.WithCancel(context.WithoutCancel(ctx))
	poll, stop := context.WithCancel(ctx)
	e.stop, e.cancel = stop, cancel
	for i := 0; i < e.cfg.Workers; i++ {
		e.running.Add(1)
		go e.worker(poll, work, i)
	}
	return nil
}

// Stop stops taking work and waits for the jobs in flight to finish, until
// ctx is done; then it cancels them, which hands their messages back to the
// queue, and returns ctx's error.
func (e *Engine) Stop(ctx context.Context) error {
	e.mu.Lock()
	stop, cancel := e.stop, e.cancel
	e.mu.Unlock()
	if stop == nil {
		return nil
	}
	stop()
	done := make(chan struct{})
	go func() { e.running.Wait(); close(done) }()
	select {
	case <-done:
		cancel()
		return nil
	case <-ctx.Done():
		cancel()
		<-done
		return ctx.Err()
	}
}

// StopAndCancel cancels the jobs in flight at once and waits for the workers to return.
func (e *Engine) StopAndCancel(ctx context.Context) error {
	e.mu.Lock()
	stop, cancel := e.stop, e.cancel
	e.mu.Unlock()
	if stop == nil {
		return nil
	}
	stop()
	cancel()
	e.running.Wait()
	return nil
}

// queues are served in this order by every worker.
var queueOrder = []string{QueueMigrations, QueueTraining, QueueFiles, QueueIngestion, QueueSensors}

func (e *Engine) worker(poll, work context.Context, n int) {
	defer e.running.Done()
	for poll.Err() == nil {
		did := false
		for _, q := range queueOrder {
			if _, ok := e.handlers[q]; !ok || poll.Err() != nil {
				continue
			}
			ok, err := e.RunOne(work, q)
			if err != nil && poll.Err() == nil {
				e.log.Warn("queue receive failed", "queue", q, "worker", n, "err", err)
			}
			did = did || ok
		}
		if !did {
			select {
			case <-poll.Done():
			case <-time.After(e.cfg.PollInterval):
			}
		}
	}
}

// RunOne receives one due message of queue qname and runs its handler. It
// reports whether a message was run. The error is the queue's; a handler's
// failure is recorded as a fatal error and the message retried with backoff.
func (e *Engine) RunOne(ctx context.Context, qname string) (bool, error) {
	msgs, err := e.queue.Receive(ctx, qname, 1, e.cfg.Lease)
	if err != nil || len(msgs) == 0 {
		return false, err
	}
	m := msgs[0]
	h := e.handlers[qname]
	jobCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	// Keep the lease while the job runs.
	go func() {
		t := time.NewTicker(e.cfg.Lease / 3)
		defer t.Stop()
		for {
			select {
			case <-jobCtx.Done():
				return
			case <-t.C:
				if err := e.queue.Extend(jobCtx, m.ID, m.ReceiveCount, time.Now().Add(e.cfg.Lease)); err != nil && jobCtx.Err() == nil {
					e.log.Warn("lost the lease of a job", "queue", qname, "msg", m.ID, "err", err)
					cancel()
					return
				}
			}
		}
	}()
	err = e.safely(jobCtx, h, m.Data)
	cancel()
	bg := context.WithoutCancel(ctx)
	switch {
	case err == nil:
		return true, e.queue.Ack(bg, m.ID, m.ReceiveCount)
	case ctx.Err() != nil:
		// Stopping: hand the message back at once.
		return true, e.queue.Retry(bg, m.ID, m.ReceiveCount, time.Now())
	}
	e.recordFailure(bg, qname, m, err)
	if m.ReceiveCount > e.maxRetries(bg, m) {
		e.log.Error("job failed for good", "queue", qname, "msg", m.ID, "tries", m.ReceiveCount, "err", err)
		return true, e.queue.Ack(bg, m.ID, m.ReceiveCount)
	}
	backoff := time.Duration(1<<min(m.ReceiveCount, 10)) * time.Second
	e.log.Warn("job failed; retrying", "queue", qname, "msg", m.ID, "try", m.ReceiveCount, "in", backoff, "err", err)
	return true, e.queue.Retry(bg, m.ID, m.ReceiveCount, time.Now().Add(backoff))
}

// jobError carries the stack of a panicking job.
type jobError struct {
	err   error
	stack string
}

func (j *jobError) Error() string { return j.err.Error() }
func (j *jobError) Unwrap() error { return j.err }

// safely runs h, turning a panic into an error with its stack.
func (e *Engine) safely(ctx context.Context, h func(context.Context, json.RawMessage) error, data json.RawMessage) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &jobError{err: fmt.Errorf("panic: %v", r), stack: string(debug.Stack())}
		}
	}()
	if err := h(ctx, data); err != nil {
		var je *jobError
		if !errors.As(err, &je) {
			return &jobError{err: err, stack: string(debug.Stack())}
		}
		return err
	}
	return nil
}

// jobRef is what every job's data names, for retries and error reports.
type jobRef struct {
	DatasetID    int64 `json:"dataset_id"`
	StoredItemID int64 `json:"stored_item_id,omitempty"`
}

// maxRetries is the dataset's max_retry_count for the message's work (3 when unknown).
func (e *Engine) maxRetries(ctx context.Context, m Message) int {
	var ref jobRef
	if json.Unmarshal(m.Data, &ref) == nil && ref.DatasetID != 0 {
		if d, err := e.store.GetDataset(ctx, ref.DatasetID); err == nil {
			return int(d.MaxRetryCount)
		}
	}
	return 3
}

// recordFailure keeps a failure that escaped a job as a fatal error,
// aggregated by job name and error.
func (e *Engine) recordFailure(ctx context.Context, qname string, m Message, err error) {
	stack := ""
	var je *jobError
	if errors.As(err, &je) {
		stack = je.stack
	}
	var ref jobRef
	json.Unmarshal(m.Data, &ref) //nolint:errcheck
	fe := &FatalError{JobName: qname, JobType: JobTypeJob, Error: err.Error(), Module: "qluster/" + qname,
		Msg: fmt.Sprintf("a %s job failed on try %d", qname, m.ReceiveCount), StackTrace: stack,
		DataSourceModelID: m.DataSourceModelID, MetaData: map[string]any{"queue_message_id": m.ID}}
	if ref.StoredItemID != 0 {
		fe.StoredItemID = &ref.StoredItemID
	}
	if ref.DatasetID != 0 {
		fe.DatasetID = &ref.DatasetID
	}
	if _, ferr := e.store.CreateFatalError(ctx, fe); ferr != nil {
		e.log.Error("could not record a fatal error", "err", ferr, "job_err", err)
	}
}

// put enqueues a message, logging nothing: callers return its error.
func (e *Engine) put(ctx context.Context, q, key string, data any, at time.Time, src *int64) error {
	_, err := e.queue.Put(ctx, PutParams{QName: q, Key: key, Data: data, ScheduleAt: at, DataSourceModelID: src})
	return err
}
