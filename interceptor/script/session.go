package script

import (
	"errors"
	"fmt"
	"runtime/metrics"
	"sync"
	"time"

	"github.com/dop251/goja"
	"github.com/dop251/goja/file"
	"github.com/dop251/goja/parser"

	"github.com/flumego/flumego/channel"
)

// memCheckAfter is how long one call runs before the heap is sampled for max_memory.
const memCheckAfter = 10 * time.Millisecond

// The reasons a call is interrupted.
var (
	errTimeout = errors.New("timed out")
	errMemory  = errors.New("grew the heap beyond max_memory")
)

// session is one engine with the script loaded and the event object bound to it. One
// goroutine uses it at a time (a batch); only its watchdog runs beside it.
type session struct {
	cfg     *Config
	vm      *goja.Runtime
	process goja.Callable
	event   *goja.Object // the one JavaScript event object, bound to cur
	cur     *channel.Event
	dropped bool

	// The watchdog: while armed, a timer fires every tick and interrupts the call in progress
	// when it ran past the timeout or grew the heap past max_memory.
	tick  time.Duration
	timer *time.Timer
	mu    sync.Mutex
	armed bool
	busy  bool      // a call is in progress
	since time.Time // when it began
	call  uint64    // which call; the heap baseline belongs to one
	base  struct {  // the call's lowest heap sample
		call uint64
		heap uint64
	}
	interrupted bool // the engine was interrupted: throw it away
}

// newSession loads the script into a new engine: it runs the program, then register(params)
// and test() when the script defines them, each under the watchdog.
func newSession(cfg *Config) (*session, error) {
	s := &session{cfg: cfg, vm: goja.New(), tick: min(cfg.Timeout, memCheckAfter)}
	s.timer = time.AfterFunc(time.Hour, s.watch)
	s.timer.Stop()
	s.arm()
	defer s.disarm()
	if _, err := s.run(func() (goja.Value, error) { return s.vm.RunProgram(cfg.prog) }); err != nil {
		return nil, err
	}
	process, ok := goja.AssertFunction(s.vm.Get("process"))
	if !ok {
		return nil, errors.New("the script defines no function process(event)")
	}
	s.process = process
	if register, ok := goja.AssertFunction(s.vm.Get("register")); ok {
		params := goja.Undefined()
		if !cfg.Params.IsNull() {
			params = toJS(s.vm, cfg.Params)
		}
		if _, err := s.run(func() (goja.Value, error) { return register(goja.Undefined(), params) }); err != nil {
			return nil, fmt.Errorf("register(params): %w", err)
		}
	} else if !cfg.Params.IsNull() {
		return nil, &positioned{attr: "params", err: errors.New("params is set but the script defines no function register(params) to receive it")}
	}
	if test, ok := goja.AssertFunction(s.vm.Get("test")); ok {
		if _, err := s.run(func() (goja.Value, error) { return test(goja.Undefined()) }); err != nil {
			return nil, fmt.Errorf("test(): %w", err)
		}
	}
	s.event = s.newEventObject()
	return s, nil
}

// arm starts the watchdog for a batch of calls; disarm stops it.
func (s *session) arm() {
	s.mu.Lock()
	s.armed = true
	s.mu.Unlock()
	s.timer.Reset(s.tick)
}

func (s *session) disarm() {
	s.mu.Lock()
	s.armed = false
	s.mu.Unlock()
	s.timer.Stop()
}

// watch is the watchdog's tick.
func (s *session) watch() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.armed {
		return
	}
	if s.busy {
		switch ran := time.Since(s.since); {
		case ran >= s.cfg.Timeout:
			s.vm.Interrupt(errTimeout)
			s.interrupted = true
		case ran >= memCheckAfter:
			heap := heapBytes()
			if s.base.call != s.call || heap < s.base.heap {
				// The lowest sample of the call is its baseline: garbage left by earlier
				// work that a collection frees does not count against it.
				s.base.call, s.base.heap = s.call, heap
			} else if heap-s.base.heap > uint64(s.cfg.MaxMemory) {
				s.vm.Interrupt(errMemory)
				s.interrupted = true
			}
		}
	}
	s.timer.Reset(s.tick)
}

var heapSample = []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
var heapMu sync.Mutex

// heapBytes is the bytes of the process's heap objects, live and not yet swept.
func heapBytes() uint64 {
	heapMu.Lock()
	defer heapMu.Unlock()
	metrics.Read(heapSample)
	return heapSample[0].Value.Uint64()
}

// run makes one call under the watchdog (which must be armed).
func (s *session) run(fn func() (goja.Value, error)) (goja.Value, error) {
	s.begin()
	v, err := fn()
	return v, s.end(err)
}

// begin and end bracket one call. A stale interrupt, one that came as the previous call
// ended, is cleared first: the watchdog interrupts only while busy, so none can come between
// the clearing and the call. end turns an interruption into its reason.
func (s *session) begin() {
	s.vm.ClearInterrupt()
	s.mu.Lock()
	s.busy, s.since = true, time.Now()
	s.call++
	s.mu.Unlock()
}

func (s *session) end(err error) error {
	s.mu.Lock()
	s.busy = false
	s.mu.Unlock()
	var ie *goja.InterruptedError
	if errors.As(err, &ie) {
		if reason, ok := ie.Value().(error); ok {
			if reason == errTimeout {
				return fmt.Errorf("%w after %v", reason, s.cfg.Timeout)
			}
			return reason
		}
	}
	return err
}

// processEvent runs process on e. It reports whether the script dropped the event, and the
// call's error.
func (s *session) processEvent(e *channel.Event) (dropped bool, err error) {
	s.cur, s.dropped = e, false
	s.begin()
	v, err := s.process(goja.Undefined(), s.event)
	err = s.end(err)
	s.cur = nil
	if err == nil && v != nil && !goja.IsUndefined(v) && !goja.IsNull(v) && v != goja.Value(s.event) {
		err = fmt.Errorf("process returned %s; return nothing or the event (drop it with event.Cancel())", describe(v))
	}
	return s.dropped, err
}

func describe(v goja.Value) string {
	if o, ok := v.(*goja.Object); ok {
		return "another " + o.ClassName() + " than the event"
	}
	return fmt.Sprintf("%q (%s)", v.String(), v.ExportType())
}

// scriptPos is the place in the script an error is about: a syntax error's position, or the
// innermost frame of an exception thrown by the script.
func scriptPos(err error) (file.Position, bool) {
	var pe parser.ErrorList
	if errors.As(err, &pe) && len(pe) > 0 {
		return pe[0].Position, true
	}
	var se *goja.CompilerSyntaxError
	if errors.As(err, &se) && se.File != nil {
		return se.File.Position(se.Offset), true
	}
	var ex *goja.Exception
	if errors.As(err, &ex) {
		for _, f := range ex.Stack() {
			if p := f.Position(); p.Filename != "" && p.Line > 0 {
				return p, true
			}
		}
	}
	return file.Position{}, false
}

// compile parses and compiles a script; parsing apart keeps the syntax errors' positions.
func compile(name, code string) (*goja.Program, error) {
	ast, err := parser.ParseFile(nil, name, code, 0)
	if err != nil {
		return nil, err
	}
	return goja.CompileAST(ast, false)
}

// compileError says what is wrong with a script that does not compile, without the position
// goja writes into its message (the diagnostic carries it).
func compileError(err error) error {
	var pe parser.ErrorList
	if errors.As(err, &pe) && len(pe) > 0 {
		msg := "SyntaxError: " + pe[0].Message
		if len(pe) > 1 {
			msg += fmt.Sprintf(" (and %d more errors)", len(pe)-1)
		}
		return &syntaxError{msg: msg, err: err}
	}
	return err
}

type syntaxError struct {
	msg string
	err error
}

func (e *syntaxError) Error() string { return e.msg }
func (e *syntaxError) Unwrap() error { return e.err }
