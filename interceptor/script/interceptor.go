package script

import (
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/flumego/flumego/channel"
	"github.com/flumego/flumego/interceptor"
	"github.com/flumego/flumego/metrics"
)

// errorLogEvery is how often script errors are logged at most, after the first.
const errorLogEvery = time.Minute

// scriptInterceptor runs the script over each batch on an engine from its pool.
type scriptInterceptor struct {
	cfg  *Config
	idle chan *session // up to max_cached_sessions idle engines
	log  *slog.Logger

	errs, timeouts, dropped, cancelled *metrics.Counter

	logMu      sync.Mutex
	loggedAt   time.Time
	suppressed int // errors since the last one logged
}

// New returns a script interceptor for a config that Decode returned (compiled and tested).
func New(cfg *Config, set interceptor.Settings) (interceptor.Interceptor, error) {
	if cfg.prog == nil {
		return nil, errors.New("script: the config was not loaded through the factory's Decode")
	}
	log := set.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ic := &scriptInterceptor{
		cfg: cfg, idle: make(chan *session, cfg.MaxCachedSessions), log: log,
		errs: set.Counter("ScriptErrorCount"), timeouts: set.Counter("ScriptTimeoutCount"),
		dropped: set.Counter("ScriptDroppedCount"), cancelled: set.Counter("ScriptCancelledCount"),
	}
	// One engine now, so a script that loaded in Decode but cannot start here fails the build.
	s, err := newSession(cfg)
	if err != nil {
		return nil, fmt.Errorf("script: %w", err)
	}
	ic.idle <- s
	return ic, nil
}

// Intercept runs process over every event and returns those neither cancelled nor dropped.
func (ic *scriptInterceptor) Intercept(events []channel.Event) []channel.Event {
	s, err := ic.session()
	if err != nil {
		return ic.failAll(events, err)
	}
	s.arm()
	out := events[:0]
	for i := range events {
		if ic.processOne(s, &events[i]) {
			out = append(out, events[i])
		}
		if s.interrupted { // a fresh engine for the rest: this one may hold what ran away
			s.disarm()
			if s, err = ic.session(); err != nil {
				return append(out, ic.failAll(events[i+1:], err)...)
			}
			s.arm()
		}
	}
	// Clear what no longer belongs to the batch, so no event's data stays reachable.
	clear(events[len(out):])
	s.disarm()
	select {
	case ic.idle <- s:
	default: // enough idle engines
	}
	return out
}

// failAll handles events no engine could be made for (which cannot happen for a script that
// loaded once, short of running out of memory) as failed calls.
func (ic *scriptInterceptor) failAll(events []channel.Event, err error) []channel.Event {
	for range events {
		ic.failed(err)
	}
	if ic.cfg.OnError == Drop {
		ic.dropped.Add(int64(len(events)))
		return events[:0]
	}
	for i := range events {
		ic.tag(&events[i], err)
	}
	return events
}

// processOne runs process on e, counts what came of it and reports whether e is kept.
func (ic *scriptInterceptor) processOne(s *session, e *channel.Event) bool {
	drop, err := s.processEvent(e)
	switch {
	case err == nil && drop:
		ic.cancelled.Inc()
		return false
	case err == nil:
		return true
	}
	ic.failed(err)
	if errors.Is(err, errTimeout) {
		ic.timeouts.Inc()
	}
	if ic.cfg.OnError == Drop {
		ic.dropped.Inc()
		return false
	}
	ic.tag(e, err)
	return true
}

// session takes an idle engine or makes a new one.
func (ic *scriptInterceptor) session() (*session, error) {
	select {
	case s := <-ic.idle:
		return s, nil
	default:
		return newSession(ic.cfg)
	}
}

// tag marks a kept event whose call failed.
func (ic *scriptInterceptor) tag(e *channel.Event, err error) {
	if t := ic.cfg.TagOnException; t != "" {
		addToList(e, tagsField, t)
	}
	e.SetHeader("error.message", err.Error())
}

// failed counts an error and logs it: the first at once, then at most once per errorLogEvery
// with how many came since.
func (ic *scriptInterceptor) failed(err error) {
	ic.errs.Inc()
	ic.logMu.Lock()
	defer ic.logMu.Unlock()
	now := time.Now()
	if !ic.loggedAt.IsZero() && now.Sub(ic.loggedAt) < errorLogEvery {
		ic.suppressed++
		return
	}
	args := []any{"on_error", string(ic.cfg.OnError), "err", err}
	if ic.suppressed > 0 {
		args = append(args, "errors_since_last_logged", ic.suppressed)
	}
	ic.log.Warn("script failed on an event", args...)
	ic.loggedAt, ic.suppressed = now, 0
}

// runTest runs one test block's event through the script and compares the result.
func (s *session) runTest(t Test) error {
	e := channel.Event{}
	for k, v := range t.Input {
		if k == messageField {
			e.Body = []byte(v)
		} else {
			e.SetHeader(k, v)
		}
	}
	s.arm()
	dropped, err := s.processEvent(&e)
	s.disarm()
	switch {
	case err != nil:
		return err
	case t.Dropped && !dropped:
		return errors.New("the event was kept, want it dropped")
	case t.Dropped:
		return nil
	case dropped:
		return errors.New("the event was dropped, want it kept")
	}
	got := maps.Clone(e.Headers)
	if got == nil {
		got = map[string]string{}
	}
	if e.Body != nil {
		got[messageField] = string(e.Body)
	}
	var diffs []string
	for k, want := range t.Expect {
		if v, ok := got[k]; !ok {
			diffs = append(diffs, fmt.Sprintf("%s is missing, want %q", k, want))
		} else if v != want {
			diffs = append(diffs, fmt.Sprintf("%s = %q, want %q", k, v, want))
		}
	}
	for k, v := range got {
		if _, ok := t.Expect[k]; !ok {
			diffs = append(diffs, fmt.Sprintf("%s = %q is not expected", k, v))
		}
	}
	if len(diffs) > 0 {
		sort.Strings(diffs)
		return errors.New(strings.Join(diffs, "; "))
	}
	return nil
}
