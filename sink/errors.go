package sink

import (
	"errors"
	"fmt"
)

// PermanentError reports events that retrying can never deliver: no topic for the record, a
// record larger than the destination accepts, an event the serializer cannot encode, a
// destination that refuses it for good (a 4xx). The runner sets those events aside (dead-letter
// channel or drop, per the sink's on_permanent_error) and commits the take, so they never stall
// the events behind them.
//
// Events holds the indices, in the batch given to Write, of the events that failed for good;
// every other event of the batch was delivered. A nil Events means the whole batch failed for
// good. A sink that met both permanent and retryable failures in one batch returns the
// retryable error: the batch is rolled back and comes again, and the permanent failures are
// reported once the retryable ones have healed.
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

func errTypedConfig(typ string, cfg any) error {
	return fmt.Errorf("sink processor %s: unexpected config type %T", typ, cfg)
}
