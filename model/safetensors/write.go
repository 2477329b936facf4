package safetensors

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/fewshot-go/fewshot/internal/fsutil"
)

// Write stores tensors and metadata at path in the safetensors format,
// atomically: it writes a temporary file in the same directory, syncs it,
// renames it over path and syncs the directory, so readers see either the
// old file or the complete new one.
//
// The layout follows the reference writer: the data buffer holds the tensors
// by decreasing dtype alignment, then by name (for tensors of one dtype, that
// is name order), so every tensor is aligned to its element size; the header
// lists "__metadata__" first (omitted when metadata is empty, keys sorted),
// then the tensors in buffer order, and is padded with spaces to a multiple
// of 8 bytes.
func Write(path string, tensors []TensorInfo, metadata map[string]string) error {
	header, ordered, err := prepare(tensors, metadata, path)
	if err != nil {
		return err
	}
	tmp, err := fsutil.Create(path)
	if err != nil {
		return fmt.Errorf("safetensors %s: %w", path, err)
	}
	defer tmp.Abort()
	bw := bufio.NewWriterSize(tmp, 1<<20)
	if err := writeTo(bw, header, ordered); err != nil {
		return fmt.Errorf("safetensors %s: write %s: %w", path, tmp.Name(), err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("safetensors %s: write %s: %w", path, tmp.Name(), err)
	}
	if err := tmp.Commit(path); err != nil {
		return fmt.Errorf("safetensors %s: %w", path, err)
	}
	return nil
}

// Encode returns the bytes Write would store for tensors and metadata.
func Encode(tensors []TensorInfo, metadata map[string]string) ([]byte, error) {
	header, ordered, err := prepare(tensors, metadata, memorySource)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := writeTo(&buf, header, ordered); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func writeTo(w io.Writer, header []byte, ordered []TensorInfo) error {
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], uint64(len(header)))
	if _, err := w.Write(n[:]); err != nil {
		return err
	}
	if _, err := w.Write(header); err != nil {
		return err
	}
	for _, t := range ordered {
		if _, err := w.Write(t.Data); err != nil {
			return err
		}
	}
	return nil
}

// prepare validates the tensors, orders them as the reference writer does
// and builds the padded JSON header.
func prepare(tensors []TensorInfo, metadata map[string]string, dst string) ([]byte, []TensorInfo, error) {
	werr := func(tensor, format string, args ...any) error {
		return &FormatError{Source: dst, Tensor: tensor, Msg: fmt.Sprintf(format, args...)}
	}
	seen := make(map[string]bool, len(tensors))
	for _, t := range tensors {
		if t.Name == metadataKey {
			return nil, nil, werr(t.Name, "the name is reserved for the metadata")
		}
		if !utf8.ValidString(t.Name) {
			return nil, nil, werr(t.Name, "name is not valid UTF-8")
		}
		if seen[t.Name] {
			return nil, nil, werr(t.Name, "duplicate name")
		}
		seen[t.Name] = true
		want, msg := byteLen(t.DType, t.Shape)
		if msg != "" {
			return nil, nil, werr(t.Name, "%s", msg)
		}
		if uint64(len(t.Data)) != want {
			return nil, nil, werr(t.Name, "has %d bytes of data, but shape %v of %s needs %d", len(t.Data), t.Shape, t.DType, want)
		}
	}
	for k, v := range metadata {
		if !utf8.ValidString(k) || !utf8.ValidString(v) {
			return nil, nil, werr("", "metadata entry %q is not valid UTF-8", k)
		}
	}

	ordered := slices.Clone(tensors)
	slices.SortFunc(ordered, func(a, b TensorInfo) int {
		_, ra, _ := dtypeInfo(a.DType)
		_, rb, _ := dtypeInfo(b.DType)
		return cmp.Or(cmp.Compare(rb, ra), strings.Compare(a.Name, b.Name))
	})

	var h bytes.Buffer
	h.WriteByte('{')
	first := true
	comma := func() {
		if !first {
			h.WriteByte(',')
		}
		first = false
	}
	if len(metadata) > 0 {
		comma()
		writeJSONString(&h, metadataKey)
		h.WriteString(":{")
		keys := make([]string, 0, len(metadata))
		for k := range metadata {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for i, k := range keys {
			if i > 0 {
				h.WriteByte(',')
			}
			writeJSONString(&h, k)
			h.WriteByte(':')
			writeJSONString(&h, metadata[k])
		}
		h.WriteByte('}')
	}
	var offset int64
	for _, t := range ordered {
		comma()
		writeJSONString(&h, t.Name)
		h.WriteString(`:{"dtype":`)
		writeJSONString(&h, t.DType)
		h.WriteString(`,"shape":[`)
		for i, d := range t.Shape {
			if i > 0 {
				h.WriteByte(',')
			}
			h.WriteString(strconv.FormatInt(d, 10))
		}
		end := offset + int64(len(t.Data))
		fmt.Fprintf(&h, `],"data_offsets":[%d,%d]}`, offset, end)
		offset = end
	}
	h.WriteByte('}')
	for h.Len()%8 != 0 {
		h.WriteByte(' ')
	}
	if h.Len() > MaxHeaderSize {
		return nil, nil, werr("", "header would be %d bytes, over the %d-byte limit", h.Len(), MaxHeaderSize)
	}
	return h.Bytes(), ordered, nil
}

// writeJSONString appends s as a JSON string without HTML escaping, as the
// reference writer (serde_json) does.
func writeJSONString(b *bytes.Buffer, s string) {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)       // cannot fail for a string
	b.Truncate(b.Len() - 1) // drop the newline Encode appends
}
