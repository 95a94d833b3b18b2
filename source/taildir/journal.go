package taildir

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
)

// journal is the append-only companion of the position file (<position_file>.journal): after
// every committed batch the file's new position is appended as one JSON line, without fsync.
// The page cache survives a kill of the agent, so a restarted agent re-sends only the batch
// that was in flight, not everything since the last write of the position file. Every
// write_pos_interval (and at a clean stop) the positions are written to the position file
// proper, atomically and synced, and the journal is emptied. After a power loss the journal
// may be short of its last records: positions then go back at most to the last synced
// position file, which re-sends lines (duplicates) and never skips any.
type journal struct {
	path string
	f    *os.File
	buf  []byte
}

// openJournal opens (creating) the journal for appending.
func openJournal(path string) (*journal, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	return &journal{path: path, f: f}, nil
}

// record appends one position; pos < 0 records that the file was released.
func (j *journal) record(p position) error {
	b := appendPosition(j.buf[:0], p)
	b = append(b, '\n')
	j.buf = b
	_, err := j.f.Write(b)
	return err
}

// reset empties the journal once the position file holds everything it recorded.
func (j *journal) reset() error { return j.f.Truncate(0) }

func (j *journal) close() error { return j.f.Close() }

// replayJournal applies the journal's records, in order, over the entries read from the
// position file. A torn last line (the agent died while appending it) is ignored.
func replayJournal(path string, ps []position) ([]position, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return ps, nil
	}
	if err != nil {
		return ps, err
	}
	type key struct{ dev, ino uint64 }
	idx := map[key]int{}
	for i, p := range ps {
		idx[key{p.Dev, p.Inode}] = i
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		var p position
		if json.Unmarshal(sc.Bytes(), &p) != nil {
			continue
		}
		k := key{p.Dev, p.Inode}
		i, ok := idx[k]
		if !ok {
			// An entry from a Flume file has no dev: match it by inode alone.
			for j, q := range ps {
				if q.Dev == 0 && q.Inode == p.Inode {
					i, ok = j, true
					delete(idx, key{0, q.Inode})
					idx[k] = j
					break
				}
			}
		}
		switch {
		case ok && p.Pos < 0:
			ps[i].Pos = -1
		case ok:
			ps[i] = p
		case p.Pos >= 0:
			idx[k] = len(ps)
			ps = append(ps, p)
		}
	}
	out := ps[:0]
	for _, p := range ps {
		if p.Pos >= 0 {
			out = append(out, p)
		}
	}
	return out, nil
}
