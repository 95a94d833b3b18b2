//go:build !linux

package taildir

// birthTime is 0: only Linux's statx is asked for a birth time.
func birthTime(string) int64 { return 0 }
