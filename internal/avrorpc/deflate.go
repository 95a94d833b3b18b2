package avrorpc

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/klauspost/compress/zlib"
)

// DefaultDeflateLevel is Flume's compression-level default.
const DefaultDeflateLevel = 6

// deflateConn is Flume's compression_type "deflate" (Netty's ZlibEncoder and ZlibDecoder): one
// zlib (RFC 1950) stream per direction for the whole connection, every Write followed by a
// sync flush so the peer can decode it at once, the stream finished at Close. Callers write
// one frame per Write. Deadlines are the underlying connection's.
type deflateConn struct {
	net.Conn
	bw *bufio.Writer // under zw: one system call per flushed write
	zw *zlib.Writer

	rmu sync.Mutex
	br  *bufio.Reader
	zr  io.ReadCloser // made by the first Read: zlib.NewReader reads the stream header
	err error         // the reader's setup error

	wmu    sync.Mutex
	closed bool
}

// NewDeflateConn wraps nc in Flume's deflate layer with compression level (1-9; 0 stores,
// -1 is zlib's default).
func NewDeflateConn(nc net.Conn, level int) (net.Conn, error) {
	bw := bufio.NewWriterSize(nc, 32<<10)
	zw, err := zlib.NewWriterLevel(bw, level)
	if err != nil {
		return nil, fmt.Errorf("deflate: %w", err)
	}
	return &deflateConn{Conn: nc, bw: bw, zw: zw, br: bufio.NewReaderSize(nc, 32<<10)}, nil
}

func (c *deflateConn) Read(p []byte) (int, error) {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	if c.zr == nil {
		if c.err != nil {
			return 0, c.err
		}
		zr, err := zlib.NewReader(c.br)
		if err != nil {
			if errors.Is(err, zlib.ErrHeader) {
				err = fmt.Errorf("deflate: %w (is the peer's compression_type deflate?)", err)
			}
			c.err = err
			return 0, err
		}
		c.zr = zr
	}
	n, err := c.zr.Read(p)
	if errors.Is(err, zlib.ErrChecksum) || errors.Is(err, zlib.ErrHeader) {
		err = fmt.Errorf("deflate: %w", err)
	}
	return n, err
}

func (c *deflateConn) Write(p []byte) (int, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.closed {
		return 0, net.ErrClosed
	}
	n, err := c.zw.Write(p)
	if err == nil {
		err = c.zw.Flush()
	}
	if err == nil {
		err = c.bw.Flush()
	}
	return n, err
}

// Close finishes the outgoing stream (best effort, within a second) and closes the connection.
// While a Write is blocked (the peer does not read), it only closes the connection, which
// unblocks that Write.
func (c *deflateConn) Close() error {
	if c.wmu.TryLock() {
		if !c.closed {
			c.closed = true
			_ = c.Conn.SetWriteDeadline(time.Now().Add(time.Second))
			if c.zw.Close() == nil {
				_ = c.bw.Flush()
			}
		}
		c.wmu.Unlock()
	}
	return c.Conn.Close()
}
