// Package webhdfstest is an in-memory WebHDFS server for tests: a namenode that answers
// metadata operations and redirects CREATE, APPEND and OPEN with 307 to a separate datanode
// listener that takes or serves the data, as the WebHDFS REST API documents. Errors are the
// documented RemoteException JSON with the matching HTTP status. It checks what a client must
// do: user.name on every namenode call, no data sent to the namenode, overwrite=false honoured.
//
// It is a model of the documented protocol, not of HDFS: no leases, permissions or replication.
package webhdfstest

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Server is a namenode and a datanode in memory.
type Server struct {
	NameNode *httptest.Server
	DataNode *httptest.Server

	mu     sync.Mutex
	files  map[string][]byte
	dirs   map[string]bool
	ops    map[string]int // namenode operations served, by op
	misuse []string       // protocol violations by the client
	fail   map[string]int // op → how many of the next calls fail
	denied string         // CREATE under this directory is refused: permission denied
	safe   bool           // the namenode is in safe mode: CREATE is refused for now
}

// Deny makes CREATE of any file under dir fail as Hadoop refuses a permission:
// 403 AccessControlException.
func (s *Server) Deny(dir string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.denied = path.Clean(dir) + "/"
}

// SafeMode puts the namenode in or out of safe mode, in which it answers CREATE with
// 403 SafeModeException, as a namenode starting up does.
func (s *Server) SafeMode(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.safe = on
}

// New starts a server on 127.0.0.1; Close stops it.
func New() *Server {
	s := &Server{files: map[string][]byte{}, dirs: map[string]bool{"/": true}, ops: map[string]int{}, fail: map[string]int{}}
	s.NameNode = httptest.NewServer(http.HandlerFunc(s.namenode))
	s.DataNode = httptest.NewServer(http.HandlerFunc(s.datanode))
	return s
}

// Close stops both listeners.
func (s *Server) Close() {
	s.NameNode.Close()
	s.DataNode.Close()
}

// Addr is the namenode's host:port, for webhdfs://Addr/path.
func (s *Server) Addr() string { return s.NameNode.Listener.Addr().(*net.TCPAddr).String() }

// Files returns a copy of every file by path.
func (s *Server) Files() map[string][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string][]byte, len(s.files))
	for k, v := range s.files {
		out[k] = append([]byte(nil), v...)
	}
	return out
}

// Put stores a file (and its directories), as an earlier writer would have left it.
func (s *Server) Put(p string, data []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mkdirs(path.Dir(p))
	s.files[p] = append([]byte(nil), data...)
}

// Ops returns how many times the namenode served op.
func (s *Server) Ops(op string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ops[op]
}

// Misuse lists the protocol violations seen.
func (s *Server) Misuse() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.misuse...)
}

// FailNext makes the next n calls of op fail on the datanode (CREATE, APPEND, OPEN) or the
// namenode (other ops) with an IOException.
func (s *Server) FailNext(op string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail[op] = n
}

func (s *Server) failing(op string) bool {
	if s.fail[op] > 0 {
		s.fail[op]--
		return true
	}
	return false
}

// remote writes the documented error answer.
func remote(w http.ResponseWriter, status int, exception, format string, args ...any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"RemoteException": map[string]string{
		"exception":     exception,
		"javaClassName": "java.io." + exception,
		"message":       fmt.Sprintf(format, args...),
	}})
}

func reply(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

func (s *Server) mkdirs(d string) {
	for ; d != "/" && d != "."; d = path.Dir(d) {
		s.dirs[d] = true
	}
}

func (s *Server) namenode(w http.ResponseWriter, r *http.Request) {
	p, ok := strings.CutPrefix(r.URL.Path, "/webhdfs/v1")
	if !ok || p == "" {
		remote(w, http.StatusNotFound, "FileNotFoundException", "not a WebHDFS path: %s", r.URL.Path)
		return
	}
	q := r.URL.Query()
	op := q.Get("op")
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ops[op]++
	if q.Get("user.name") == "" {
		s.misuse = append(s.misuse, op+" without user.name")
		remote(w, http.StatusUnauthorized, "SecurityException", "Authentication required")
		return
	}
	if body, _ := io.ReadAll(r.Body); len(body) > 0 {
		s.misuse = append(s.misuse, fmt.Sprintf("%s sent %d bytes of data to the namenode", op, len(body)))
	}
	redirect := func() {
		u := s.DataNode.URL + r.URL.Path + "?" + q.Encode() + "&namenoderpcaddress=nn:8020"
		w.Header().Set("Location", u)
		w.WriteHeader(http.StatusTemporaryRedirect)
	}
	switch {
	case op == "CREATE" && r.Method == http.MethodPut, op == "APPEND" && r.Method == http.MethodPost, op == "OPEN" && r.Method == http.MethodGet:
		if op != "CREATE" {
			if _, ok := s.files[p]; !ok {
				remote(w, http.StatusNotFound, "FileNotFoundException", "File does not exist: %s", p)
				return
			}
		} else if s.safe {
			remote(w, http.StatusForbidden, "SafeModeException", "Cannot create file %s. Name node is in safe mode.", p)
			return
		} else if s.denied != "" && strings.HasPrefix(p, s.denied) {
			remote(w, http.StatusForbidden, "AccessControlException", "Permission denied: user=%s, access=WRITE, inode=%q", q.Get("user.name"), s.denied)
			return
		}
		redirect()
	case s.failing(op):
		remote(w, http.StatusInternalServerError, "IOException", "injected failure of %s", op)
	case op == "GETFILESTATUS" && r.Method == http.MethodGet:
		st, ok := s.status(p)
		if !ok {
			remote(w, http.StatusNotFound, "FileNotFoundException", "File does not exist: %s", p)
			return
		}
		reply(w, map[string]any{"FileStatus": st})
	case op == "LISTSTATUS" && r.Method == http.MethodGet:
		if _, isFile := s.files[p]; !s.dirs[p] && !isFile {
			remote(w, http.StatusNotFound, "FileNotFoundException", "File %s does not exist.", p)
			return
		}
		var list []map[string]any
		for _, c := range s.children(p) {
			st, _ := s.status(c)
			st["pathSuffix"] = path.Base(c)
			list = append(list, st)
		}
		reply(w, map[string]any{"FileStatuses": map[string]any{"FileStatus": list}})
	case op == "RENAME" && r.Method == http.MethodPut:
		dst := q.Get("destination")
		data, ok := s.files[p]
		_, exists := s.files[dst]
		if !ok || exists || s.dirs[dst] || !strings.HasPrefix(dst, "/") {
			reply(w, map[string]bool{"boolean": false})
			return
		}
		delete(s.files, p)
		s.mkdirs(path.Dir(dst))
		s.files[dst] = data
		reply(w, map[string]bool{"boolean": true})
	case op == "TRUNCATE" && r.Method == http.MethodPost:
		n, err := strconv.ParseInt(q.Get("newlength"), 10, 64)
		data, ok := s.files[p]
		if err != nil || n < 0 {
			remote(w, http.StatusBadRequest, "IllegalArgumentException", "Invalid value for newlength: %q", q.Get("newlength"))
			return
		}
		if !ok {
			remote(w, http.StatusNotFound, "FileNotFoundException", "File does not exist: %s", p)
			return
		}
		if n > int64(len(data)) {
			remote(w, http.StatusBadRequest, "HadoopIllegalArgumentException", "Cannot truncate to a larger file size. Current size: %d, truncate size: %d.", len(data), n)
			return
		}
		s.files[p] = data[:n]
		reply(w, map[string]bool{"boolean": true})
	case op == "DELETE" && r.Method == http.MethodDelete:
		_, ok := s.files[p]
		delete(s.files, p)
		reply(w, map[string]bool{"boolean": ok})
	default:
		remote(w, http.StatusBadRequest, "IllegalArgumentException", "Invalid value for webhdfs parameter \"op\": %s %s", r.Method, op)
	}
}

func (s *Server) status(p string) (map[string]any, bool) {
	if data, ok := s.files[p]; ok {
		return map[string]any{"type": "FILE", "length": len(data), "pathSuffix": ""}, true
	}
	if s.dirs[p] {
		return map[string]any{"type": "DIRECTORY", "length": 0, "pathSuffix": ""}, true
	}
	return nil, false
}

func (s *Server) children(dir string) []string {
	var out []string
	for _, m := range []map[string]bool{s.dirs, fileSet(s.files)} {
		for c := range m {
			if c != dir && path.Dir(c) == dir {
				out = append(out, c)
			}
		}
	}
	sort.Strings(out)
	return out
}

func fileSet(m map[string][]byte) map[string]bool {
	out := make(map[string]bool, len(m))
	for k := range m {
		out[k] = true
	}
	return out
}

func (s *Server) datanode(w http.ResponseWriter, r *http.Request) {
	p := strings.TrimPrefix(r.URL.Path, "/webhdfs/v1")
	q := r.URL.Query()
	op := q.Get("op")
	data, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	defer s.mu.Unlock()
	if q.Get("namenoderpcaddress") == "" {
		s.misuse = append(s.misuse, op+" sent to the datanode without the namenode's redirect")
	}
	if s.failing(op) {
		if op == "APPEND" && len(data) > 1 { // half the data lands before the failure
			s.files[p] = append(s.files[p], data[:len(data)/2]...)
		}
		remote(w, http.StatusInternalServerError, "IOException", "injected failure of %s", op)
		return
	}
	switch op {
	case "CREATE":
		if _, ok := s.files[p]; ok && q.Get("overwrite") != "true" {
			remote(w, http.StatusForbidden, "FileAlreadyExistsException", "%s for client 127.0.0.1 already exists", p)
			return
		}
		s.mkdirs(path.Dir(p))
		s.files[p] = data
		w.Header().Set("Location", "hdfs://nn:8020"+p)
		w.WriteHeader(http.StatusCreated)
	case "APPEND":
		if _, ok := s.files[p]; !ok {
			remote(w, http.StatusNotFound, "FileNotFoundException", "File does not exist: %s", p)
			return
		}
		s.files[p] = append(s.files[p], data...)
		w.WriteHeader(http.StatusOK)
	case "OPEN":
		d, ok := s.files[p]
		if !ok {
			remote(w, http.StatusNotFound, "FileNotFoundException", "File does not exist: %s", p)
			return
		}
		off, _ := strconv.ParseInt(q.Get("offset"), 10, 64)
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Write(d[min(off, int64(len(d))):])
	default:
		remote(w, http.StatusBadRequest, "IllegalArgumentException", "datanode does not serve %s", op)
	}
}
