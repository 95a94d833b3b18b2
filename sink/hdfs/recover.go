package hdfs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/flumego/flumego/internal/backoff"
)

// maxRecoveryDepth bounds the directory walk when a header escape in the path may expand to
// several levels.
const maxRecoveryDepth = 16

// recoverLoop finishes the in-use files a previous run left, retrying with back-off while the
// file system is unreachable, until it succeeds or the sink closes.
func (s *Sink) recoverLoop() {
	defer s.bg.Done()
	bo := backoff.New(time.Second, time.Minute)
	for failures := 0; ; failures++ {
		err := s.recoverInUse(s.bgCtx)
		if err == nil || s.bgCtx.Err() != nil {
			if failures > 0 && err == nil {
				s.log.Info("recovery of in-use files succeeded")
			}
			return
		}
		if failures == 0 {
			s.log.Warn("recovery of in-use files failed; retrying", "err", err)
		}
		if bo.Wait(s.bgCtx, nil) != nil {
			return
		}
	}
}

// inUsePattern matches the full path of this sink's in-use files: its directory template, then
// in_use_prefix, file_prefix, ".", the counter, the suffix (or codec extension) and
// in_use_suffix. Groups: 1 the directory, 2 the name before the counter, 3 the counter, 4 the
// rest of the final name.
func (s *Sink) inUsePattern() *regexp.Regexp {
	suffix := regexp.QuoteMeta(s.codec.Ext())
	if s.cfg.FileSuffix != "" {
		suffix = s.suffixT.Regexp(&s.host)
	}
	return regexp.MustCompile("^(" + s.dirT.Regexp(&s.host) + ")/" + regexp.QuoteMeta(s.cfg.InUsePrefix) +
		"(" + s.prefixT.Regexp(&s.host) + `)\.(\d+)(` + suffix + ")" + regexp.QuoteMeta(s.cfg.InUseSuffix) + "$")
}

// recoveryRoot is the deepest directory every expansion of the path lies under, and how deep
// below it the files can be (-1: unknown, a header may hold '/').
func (s *Sink) recoveryRoot() (string, int) {
	dir := s.dirT.String()
	lit := s.dirT.LiteralPrefix()
	if s.dirT.IsLiteral() {
		return cleanDir(dir), 0
	}
	root := lit[:strings.LastIndexByte(lit, '/')+1]
	depth := strings.Count(dir[len(root):], "/") + 1
	if s.dirT.UsesHeaders() {
		depth = -1
	}
	return cleanDir(root), depth
}

// recoverInUse lists this sink's in-use files and finishes those no live writer holds.
func (s *Sink) recoverInUse(ctx context.Context) error {
	root, depth := s.recoveryRoot()
	re := s.inUsePattern()
	var found []string
	var walk func(dir string, level int) error
	walk = func(dir string, level int) error {
		cctx, cancel := s.callCtx(ctx)
		entries, err := s.fs.ReadDir(cctx, dir)
		cancel()
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("list %s%s: %w", s.where, dir, err)
		}
		for _, e := range entries {
			p := strings.TrimSuffix(dir, "/") + "/" + e.Name
			if e.Dir {
				if depth < 0 && level < maxRecoveryDepth || level < depth {
					if err := walk(p, level+1); err != nil {
						return err
					}
				}
				continue
			}
			if re.MatchString(p) {
				found = append(found, p)
			}
		}
		return nil
	}
	if err := walk(root, 0); err != nil {
		return err
	}
	var errs []error
	for _, p := range found {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if s.isMine(p) || s.fs.InUse(p) {
			continue
		}
		if err := s.recoverFile(ctx, p, re.FindStringSubmatch(p)); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// recoverFile cuts a torn in-use file back to its last whole unit and renames it; a file with
// nothing whole in it is removed.
func (s *Sink) recoverFile(ctx context.Context, p string, m []string) error {
	valid, total, events, err := s.validPrefix(ctx, p)
	if err != nil {
		return fmt.Errorf("recover %s%s: read: %w", s.where, p, err)
	}
	cctx, cancel := s.callCtx(ctx)
	defer cancel()
	if events == 0 {
		if err := s.fs.Remove(cctx, p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("recover %s%s: remove: %w", s.where, p, err)
		}
		s.recovered.Inc()
		s.log.Info("removed an in-use file with nothing whole in it, left by an earlier run", "path", p, "bytes", total)
		return nil
	}
	if valid < total {
		if err := s.fs.Truncate(cctx, p, valid); err != nil {
			return fmt.Errorf("recover %s%s: cut the torn tail: %w", s.where, p, err)
		}
	}
	b := &bucket{dir: m[1], prefix: m[2], suffix: m[4], tmp: p}
	b.counter, _ = strconv.ParseInt(m[3], 10, 64)
	name := b.prefix + "." + m[3] + b.suffix
	b.final = b.dir + "/" + name
	if err := s.rename(cctx, b); err != nil {
		return fmt.Errorf("recover: %w", err)
	}
	s.recovered.Inc()
	s.log.Info("finished an in-use file left by an earlier run", "path", b.final, "kept_bytes", valid, "cut_bytes", total-valid)
	return nil
}

// validPrefix reads a file and returns how much of it is whole (ends with a complete line,
// Avro block or codec unit), its length as read, and whether anything whole is in it (events >
// 0; text without newlines counts bytes).
func (s *Sink) validPrefix(ctx context.Context, p string) (valid, total int64, events int, err error) {
	cctx, cancel := context.WithTimeout(ctx, 10*s.cfg.CallTimeout)
	defer cancel()
	r, err := s.fs.Open(cctx, p, 0)
	if err != nil {
		return 0, 0, 0, err
	}
	defer r.Close()
	cr := &countingReader{r: r}
	switch {
	case s.compressed:
		valid, err = validUnits(s.codec, cr)
		events = int(min(valid, 1))
	default:
		var any bool
		valid, any, err = s.ser.ValidPrefix(cr)
		if any {
			events = 1
		}
	}
	if err != nil {
		return 0, 0, 0, err
	}
	// Read to the end: the file's length is what is there, not what a listing said.
	if _, err := io.Copy(io.Discard, cr); err != nil {
		return 0, 0, 0, err
	}
	return valid, cr.n, events, nil
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
