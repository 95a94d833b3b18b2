package interceptor

import (
	"errors"
	"strconv"
	"time"

	"github.com/flumego/flumego/channel"
)

// TimestampConfig configures the timestamp interceptor, Flume's TimestampInterceptor: it sets a
// header to the time the batch went through, in epoch milliseconds, which the hdfs sink's path
// escapes (%Y%m%d%H) read.
type TimestampConfig struct {
	// PreserveExisting keeps a header already set (by an upstream agent, say).
	PreserveExisting bool `hcl:"preserve_existing,optional"`
	// HeaderName is the header to set.
	HeaderName string `hcl:"header_name,optional"`
}

func defaultTimestamp() *TimestampConfig {
	return &TimestampConfig{HeaderName: "timestamp"}
}

// Validate reports every problem of the configuration.
func (c *TimestampConfig) Validate() error {
	return errors.Join(notEmpty("header_name", c.HeaderName))
}

// NewTimestampFactory returns the factory of the "timestamp" interceptor.
func NewTimestampFactory() Factory {
	return NewFactory("timestamp", defaultTimestamp, NewTimestamp, flumeTimestamp)
}

// NewTimestamp returns a timestamp interceptor.
func NewTimestamp(cfg *TimestampConfig, _ Settings) (Interceptor, error) {
	if err := cfg.Validate(); err != nil {
		return nil, createErr("interceptor", "timestamp", err)
	}
	return &timestamp{header: cfg.HeaderName, preserve: cfg.PreserveExisting, now: time.Now}, nil
}

type timestamp struct {
	header   string
	preserve bool
	now      func() time.Time
}

// Intercept stamps every event of the batch with one reading of the clock: Flume reads it per
// event, but a batch goes through in well under a millisecond, and one reading means one
// string shared by the whole batch instead of one per event.
func (t *timestamp) Intercept(events []channel.Event) []channel.Event {
	if len(events) == 0 {
		return events
	}
	now := strconv.FormatInt(t.now().UnixMilli(), 10)
	for i := range events {
		e := &events[i]
		if t.preserve {
			if _, ok := e.Headers[t.header]; ok {
				continue
			}
		}
		e.SetHeader(t.header, now)
	}
	return events
}
