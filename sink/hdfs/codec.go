package hdfs

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	kgzip "github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/snappy"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
)

// Codec names a compression codec of CompressedStream files.
type Codec string

// The codecs. Each writes the format Hadoop's codec of that name reads, so Hive, Spark and
// `hadoop fs -text` open the files by their extension.
const (
	NoCodec Codec = ""
	Gzip    Codec = "gzip"   // .gz: gzip members (RFC 1952), as GzipCodec
	Zstd    Codec = "zstd"   // .zst: zstd frames, as ZStandardCodec
	Snappy  Codec = "snappy" // .snappy: Hadoop's block format of raw snappy blocks, as SnappyCodec
	LZ4     Codec = "lz4"    // .lz4: Hadoop's block format of raw LZ4 blocks, as Lz4Codec
)

// codecAliases maps the names Flume accepts (Hadoop's class names) to ours.
var codecAliases = map[string]Codec{
	"": NoCodec, "gzip": Gzip, "gzipcodec": Gzip, "gz": Gzip,
	"zstd": Zstd, "zstandard": Zstd, "zstandardcodec": Zstd,
	"snappy": Snappy, "snappycodec": Snappy,
	"lz4": LZ4, "lz4codec": LZ4,
}

// Ext is the codec's file extension, added when file_suffix is empty (as Flume does).
func (c Codec) Ext() string {
	switch c {
	case Gzip:
		return ".gz"
	case Zstd:
		return ".zst"
	case Snappy:
		return ".snappy"
	case LZ4:
		return ".lz4"
	}
	return ""
}

// unitWriter compresses a stream in self-contained units: EndUnit completes the current one
// (a gzip member, a zstd frame, a Hadoop block), so every prefix of the file that ends at a
// unit boundary decodes on its own, and a file cut at the last boundary after a crash is whole.
type unitWriter interface {
	io.Writer
	EndUnit() error
}

func newUnitWriter(c Codec, dst io.Writer) (unitWriter, error) {
	switch c {
	case Gzip:
		return &gzipUnits{dst: dst, w: kgzip.NewWriter(dst)}, nil
	case Zstd:
		// One goroutine per encoder and a 1MiB window: a sink may hold many files open, and
		// a unit is one batch, rarely larger than the window.
		w, err := zstd.NewWriter(dst, zstd.WithEncoderConcurrency(1), zstd.WithWindowSize(1<<20))
		if err != nil {
			return nil, err
		}
		return &zstdUnits{dst: dst, w: w}, nil
	case Snappy, LZ4:
		return &hadoopBlocks{dst: dst, codec: c}, nil
	}
	return nil, fmt.Errorf("unknown codec %q", c)
}

type gzipUnits struct {
	dst   io.Writer
	w     *kgzip.Writer
	dirty bool
}

func (g *gzipUnits) Write(p []byte) (int, error) {
	g.dirty = true
	return g.w.Write(p)
}

func (g *gzipUnits) EndUnit() error {
	if !g.dirty {
		return nil
	}
	if err := g.w.Close(); err != nil {
		return err
	}
	g.w.Reset(g.dst)
	g.dirty = false
	return nil
}

type zstdUnits struct {
	dst   io.Writer
	w     *zstd.Encoder
	dirty bool
}

func (z *zstdUnits) Write(p []byte) (int, error) {
	z.dirty = true
	return z.w.Write(p)
}

func (z *zstdUnits) EndUnit() error {
	if !z.dirty {
		return nil
	}
	if err := z.w.Close(); err != nil {
		return err
	}
	z.w.Reset(z.dst)
	z.dirty = false
	return nil
}

// hadoopBlockSize is the most uncompressed bytes in one Hadoop block: below what Hadoop's
// decompressors buffer (io.compression.codec.{snappy,lz4}.buffersize, 256KiB, less their
// overhead) and a multiple of the codecs' 64KiB window.
const hadoopBlockSize = 128 << 10

// hadoopBlocks writes Hadoop's BlockCompressorStream format: per block, the uncompressed length
// and then one chunk of compressed length and data, both lengths 32-bit big-endian.
type hadoopBlocks struct {
	dst   io.Writer
	codec Codec
	buf   []byte
	out   []byte
	lz    lz4.Compressor
}

func (h *hadoopBlocks) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		room := hadoopBlockSize - len(h.buf)
		take := min(room, len(p))
		h.buf = append(h.buf, p[:take]...)
		p = p[take:]
		if len(h.buf) == hadoopBlockSize {
			if err := h.EndUnit(); err != nil {
				return n - len(p), err
			}
		}
	}
	return n, nil
}

func (h *hadoopBlocks) EndUnit() error {
	if len(h.buf) == 0 {
		return nil
	}
	var comp []byte
	switch h.codec {
	case Snappy:
		comp = snappy.Encode(h.out[:cap(h.out)], h.buf)
	case LZ4:
		need := lz4.CompressBlockBound(len(h.buf))
		if cap(h.out) < need {
			h.out = make([]byte, need)
		}
		n, err := h.lz.CompressBlock(h.buf, h.out[:need])
		if err != nil {
			return err
		}
		if n == 0 { // incompressible: LZ4's literal-only block, as liblz4 writes it
			comp = literalLZ4Block(h.out[:0], h.buf)
		} else {
			comp = h.out[:n]
		}
	}
	if cap(comp) > cap(h.out) {
		h.out = comp[:0]
	}
	var hdr [8]byte
	binary.BigEndian.PutUint32(hdr[:4], uint32(len(h.buf)))
	binary.BigEndian.PutUint32(hdr[4:], uint32(len(comp)))
	if _, err := h.dst.Write(hdr[:]); err != nil {
		return err
	}
	if _, err := h.dst.Write(comp); err != nil {
		return err
	}
	h.buf = h.buf[:0]
	return nil
}

// literalLZ4Block encodes src as one LZ4 sequence of literals only.
func literalLZ4Block(dst, src []byte) []byte {
	n := len(src)
	if n < 15 {
		dst = append(dst, byte(n<<4))
	} else {
		dst = append(dst, 0xF0)
		for rest := n - 15; ; rest -= 255 {
			if rest < 255 {
				dst = append(dst, byte(rest))
				break
			}
			dst = append(dst, 255)
		}
	}
	return append(dst, src...)
}

// countingByteReader counts the bytes read through it. Decoders given an io.ByteReader read
// no further than they need, so the count is an exact offset in the file.
type countingByteReader struct {
	r *bufio.Reader
	n int64
}

func (c *countingByteReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func (c *countingByteReader) ReadByte() (byte, error) {
	b, err := c.r.ReadByte()
	if err == nil {
		c.n++
	}
	return b, err
}

func (c *countingByteReader) full(p []byte) error {
	_, err := io.ReadFull(c, p)
	return err
}

// validUnits returns the length of the longest prefix of r made of complete units of the
// codec: where a file torn by a crash is cut so that it decodes whole.
func validUnits(c Codec, r io.Reader) (int64, error) {
	cr := &countingByteReader{r: bufio.NewReaderSize(r, 256<<10)}
	switch c {
	case Gzip:
		return validGzip(cr)
	case Zstd:
		return validZstd(cr)
	case Snappy, LZ4:
		return validHadoop(c, cr)
	}
	return 0, fmt.Errorf("unknown codec %q", c)
}

func validGzip(cr *countingByteReader) (int64, error) {
	var good int64
	var z *gzip.Reader
	for {
		var err error
		if z == nil {
			z, err = gzip.NewReader(cr)
		} else {
			err = z.Reset(cr)
		}
		if err != nil {
			return good, nil // the end, or a torn header
		}
		z.Multistream(false)
		if _, err := io.Copy(io.Discard, z); err != nil {
			return good, nil // torn or corrupt member
		}
		good = cr.n
	}
}

// validZstd walks zstd frames by their headers (RFC 8878 §3.1) without decoding them.
func validZstd(cr *countingByteReader) (int64, error) {
	var good int64
	var b4 [4]byte
	for {
		if err := cr.full(b4[:]); err != nil {
			return good, nil
		}
		magic := binary.LittleEndian.Uint32(b4[:])
		if magic&0xFFFFFFF0 == 0x184D2A50 { // skippable frame
			if err := cr.full(b4[:]); err != nil {
				return good, nil
			}
			if _, err := io.CopyN(io.Discard, cr, int64(binary.LittleEndian.Uint32(b4[:]))); err != nil {
				return good, nil
			}
			good = cr.n
			continue
		}
		if magic != 0xFD2FB528 {
			return good, nil
		}
		fhd, err := cr.ReadByte()
		if err != nil {
			return good, nil
		}
		single := fhd&0x20 != 0
		skip := [4]int{0, 1, 2, 4}[fhd&3] // dictionary id
		switch fhd >> 6 {                 // frame content size
		case 0:
			if single {
				skip++
			}
		case 1:
			skip += 2
		case 2:
			skip += 4
		case 3:
			skip += 8
		}
		if !single {
			skip++ // window descriptor
		}
		if _, err := io.CopyN(io.Discard, cr, int64(skip)); err != nil {
			return good, nil
		}
		for {
			var bh [3]byte
			if err := cr.full(bh[:]); err != nil {
				return good, nil
			}
			h := uint32(bh[0]) | uint32(bh[1])<<8 | uint32(bh[2])<<16
			size := int64(h >> 3)
			switch (h >> 1) & 3 {
			case 1: // RLE: one byte repeated
				size = 1
			case 3:
				return good, nil
			}
			if _, err := io.CopyN(io.Discard, cr, size); err != nil {
				return good, nil
			}
			if h&1 != 0 {
				break
			}
		}
		if fhd&0x04 != 0 { // content checksum
			if err := cr.full(b4[:]); err != nil {
				return good, nil
			}
		}
		good = cr.n
	}
}

func validHadoop(c Codec, cr *countingByteReader) (int64, error) {
	var good int64
	var hdr [4]byte
	var comp, raw []byte
	for {
		if err := cr.full(hdr[:]); err != nil {
			return good, nil
		}
		want := int(binary.BigEndian.Uint32(hdr[:]))
		got := 0
		for got < want {
			if err := cr.full(hdr[:]); err != nil {
				return good, nil
			}
			n := int(binary.BigEndian.Uint32(hdr[:]))
			if n > 64<<20 {
				return good, nil
			}
			comp = grow(comp, n)
			if err := cr.full(comp); err != nil {
				return good, nil
			}
			m, err := decodeBlock(c, comp, &raw, want-got)
			if err != nil {
				return good, nil
			}
			got += m
		}
		if got != want {
			return good, nil
		}
		good = cr.n
	}
}

func grow(b []byte, n int) []byte {
	if cap(b) < n {
		return make([]byte, n)
	}
	return b[:n]
}

// decodeBlock decodes one compressed chunk and returns its uncompressed length.
func decodeBlock(c Codec, comp []byte, raw *[]byte, most int) (int, error) {
	switch c {
	case Snappy:
		n, err := snappy.DecodedLen(comp)
		if err != nil || n > most {
			return 0, errors.New("bad snappy chunk")
		}
		*raw = grow(*raw, n)
		if _, err := snappy.Decode(*raw, comp); err != nil {
			return 0, err
		}
		return n, nil
	case LZ4:
		*raw = grow(*raw, most)
		return lz4.UncompressBlock(comp, *raw)
	}
	return 0, fmt.Errorf("unknown codec %q", c)
}

// DecodeHadoopBlocks decodes a whole Hadoop block-format stream (snappy or lz4), for tests and
// tools: the uncompressed bytes, or an error at the first torn or corrupt block.
func DecodeHadoopBlocks(c Codec, r io.Reader) ([]byte, error) {
	br := bufio.NewReader(r)
	var out, comp, raw []byte
	var hdr [4]byte
	for {
		if _, err := io.ReadFull(br, hdr[:]); err == io.EOF {
			return out, nil
		} else if err != nil {
			return out, err
		}
		want := int(binary.BigEndian.Uint32(hdr[:]))
		for got := 0; got < want; {
			if _, err := io.ReadFull(br, hdr[:]); err != nil {
				return out, io.ErrUnexpectedEOF
			}
			comp = grow(comp, int(binary.BigEndian.Uint32(hdr[:])))
			if _, err := io.ReadFull(br, comp); err != nil {
				return out, io.ErrUnexpectedEOF
			}
			m, err := decodeBlock(c, comp, &raw, want-got)
			if err != nil {
				return out, err
			}
			out = append(out, raw[:m]...)
			got += m
		}
	}
}
