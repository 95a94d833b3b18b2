package avrofile

import (
	"bufio"
	"io"
)

func bufioReader(r io.Reader) io.ByteReader { return bufio.NewReaderSize(r, 64<<10) }
