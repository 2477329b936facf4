package dataset

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"iter"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
)

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// errEmpty is the problem reported for a file with no bytes at all.
var errEmpty = errors.New("empty file")

// textReader wraps r for reading text: it decodes enc, drops a UTF-8 byte-order mark, refuses UTF-16
// and reports a file with no bytes.
func textReader(r io.Reader, name, enc string) (*bufio.Reader, error) {
	switch strings.ToLower(enc) {
	case "", "utf-8", "utf8":
	case "latin1", "latin-1", "iso-8859-1", "iso8859-1":
		r = charmap.ISO8859_1.NewDecoder().Reader(r)
	case "windows-1252", "cp1252":
		r = charmap.Windows1252.NewDecoder().Reader(r)
	default:
		return nil, errorf(name, 0, "unknown encoding %q (want utf-8, latin1 or windows-1252)", enc)
	}
	br := bufio.NewReaderSize(r, 64<<10)
	head, err := br.Peek(3)
	if len(head) == 0 {
		if err == nil || errors.Is(err, io.EOF) {
			return nil, &Error{Path: name, Err: errEmpty}
		}
		return nil, &Error{Path: name, Err: err}
	}
	switch {
	case bytes.HasPrefix(head, utf8BOM):
		_, _ = br.Discard(len(utf8BOM))
		if _, err := br.Peek(1); errors.Is(err, io.EOF) {
			return nil, &Error{Path: name, Err: errEmpty}
		}
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}), bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		return nil, errorf(name, 0, "UTF-16 text (byte-order mark %X); convert it to UTF-8", head[:2])
	}
	return br, nil
}

// openLines is textReader with a lineReader on top.
func openLines(r io.Reader, name, enc string) (*lineReader, error) {
	br, err := textReader(r, name, enc)
	if err != nil {
		return nil, err
	}
	return &lineReader{br: br, name: name}, nil
}

// nonBlankLines yields the lines read returns (a lineReader's next or nextUTF8) until the input ends,
// skipping those that hold only white space. A read error is yielded, with a nil line, as the last
// element. The reader's n is the number of the line yielded, and the line is valid until the next one.
func nonBlankLines(read func() ([]byte, error)) iter.Seq2[[]byte, error] {
	return func(yield func([]byte, error) bool) {
		for {
			line, err := read()
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				yield(nil, err)
				return
			}
			if !isBlank(line) && !yield(line, nil) {
				return
			}
		}
	}
}

// lineReader reads lines of any length up to MaxLineBytes with a reused buffer, counting them.
type lineReader struct {
	br   *bufio.Reader
	name string
	n    int // number of the line last returned, 1-based
	buf  []byte
}

// next returns the next line without its LF or CRLF ending, or io.EOF. The slice is valid until the
// next call.
func (lr *lineReader) next() ([]byte, error) {
	lr.buf = lr.buf[:0]
	for {
		chunk, err := lr.br.ReadSlice('\n')
		lr.buf = append(lr.buf, chunk...)
		if len(lr.buf) > MaxLineBytes {
			return nil, errorf(lr.name, lr.n+1, "line longer than %d bytes", MaxLineBytes)
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if errors.Is(err, io.EOF) {
			if len(lr.buf) == 0 {
				return nil, io.EOF
			}
			break
		}
		if err != nil {
			return nil, &Error{Path: lr.name, Line: lr.n + 1, Err: err}
		}
		break
	}
	lr.n++
	line := bytes.TrimSuffix(lr.buf, []byte{'\n'})
	line = bytes.TrimSuffix(line, []byte{'\r'})
	return line, nil
}

// nextUTF8 is next, with invalid UTF-8 reported as an error naming the line and byte.
func (lr *lineReader) nextUTF8() ([]byte, error) {
	line, err := lr.next()
	if err != nil {
		return nil, err
	}
	if err := checkUTF8(line); err != nil {
		return nil, &Error{Path: lr.name, Line: lr.n, Err: err}
	}
	return line, nil
}

// checkUTF8 says where b stops being valid UTF-8.
func checkUTF8(b []byte) error {
	if utf8.Valid(b) {
		return nil
	}
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			return fmt.Errorf("invalid UTF-8 (byte 0x%02X at column %d); set the encoding if the file is not UTF-8", b[i], i+1)
		}
		i += size
	}
	return errors.New("invalid UTF-8")
}

// latin1 decodes b as ISO-8859-1, where every byte is the code point of the same value.
func latin1(b []byte) string {
	r := make([]rune, len(b))
	for i, c := range b {
		r[i] = rune(c)
	}
	return string(r)
}

// isBlank reports whether b holds only white space.
func isBlank(b []byte) bool {
	return len(bytes.TrimSpace(b)) == 0
}
