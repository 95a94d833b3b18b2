// Package channel holds the contract every channel implements: the event that travels through
// the agent, and the put and take transactions that give flumego its at-least-once delivery
// (DESIGN §1). Implementations live in sub-packages (channel/memory, channel/file); the
// conformance suite in channel/channeltest checks that each one keeps the contract.
package channel

import (
	"context"
	"errors"
	"fmt"
)

// Event is the unit that travels from a source to a sink: headers and a body, nothing else.
// Headers is nil when an event has none. Components that change an event (interceptors) may
// replace its Headers map, so a map must never be shared between two events.
type Event struct {
	Headers map[string]string
	Body    []byte
}

// SetHeader sets one header, allocating the map on first use.
func (e *Event) SetHeader(key, value string) {
	if e.Headers == nil {
		e.Headers = make(map[string]string, 4)
	}
	e.Headers[key] = value
}

// Size is the number of bytes an event counts against a channel's byte capacity: its body, like
// Flume's memory channel.
func (e *Event) Size() int { return len(e.Body) }

var (
	// ErrFull is returned by a put commit that found no room for its events within the channel's
	// keep-alive. The source keeps its events and retries later; nothing is dropped.
	ErrFull = errors.New("channel is full")
	// ErrTxFull is returned when a transaction would hold more events than the channel's
	// transaction capacity.
	ErrTxFull = errors.New("transaction capacity exceeded")
	// ErrTooLarge is returned by a put commit whose events could never fit, however much is
	// taken (their bytes exceed the channel's byte capacity). Like ErrTxFull it is permanent:
	// retrying the same put cannot succeed.
	ErrTooLarge = errors.New("put larger than the channel can ever hold")
	// ErrTxDone is returned by a transaction used after its Commit or Rollback.
	ErrTxDone = errors.New("transaction already finished")
	// ErrClosed is returned by a channel that has been closed.
	ErrClosed = errors.New("channel is closed")
)

// Channel buffers events between sources and sinks. Every method is safe for concurrent use by
// any number of putters and takers.
type Channel interface {
	// BeginPut starts a put transaction.
	BeginPut() PutTx
	// BeginTake starts a take transaction.
	BeginTake() TakeTx
	// Ready returns a channel that is closed (or receives) when events may have become
	// available to take since it was obtained, so an idle sink wakes at once instead of waiting
	// out its back-off. A nil channel (never ready) is allowed; takers then rely on polling.
	Ready() <-chan struct{}
	// Close releases the channel. A durable channel keeps what was not taken; a channel that
	// cannot keep events across a restart (memory) returns an *AbandonedError counting what it
	// held, so the agent can say how many events a stop lost. Close is safe twice; only the
	// first call reports.
	Close(ctx context.Context) error
}

// AbandonedError is what Close returns when the channel held events it cannot keep: they are
// lost. Events counts those queued and those taken but not committed.
type AbandonedError struct {
	Channel string
	Events  int64
	Bytes   int64
}

func (e *AbandonedError) Error() string {
	return fmt.Sprintf("channel %s closed holding %d events (%d bytes) it cannot keep; they are lost", e.Channel, e.Events, e.Bytes)
}

// PutTx is a put transaction: the events it stages become visible to takers all at once on
// Commit, or not at all. Rollback after Commit is a no-op, so `defer tx.Rollback()` is always
// safe; Commit and Rollback are idempotent.
type PutTx interface {
	// Put stages events. It returns ErrTxFull (wrapped) when the transaction would exceed the
	// channel's transaction capacity; the events already staged stay staged. The channel owns
	// the events after Put: the caller must not change their headers or bodies afterwards.
	Put(events ...Event) error
	// Commit makes the staged events visible to takers. It waits up to the channel's keep-alive,
	// or until ctx is done, for room and returns ErrFull (wrapped) if there was none; the
	// transaction is then rolled back.
	Commit(ctx context.Context) error
	// Rollback discards the staged events.
	Rollback()
}

// TakeTx is a take transaction: the events it hands out are removed for good on Commit, and
// returned to the head of the channel, in their order and ahead of newer events, on Rollback.
// Rollback after Commit is a no-op; Commit and Rollback are idempotent.
type TakeTx interface {
	// Take hands out up to max more events from the head of the channel without blocking; it
	// returns fewer, or none, when the channel holds fewer. The total taken in one transaction
	// is bounded by the transaction capacity (ErrTxFull, wrapped, once reached). The returned
	// slice is valid until the transaction ends.
	Take(max int) ([]Event, error)
	// Commit forgets the events taken.
	Commit(ctx context.Context) error
	// Rollback hands the events taken back to the head of the channel.
	Rollback()
}

// PutBatch puts events in one transaction: commit on success, roll back otherwise. It is the
// common path for anything that puts, kept to one call.
func PutBatch(ctx context.Context, ch Channel, events []Event) error {
	tx := ch.BeginPut()
	defer tx.Rollback()
	if err := tx.Put(events...); err != nil {
		return err
	}
	return tx.Commit(ctx)
}
