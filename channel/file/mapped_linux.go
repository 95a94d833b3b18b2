package file

import (
	"os"
	"unsafe"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/sys/unix"
)

// bbolt reads the database through a shared, read-only mapping of the file, and every page
// read stays resident in the agent's memory (RssFile) until the kernel needs it back: a
// backlog read back from disk once would keep the whole file resident. dropPages tells the
// kernel the agent no longer needs the mapped pages of [addr, addr+n): they stay in the page
// cache, and a later access maps them again from there, so this never changes what is read.
// Only pages of the mapping may be passed (anywhere else, madvise would zero memory), while it
// cannot be unmapped: inside a transaction.
func dropPages(addr uintptr, n int) {
	if n <= 0 {
		return
	}
	ps := uintptr(os.Getpagesize())
	start := addr &^ (ps - 1)
	end := (addr + uintptr(n) + ps - 1) &^ (ps - 1)
	_, _, _ = unix.Syscall(unix.SYS_MADVISE, start, end-start, unix.MADV_DONTNEED)
}

// mappedRange is the addresses of the mapping a read transaction touched, within the mapping's
// bounds: bbolt hands out some values from the heap (the records of a small put's bucket, when
// not aligned, are copied), and those must never be passed to madvise.
type mappedRange struct{ base, limit, lo, hi uintptr }

// touchedIn starts a range for tx, whose mapping holds its pages.
func touchedIn(tx *bolt.Tx) mappedRange {
	base := tx.DB().Info().Data
	return mappedRange{base: base, limit: base + uintptr(tx.Size())}
}

// add widens r to cover v, when v lies in the mapping.
func (r *mappedRange) add(v []byte) {
	if len(v) == 0 {
		return
	}
	lo := uintptr(unsafe.Pointer(&v[0]))
	hi := lo + uintptr(len(v))
	if lo < r.base || hi > r.limit {
		return
	}
	if r.hi == 0 || lo < r.lo {
		r.lo = lo
	}
	r.hi = max(r.hi, hi)
}

// drop drops the pages of r; the transaction that read them must still be open.
func (r *mappedRange) drop() { dropPages(r.lo, int(r.hi-r.lo)) }

// dropAll drops every page of tx's mapping.
func dropAll(tx *bolt.Tx) { dropPages(tx.DB().Info().Data, int(tx.Size())) }
