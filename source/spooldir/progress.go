package spooldir

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/flumego/flumego/internal/fsync"
)

// progress is the record of the file being read: which file (path and identity when picked
// up) and the offset up to which its events committed.
type progress struct {
	File   string  `json:"file"`
	Key    fileKey `json:"key"`
	Offset int64   `json:"offset"`
}

// readProgress reads the progress record; none is nil.
func readProgress(path string) (*progress, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read progress record: %w", err)
	}
	var p progress
	if err := json.Unmarshal(b, &p); err != nil || p.File == "" {
		// A torn record (power loss): start the file again, duplicates rather than losses.
		return nil, nil
	}
	return &p, nil
}

// writeProgress replaces the progress record atomically (temporary file, rename). It is not
// synced: a kill of the agent keeps it; a power loss may leave an older one (duplicates).
func writeProgress(path string, p *progress) error {
	b, err := json.Marshal(p)
	if err != nil {
		return err
	}
	return fsync.ReplaceFileAtomic(path, b, 0o644)
}

// readMarker reads the identity a tracker_dir marker records.
func readMarker(path string) (fileKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return fileKey{}, err
	}
	var k fileKey
	if len(b) > 0 {
		if err := json.Unmarshal(b, &k); err != nil {
			return fileKey{}, err
		}
	}
	return k, nil
}

// writeMarker records in tracker_dir that a file is complete, with its identity, so that a
// new file with the same name is told apart.
func writeMarker(path string, k fileKey) error {
	b, _ := json.Marshal(k)
	return fsync.ReplaceFile(path, b, 0o644)
}
