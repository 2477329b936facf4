package main

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"

	"github.com/fewshot-go/fewshot/internal/fsutil"
)

// Output formats of fewshot embed.
const (
	formatJSONL = "jsonl"
	formatNPY   = "npy"
)

// npyHeaderSize is the fixed size of the .npy header embed writes: magic, version, header length and the
// header dict padded with spaces and a newline. 128 bytes hold any shape of two int64s and keep the data
// 64-byte aligned, so the header can be rewritten in place once the row count is known.
const npyHeaderSize = 128

// npyHeader returns the .npy v1.0 header of a C-order little-endian float32 matrix of rows x cols.
func npyHeader(rows, cols int64) ([]byte, error) {
	dict := fmt.Sprintf("{'descr': '<f4', 'fortran_order': False, 'shape': (%d, %d), }", rows, cols)
	const prefix = 10 // "\x93NUMPY", major, minor, uint16 header length
	pad := npyHeaderSize - prefix - len(dict) - 1
	if rows < 0 || cols < 0 || pad < 0 {
		return nil, fmt.Errorf("npy header: shape (%d, %d) does not fit", rows, cols)
	}
	h := make([]byte, 0, npyHeaderSize)
	h = append(h, "\x93NUMPY\x01\x00"...)
	h = binary.LittleEndian.AppendUint16(h, uint16(npyHeaderSize-prefix))
	h = append(h, dict...)
	for range pad {
		h = append(h, ' ')
	}
	return append(h, '\n'), nil
}

// sink is where embed writes. A file is written to a temporary file in the same folder and renamed into
// place by commit, so a failed, cancelled or killed job never leaves a complete-looking file. JSONL for
// stdout streams straight through; npy for stdout goes through a temporary file, because its header
// needs the row count.
type sink struct {
	path   string       // the --output file; "" for stdout
	stdout io.Writer    // where stdout output goes
	tmp    *os.File     // the temporary file; nil when streaming to stdout
	atomic *fsutil.File // tmp's atomic write of path; nil for stdout
	w      *bufio.Writer
	closed bool
}

// newSink prepares the output. path "" or "-" means stdout; seekable asks for a temporary file even then.
func newSink(path string, stdout io.Writer, seekable bool) (*sink, error) {
	s := &sink{stdout: stdout}
	switch {
	case path != "" && path != "-":
		if st, err := os.Stat(path); err == nil && st.IsDir() {
			return nil, usageError{fmt.Errorf("--output %s: is a folder", path)}
		}
		f, err := fsutil.Create(path)
		if err != nil {
			return nil, fmt.Errorf("--output %s: cannot write there: %w", path, err)
		}
		s.path, s.tmp, s.atomic = path, f.File, f
	case seekable:
		f, err := os.CreateTemp("", "fewshot-embed-*.npy")
		if err != nil {
			return nil, fmt.Errorf("--output -: temporary file for npy output: %w", err)
		}
		s.tmp = f
	}
	if s.tmp != nil {
		s.w = bufio.NewWriterSize(s.tmp, 1<<20)
	} else {
		s.w = bufio.NewWriterSize(stdout, 1<<20)
	}
	return s, nil
}

// name is the output's name for messages.
func (s *sink) name() string {
	if s.path == "" {
		return "stdout"
	}
	return s.path
}

// unfinished describes what an aborted run leaves behind.
func (s *sink) unfinished() string {
	if s.tmp == nil {
		return "the JSONL on stdout is incomplete"
	}
	return s.name() + " was not written"
}

// commit flushes the output, writes header at offset 0 when it is not nil (the output must then be
// seekable), and moves the result into place: renamed onto --output, or copied to stdout.
func (s *sink) commit(header []byte) error {
	if s.closed {
		return errors.New("output already closed")
	}
	if err := s.w.Flush(); err != nil {
		return fmt.Errorf("write %s: %w", s.name(), err)
	}
	if s.tmp == nil {
		s.closed = true
		if header != nil {
			return errors.New("internal error: header for a streamed output")
		}
		return nil
	}
	if header != nil {
		if _, err := s.tmp.WriteAt(header, 0); err != nil {
			return fmt.Errorf("write %s: %w", s.name(), err)
		}
	}
	if s.path == "" {
		if _, err := s.tmp.Seek(0, io.SeekStart); err != nil {
			return fmt.Errorf("write stdout: %w", err)
		}
		if _, err := io.Copy(s.stdout, s.tmp); err != nil {
			return fmt.Errorf("write stdout: %w", err)
		}
		s.abort()
		return nil
	}
	s.closed = true
	if err := s.atomic.Commit(s.path); err != nil {
		return fmt.Errorf("write %s: %w", s.path, err)
	}
	return nil
}

// abort discards the temporary file; it does nothing after commit.
func (s *sink) abort() {
	if s.closed {
		return
	}
	s.closed = true
	switch {
	case s.atomic != nil:
		s.atomic.Abort()
	case s.tmp != nil:
		_ = s.tmp.Close()
		_ = os.Remove(s.tmp.Name())
	}
}

// embeddingWriter encodes embeddings as JSONL records or as the rows of an npy matrix.
type embeddingWriter struct {
	format string
	dim    int
	rows   int64
	w      *bufio.Writer
	buf    []byte
}

// newEmbeddingWriter starts the output: for npy, a placeholder header that header() replaces at the end.
func newEmbeddingWriter(format string, dim int, w *bufio.Writer) (*embeddingWriter, error) {
	e := &embeddingWriter{format: format, dim: dim, w: w}
	if format == formatNPY {
		h, err := npyHeader(0, int64(dim))
		if err != nil {
			return nil, err
		}
		if _, err := w.Write(h); err != nil {
			return nil, err
		}
	}
	return e, nil
}

// write appends one embedding with its id (the id is unused in npy).
func (e *embeddingWriter) write(id any, vec []float32) error {
	if len(vec) != e.dim {
		return fmt.Errorf("embedding of id %v has %d values, want %d", id, len(vec), e.dim)
	}
	b := e.buf[:0]
	if e.format == formatNPY {
		for _, v := range vec {
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
		}
	} else {
		b = append(b, `{"id":`...)
		var err error
		if b, err = appendJSONID(b, id); err != nil {
			return err
		}
		b = append(b, `,"embedding":[`...)
		for i, v := range vec {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return fmt.Errorf("embedding of id %v has a non-finite value (%v), which JSON cannot hold; use --format npy", id, v)
			}
			if i > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendFloat(b, float64(v), 'g', -1, 32)
		}
		b = append(b, "]}\n"...)
	}
	e.buf = b
	if _, err := e.w.Write(b); err != nil {
		return err
	}
	e.rows++
	return nil
}

// header is the final npy header (nil for JSONL).
func (e *embeddingWriter) header() ([]byte, error) {
	if e.format != formatNPY {
		return nil, nil
	}
	return npyHeader(e.rows, int64(e.dim))
}

// appendJSONID appends id as JSON: ints and json.Numbers as written, anything else through encoding/json
// (without HTML escaping).
func appendJSONID(b []byte, id any) ([]byte, error) {
	switch v := id.(type) {
	case int:
		return strconv.AppendInt(b, int64(v), 10), nil
	case json.Number:
		return append(b, v...), nil
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(id); err != nil {
		return nil, fmt.Errorf("id %v: %w", id, err)
	}
	return append(b, bytes.TrimRight(buf.Bytes(), "\n")...), nil
}
