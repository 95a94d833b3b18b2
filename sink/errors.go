package sink

import (
	"errors"
	"fmt"
	"slices"

	"github.com/flumego/flumego/channel"
)

// PermanentError reports events that retrying can never deliver: no topic for the record, a
// record larger than the destination accepts, an event the serializer cannot encode, a
// destination that refuses it for good (a 4xx). The runner sets those events aside (dead-letter
// channel or drop, per the sink's on_permanent_error) and commits the take, so they never stall
// the events behind them.
//
// Events holds the indices, in the batch given to Write, of the events that failed for good;
// every other event of the batch was delivered. A nil Events means the whole batch failed for
// good. Events that failed for different reasons are reported as errors.Join of one
// PermanentError per reason, so each event set aside carries its own error. A sink that met
// both permanent and retryable failures in one batch returns the retryable error alone: the
// batch is rolled back and comes again, and the permanent failures are reported once the
// retryable ones have healed. (An error that joins a PermanentError with any other error is
// retryable as a whole, for the same reason.)
type PermanentError struct {
	Err    error
	Events []int
}

func (e *PermanentError) Error() string {
	if e.Events == nil {
		return "permanent: " + e.Err.Error()
	}
	return fmt.Sprintf("permanent for %d event(s): %v", len(e.Events), e.Err)
}

func (e *PermanentError) Unwrap() error { return e.Err }

// Permanent marks err as one that retrying cannot heal, for the events of the batch at the
// given indices, or for the whole batch when none are given. Permanent(nil) is nil.
func Permanent(err error, events ...int) error {
	if err == nil {
		return nil
	}
	if len(events) == 0 {
		events = nil
	}
	return &PermanentError{Err: err, Events: events}
}

// AsPermanent returns the PermanentError in err's chain, if there is one.
func AsPermanent(err error) (*PermanentError, bool) {
	var pe *PermanentError
	ok := errors.As(err, &pe)
	return pe, ok
}

// IsPermanent reports whether err, or an error it wraps, is permanent.
func IsPermanent(err error) bool {
	_, ok := AsPermanent(err)
	return ok
}

// Refusals collects, during one Write, the events a sink refuses for good, grouped by error
// text, and makes the error that reports them: one PermanentError per distinct error, joined.
// The zero value is ready to use; Reset empties it for the next Write, keeping its memory.
type Refusals struct {
	errs   []error
	events [][]int
	byText map[string]int
	n      int
}

// Add records that the event at index i of the batch was refused for good because of err.
func (r *Refusals) Add(err error, i int) {
	text := err.Error()
	k, ok := r.byText[text]
	if !ok {
		if r.byText == nil {
			r.byText = map[string]int{}
		}
		k = len(r.errs)
		r.byText[text] = k
		r.errs = append(r.errs, err)
		if k < len(r.events) {
			r.events[k] = r.events[k][:0]
		} else {
			r.events = append(r.events, nil)
		}
	}
	r.events[k] = append(r.events[k], i)
	r.n++
}

// Len is the number of events refused.
func (r *Refusals) Len() int { return r.n }

// Err returns the error reporting every event refused, nil when none was.
func (r *Refusals) Err() error {
	if r.n == 0 {
		return nil
	}
	parts := make([]error, len(r.errs))
	for k, err := range r.errs {
		parts[k] = Permanent(err, slices.Clone(r.events[k])...)
	}
	if len(parts) == 1 {
		return parts[0]
	}
	return errors.Join(parts...)
}

// Reset forgets the refusals, for the next Write.
func (r *Refusals) Reset() {
	clear(r.errs)
	r.errs = r.errs[:0]
	clear(r.byText)
	r.n = 0
}

// OnPermanentError is what a sink's runner does with the events the sink refused for good.
type OnPermanentError string

const (
	// DeadLetter puts them into the sink's dead-letter channel, each with the DeadLetter*
	// headers, in one transaction before the take commits.
	DeadLetter OnPermanentError = "dead_letter"
	// Drop drops them, counted in EventDroppedCount.
	Drop OnPermanentError = "drop"
)

// The headers a dead-lettered event gains, beside its own: the sink that refused it, why, and
// when (RFC 3339, UTC, milliseconds). A sink draining the dead-letter channel can write them
// out (logger, file_roll with a serializer that shows headers), or a replay can route on them.
const (
	HeaderDeadLetterSink  = "flumego.dead_letter.sink"
	HeaderDeadLetterError = "flumego.dead_letter.error"
	HeaderDeadLetterTime  = "flumego.dead_letter.time"
)

// SetAside is what the runner does with the events a sink refuses for good.
type SetAside struct {
	// Policy is DeadLetter or Drop; empty means Drop.
	Policy OnPermanentError
	// Channel and ChannelName are the dead-letter channel, with DeadLetter.
	Channel     channel.Channel
	ChannelName string
}

// permanentParts returns the PermanentErrors err is made of, or false when err holds any
// other error (then the whole batch is retried).
func permanentParts(err error) ([]*PermanentError, bool) {
	var parts []*PermanentError
	var walk func(error) bool
	walk = func(err error) bool {
		switch e := err.(type) {
		case *PermanentError:
			parts = append(parts, e)
			return true
		case interface{ Unwrap() []error }:
			errs := e.Unwrap()
			for _, inner := range errs {
				if !walk(inner) {
					return false
				}
			}
			return len(errs) > 0
		case interface{ Unwrap() error }:
			inner := e.Unwrap()
			return inner != nil && walk(inner)
		}
		return false
	}
	if err == nil || !walk(err) {
		return nil, false
	}
	return parts, true
}

// refusals returns, for the parts of a Write's permanent error over n events, which part
// refused each event (its index in parts, -1 for an event that was delivered) and how many
// events were refused. Indices out of range are ignored; an event named twice keeps its first
// part.
func refusals(parts []*PermanentError, n int) ([]int, int) {
	by := make([]int, n)
	for i := range by {
		by[i] = -1
	}
	k := 0
	for pi, p := range parts {
		if p.Events == nil {
			for i := range by {
				if by[i] < 0 {
					by[i] = pi
					k++
				}
			}
			continue
		}
		for _, i := range p.Events {
			if i >= 0 && i < n && by[i] < 0 {
				by[i] = pi
				k++
			}
		}
	}
	return by, k
}

// memberError is a member's failed write. Its text names the member; the runner finds in it the
// member whose counters and on_permanent_error apply to the events it refused.
type memberError struct {
	m   Member
	err error
}

func (e *memberError) Error() string { return "sink " + e.m.Name + ": " + e.err.Error() }
func (e *memberError) Unwrap() error { return e.err }

func errTypedConfig(typ string, cfg any) error {
	return fmt.Errorf("sink processor %s: unexpected config type %T", typ, cfg)
}
