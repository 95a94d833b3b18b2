// Package webhdfs is the webhdfs:// (and swebhdfs://) file system of the hdfs sink: a client of
// the WebHDFS REST API (https://hadoop.apache.org/docs/stable/hadoop-project-dist/hadoop-hdfs/WebHDFS.html),
// which namenodes and HttpFS gateways serve.
//
// Writes follow the documented two-step protocol: CREATE and APPEND are first sent to the
// namenode without data; it answers 307 with the datanode URL the data then goes to (an HttpFS
// gateway redirects to itself with data=true). A file's writes are buffered in memory and sent
// as one APPEND by Sync, which returns once the datanode answered 200, the append complete.
// Errors carry the server's RemoteException (FileNotFoundException matches fs.ErrNotExist,
// FileAlreadyExistsException fs.ErrExist). Authentication is Hadoop's simple auth (user.name);
// Kerberos (SPNEGO) and delegation tokens are not supported.
package webhdfs

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/flumego/flumego/sink/hdfs/store"
)

// Options configure a client.
type Options struct {
	Address string // host:port of the namenode or HttpFS gateway
	TLS     bool   // swebhdfs: HTTPS
	User    string // user.name of simple auth
	Timeout time.Duration
	// TLSConfig is used with TLS; nil means the system's roots.
	TLSConfig *tls.Config
}

// FS is a WebHDFS client.
type FS struct {
	base string // scheme://host:port/webhdfs/v1
	user string
	c    *http.Client
}

// New returns a client; it connects on first use.
func New(o Options) *FS {
	scheme := "http"
	if o.TLS {
		scheme = "https"
	}
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: o.Timeout, KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:     o.TLSConfig,
		MaxIdleConnsPerHost: 16,
		IdleConnTimeout:     90 * time.Second,
	}
	return &FS{
		base: scheme + "://" + o.Address + "/webhdfs/v1",
		user: o.User,
		c: &http.Client{
			Transport: tr,
			// Redirects are followed by hand: the data goes to the datanode only.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
}

// RemoteError is an error answer of the server.
type RemoteError struct {
	Status    int
	Op        string
	Path      string
	Exception string // the Java exception's simple name
	Message   string
}

func (e *RemoteError) Error() string {
	if e.Exception == "" {
		return fmt.Sprintf("webhdfs %s %s: HTTP %d: %s", e.Op, e.Path, e.Status, e.Message)
	}
	return fmt.Sprintf("webhdfs %s %s: %s: %s", e.Op, e.Path, e.Exception, e.Message)
}

// Is maps Hadoop's exceptions onto the fs errors the sink checks.
func (e *RemoteError) Is(target error) bool {
	switch target {
	case fs.ErrNotExist:
		return e.Exception == "FileNotFoundException"
	case fs.ErrExist:
		return e.Exception == "FileAlreadyExistsException"
	}
	return false
}

// transient are Hadoop's exceptions that a 4xx answer may carry while the namenode cannot
// serve for a while: they heal by retrying.
var transient = map[string]bool{
	"SafeModeException": true, "StandbyException": true, "RetriableException": true,
	"ObserverRetryOnActiveException": true, "NSQuotaExceededException": true, "DSQuotaExceededException": true,
	"QuotaExceededException": true,
}

// Permanent reports whether the answer refuses the request itself, so that sending it again
// cannot succeed: 400 (an invalid path or argument), 403 (permission denied, a parent that is
// a file) or 414 (a path too long), unless the exception is a transient one (safe mode, a
// standby namenode, a quota). Anything else, including 401 (credentials) and 404, may be the
// server's or the configuration's state and is retried.
func (e *RemoteError) Permanent() bool {
	switch e.Status {
	case http.StatusBadRequest, http.StatusForbidden, http.StatusRequestURITooLong:
		return !transient[e.Exception]
	}
	return false
}

func (f *FS) url(path, op string, params ...string) string {
	q := url.Values{}
	q.Set("op", op)
	if f.user != "" {
		q.Set("user.name", f.user)
	}
	for i := 0; i+1 < len(params); i += 2 {
		q.Set(params[i], params[i+1])
	}
	return f.base + escapePath(path) + "?" + q.Encode()
}

func escapePath(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}

// do sends one request and returns the response, or the server's error.
func (f *FS) do(ctx context.Context, method, u string, body []byte, op, path string) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/octet-stream")
	}
	resp, err := f.c.Do(req)
	if err != nil {
		return nil, fmt.Errorf("webhdfs %s %s: %w", op, path, err)
	}
	if resp.StatusCode >= 300 && resp.StatusCode != http.StatusTemporaryRedirect {
		defer resp.Body.Close()
		return nil, remoteError(resp, op, path)
	}
	return resp, nil
}

func remoteError(resp *http.Response, op, path string) error {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	e := &RemoteError{Status: resp.StatusCode, Op: op, Path: path}
	var body struct {
		RemoteException struct {
			Exception string `json:"exception"`
			Message   string `json:"message"`
		} `json:"RemoteException"`
	}
	if json.Unmarshal(b, &body) == nil && body.RemoteException.Exception != "" {
		e.Exception, e.Message = body.RemoteException.Exception, body.RemoteException.Message
	} else {
		e.Message = strings.TrimSpace(string(b))
		if resp.StatusCode == http.StatusNotFound {
			e.Exception = "FileNotFoundException"
		}
	}
	return e
}

// twoStep sends op to the namenode without data and the data to where it redirects. A server
// that answers the first request itself (no redirect) gets the data in a second request to
// the same URL with data=true, as HttpFS expects.
func (f *FS) twoStep(ctx context.Context, method, path, op string, data []byte, params ...string) error {
	u := f.url(path, op, params...)
	resp, err := f.do(ctx, method, u, nil, op, path)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	var next string
	if resp.StatusCode == http.StatusTemporaryRedirect {
		next = resp.Header.Get("Location")
		if next == "" {
			return &RemoteError{Status: resp.StatusCode, Op: op, Path: path, Message: "redirect without a Location"}
		}
	} else if op == "CREATE" && len(data) == 0 {
		return nil // created, and there is nothing to send
	} else {
		next = f.url(path, op, append(params, "data", "true")...)
	}
	if data == nil {
		data = []byte{}
	}
	resp, err = f.do(ctx, method, next, data, op, path)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode == http.StatusTemporaryRedirect {
		return &RemoteError{Status: resp.StatusCode, Op: op, Path: path, Message: "redirected twice"}
	}
	return nil
}

// boolOp runs an operation whose answer is {"boolean": ...}.
func (f *FS) boolOp(ctx context.Context, method, path, op string, params ...string) (bool, error) {
	resp, err := f.do(ctx, method, f.url(path, op, params...), nil, op, path)
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	var out struct {
		Boolean bool `json:"boolean"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&out); err != nil {
		return false, fmt.Errorf("webhdfs %s %s: answer: %w", op, path, err)
	}
	return out.Boolean, nil
}

// Create implements store.FS: CREATE with overwrite=false (parents are created by HDFS).
func (f *FS) Create(ctx context.Context, name string) (store.File, error) {
	if err := f.twoStep(ctx, http.MethodPut, name, "CREATE", nil, "overwrite", "false"); err != nil {
		return nil, err
	}
	return &file{fs: f, name: name}, nil
}

type file struct {
	fs     *FS
	name   string
	buf    []byte
	closed bool
}

func (w *file) Write(p []byte) (int, error) {
	if w.closed {
		return 0, fs.ErrClosed
	}
	w.buf = append(w.buf, p...)
	return len(p), nil
}

// Sync sends what was written since the last Sync as one APPEND.
func (w *file) Sync(ctx context.Context) error {
	if w.closed {
		return fs.ErrClosed
	}
	if len(w.buf) == 0 {
		return nil
	}
	if err := w.fs.twoStep(ctx, http.MethodPost, w.name, "APPEND", w.buf); err != nil {
		return err
	}
	w.buf = w.buf[:0]
	return nil
}

func (w *file) Close(ctx context.Context) error {
	if w.closed {
		return nil
	}
	if err := w.Sync(ctx); err != nil {
		return err
	}
	w.closed, w.buf = true, nil
	return nil
}

// Rename implements store.FS. WebHDFS answers false without a reason when it cannot rename:
// the destination is checked first so that case reads fs.ErrExist.
func (f *FS) Rename(ctx context.Context, from, to string) error {
	if _, err := f.stat(ctx, to); err == nil {
		return &RemoteError{Op: "RENAME", Path: to, Exception: "FileAlreadyExistsException", Message: to + " exists"}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	ok, err := f.boolOp(ctx, http.MethodPut, from, "RENAME", "destination", to)
	if err != nil {
		return err
	}
	if !ok {
		if _, err := f.stat(ctx, from); errors.Is(err, fs.ErrNotExist) {
			return &RemoteError{Op: "RENAME", Path: from, Exception: "FileNotFoundException", Message: from + " does not exist"}
		}
		return &RemoteError{Op: "RENAME", Path: from, Message: "the namenode refused to rename to " + to}
	}
	return nil
}

type fileStatus struct {
	PathSuffix string `json:"pathSuffix"`
	Type       string `json:"type"`
	Length     int64  `json:"length"`
}

func (f *FS) stat(ctx context.Context, name string) (fileStatus, error) {
	resp, err := f.do(ctx, http.MethodGet, f.url(name, "GETFILESTATUS"), nil, "GETFILESTATUS", name)
	if err != nil {
		return fileStatus{}, err
	}
	defer resp.Body.Close()
	var out struct {
		FileStatus fileStatus `json:"FileStatus"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return fileStatus{}, fmt.Errorf("webhdfs GETFILESTATUS %s: answer: %w", name, err)
	}
	return out.FileStatus, nil
}

// ReadDir implements store.FS with LISTSTATUS.
func (f *FS) ReadDir(ctx context.Context, dir string) ([]store.Entry, error) {
	resp, err := f.do(ctx, http.MethodGet, f.url(dir, "LISTSTATUS"), nil, "LISTSTATUS", dir)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out struct {
		FileStatuses struct {
			FileStatus []fileStatus `json:"FileStatus"`
		} `json:"FileStatuses"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return nil, fmt.Errorf("webhdfs LISTSTATUS %s: answer: %w", dir, err)
	}
	entries := make([]store.Entry, 0, len(out.FileStatuses.FileStatus))
	for _, st := range out.FileStatuses.FileStatus {
		if st.Type != "FILE" && st.Type != "DIRECTORY" {
			continue
		}
		entries = append(entries, store.Entry{Name: st.PathSuffix, Dir: st.Type == "DIRECTORY", Size: st.Length})
	}
	return entries, nil
}

// Open implements store.FS with OPEN, following the redirect to a datanode.
func (f *FS) Open(ctx context.Context, name string, offset int64) (io.ReadCloser, error) {
	var params []string
	if offset > 0 {
		params = []string{"offset", strconv.FormatInt(offset, 10)}
	}
	resp, err := f.do(ctx, http.MethodGet, f.url(name, "OPEN", params...), nil, "OPEN", name)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode == http.StatusTemporaryRedirect {
		resp.Body.Close()
		loc := resp.Header.Get("Location")
		if loc == "" {
			return nil, &RemoteError{Status: resp.StatusCode, Op: "OPEN", Path: name, Message: "redirect without a Location"}
		}
		if resp, err = f.do(ctx, http.MethodGet, loc, nil, "OPEN", name); err != nil {
			return nil, err
		}
	}
	return resp.Body, nil
}

// Truncate implements store.FS with TRUNCATE. HDFS may finish truncating in the background
// (it answers false while the last block is recovered); the file is renamed all the same.
func (f *FS) Truncate(ctx context.Context, name string, size int64) error {
	_, err := f.boolOp(ctx, http.MethodPost, name, "TRUNCATE", "newlength", strconv.FormatInt(size, 10))
	return err
}

// Remove implements store.FS with DELETE.
func (f *FS) Remove(ctx context.Context, name string) error {
	ok, err := f.boolOp(ctx, http.MethodDelete, name, "DELETE", "recursive", "false")
	if err != nil {
		return err
	}
	if !ok {
		return &RemoteError{Op: "DELETE", Path: name, Exception: "FileNotFoundException", Message: name + " does not exist"}
	}
	return nil
}

// InUse implements store.FS: WebHDFS cannot tell who holds a lease.
func (f *FS) InUse(string) bool { return false }

// Close implements store.FS.
func (f *FS) Close() error {
	f.c.CloseIdleConnections()
	return nil
}

var _ store.FS = (*FS)(nil)
