package taildir

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"

	"github.com/flumego/flumego/internal/fsync"
)

// position is one entry of the position file. The first three fields are Flume's TAILDIR
// format; dev and the fingerprint are flumego's additions, optional when reading, so a Flume
// position file is read as it is.
type position struct {
	Inode uint64 `json:"inode"`
	Pos   int64  `json:"pos"`
	File  string `json:"file"`
	// Dev is the device number; 0 when unknown (a Flume file).
	Dev uint64 `json:"dev,omitempty"`
	// FP is the fingerprint: the hex CRC-64 of the file's first FPLen bytes.
	FP    string `json:"fp,omitempty"`
	FPLen int    `json:"fplen,omitempty"`
	// XFP is the extended fingerprint: the hex CRC-64 of the first XFPLen bytes (up to 64 KiB),
	// when the file is longer than FPLen.
	XFP    string `json:"xfp,omitempty"`
	XFPLen int    `json:"xfplen,omitempty"`
	// BTime is the file's birth time in nanoseconds since the epoch, where the file system
	// records one (statx); 0 when unknown.
	BTime int64 `json:"btime,omitempty"`
	// Resume and Pending are the record pipeline's (container formats, encodings, multiline):
	// where reading goes on, and the content read before it and not delivered yet, which pos
	// (the first record of that content) is held back for. Without them, reading goes on at pos.
	Resume  int64  `json:"resume,omitempty"`
	Pending []pend `json:"pending,omitempty"`

	used bool // matched to a file found at start-up
}

// appendPosition appends the JSON of one entry.
func appendPosition(b []byte, p position) []byte {
	b = append(b, `{"inode":`...)
	b = strconv.AppendUint(b, p.Inode, 10)
	b = append(b, `,"pos":`...)
	b = strconv.AppendInt(b, p.Pos, 10)
	b = append(b, `,"file":`...)
	name, _ := json.Marshal(p.File)
	b = append(b, name...)
	if p.Dev != 0 {
		b = append(b, `,"dev":`...)
		b = strconv.AppendUint(b, p.Dev, 10)
	}
	if p.FPLen > 0 {
		b = append(b, `,"fp":"`...)
		b = append(b, p.FP...)
		b = append(b, `","fplen":`...)
		b = strconv.AppendInt(b, int64(p.FPLen), 10)
	}
	if p.XFPLen > 0 {
		b = append(b, `,"xfp":"`...)
		b = append(b, p.XFP...)
		b = append(b, `","xfplen":`...)
		b = strconv.AppendInt(b, int64(p.XFPLen), 10)
	}
	if p.BTime != 0 {
		b = append(b, `,"btime":`...)
		b = strconv.AppendInt(b, p.BTime, 10)
	}
	if len(p.Pending) > 0 {
		b = append(b, `,"resume":`...)
		b = strconv.AppendInt(b, p.Resume, 10)
		pending, _ := json.Marshal(p.Pending)
		b = append(b, `,"pending":`...)
		b = append(b, pending...)
	}
	return append(b, '}')
}

// readPositions reads a position file; a missing file is an empty list. Entries with extra
// fields are accepted (they are ignored).
func readPositions(path string) ([]position, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, nil
	}
	var ps []position
	if err := json.Unmarshal(b, &ps); err != nil {
		return nil, fmt.Errorf("parse %s: %w", path, err)
	}
	return ps, nil
}

// writePositions replaces the position file atomically and durably (fsync.ReplaceFile), so a
// crash leaves either the old or the new file, never a torn one.
func writePositions(path string, ps []position) error {
	buf := make([]byte, 0, 64+len(ps)*96)
	buf = append(buf, '[')
	for i, p := range ps {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = appendPosition(buf, p)
	}
	buf = append(buf, "]\n"...)
	return fsync.ReplaceFile(path, buf, 0o600)
}
