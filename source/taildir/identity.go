package taildir

import (
	"errors"
	"fmt"
	"hash/crc64"
	"io"
	"os"
	"strconv"
)

// A file is known by its device and inode. A deleted file's inode is handed to the next file
// created (ext4 does so at once), so a file found again under a known inode is the same file
// only if
//   - its birth time (statx) is the one recorded, where the file system records one (ext4,
//     xfs, btrfs, tmpfs on recent kernels): another birth time settles that it is another
//     file; and
//   - its first bytes have the recorded fingerprints (the same file rewritten in place is read
//     again too): the CRC-64 of the first KiB, and of the first 64 KiB (or as much as the file
//     had), grown as the file grows.
//
// Without a birth time, a new file whose first 64 KiB (or all of the old file, if that was
// shorter) are identical to the old one's is taken for it: that is the ambiguous case.

var crcTable = crc64.MakeTable(crc64.ECMA)

// fingerprint identifies a file's content by its first n bytes.
type fingerprint struct {
	n   int
	sum uint64
}

func (f fingerprint) hex() string { return fmt.Sprintf("%016x", f.sum) }

// fingerprintAt reads the fingerprint of the first n bytes of r (fewer when r is shorter).
func fingerprintAt(r io.ReaderAt, n int) (fingerprint, error) {
	return fingerprint{}.extend(r, n)
}

// extend grows f to the first n bytes of r, reading only the bytes it lacks.
func (f fingerprint) extend(r io.ReaderAt, n int) (fingerprint, error) {
	var b [8 << 10]byte
	for f.n < n {
		k, err := r.ReadAt(b[:min(n-f.n, len(b))], int64(f.n))
		f.sum = crc64.Update(f.sum, crcTable, b[:k])
		f.n += k
		if err != nil {
			if errors.Is(err, io.EOF) {
				return f, nil
			}
			return fingerprint{}, err
		}
		if k == 0 {
			break
		}
	}
	return f, nil
}

// parseFingerprint reads a fingerprint saved in the position file; a bad one is none.
func parseFingerprint(hex string, n int) fingerprint {
	sum, err := strconv.ParseUint(hex, 16, 64)
	if err != nil || n <= 0 {
		return fingerprint{}
	}
	return fingerprint{n: n, sum: sum}
}

func fingerprintOf(path string, n int) (fingerprint, error) {
	f, err := os.Open(path)
	if err != nil {
		return fingerprint{}, err
	}
	defer f.Close()
	return fingerprintAt(f, n)
}

// sameFile reports whether a file found at start-up is the one a position entry with its inode
// was saved for.
func (s *Source) sameFile(tf *tailFile, p *position) bool {
	if tf.btime != 0 && p.BTime != 0 && tf.btime != p.BTime {
		return false
	}
	for _, want := range []struct {
		hex string
		n   int
	}{{p.FP, p.FPLen}, {p.XFP, p.XFPLen}} {
		if want.n == 0 {
			continue
		}
		fp, err := fingerprintOf(tf.path, want.n)
		if err != nil || fp.n != want.n || fp.hex() != want.hex {
			return false
		}
	}
	return true
}

// stillSame reports whether a file reopened after it was closed (idle, or for
// max_open_files) is still the one it was: same birth time, or the same first bytes.
func (s *Source) stillSame(tf *tailFile, f *os.File) bool {
	if bt := birthTime(tf.path); bt != 0 && tf.btime != 0 && bt != tf.btime {
		return false
	}
	for _, want := range []fingerprint{tf.fp, tf.xfp} {
		if want.n == 0 {
			continue
		}
		if fp, err := fingerprintAt(f, want.n); err != nil || fp != want {
			return false
		}
	}
	return true
}
