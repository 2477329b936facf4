package torchbin

import (
	"archive/zip"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// FuzzReadBytes checks that no input panics, that every failure is a
// FormatError, and that every success is self-consistent.
func FuzzReadBytes(f *testing.F) {
	paths, err := filepath.Glob(filepath.Join("testdata", "*.bin"))
	if err != nil || len(paths) == 0 {
		f.Fatalf("no seed fixtures in testdata: %v", err)
	}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
		// The bare data.pkl too, so that the fuzzer mutates pickles without
		// fighting the zip CRCs.
		if zr, err := zip.OpenReader(p); err == nil {
			for _, zf := range zr.File {
				if strings.HasSuffix(zf.Name, "/data.pkl") {
					if rc, err := zf.Open(); err == nil {
						b := make([]byte, zf.UncompressedSize64)
						if _, err := rc.Read(b); err == nil {
							f.Add(b)
						}
						rc.Close()
					}
				}
			}
			zr.Close()
		}
	}
	pkl, zipped := oneTensor(f)
	f.Add(pkl)
	f.Add(zipped)
	sizes := map[string]int{"F32": 4, "F16": 2, "BF16": 2, "F64": 8, "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U8": 1, "BOOL": 1,
		"U16": 2, "U32": 4, "U64": 8, "F8_E4M3": 1, "F8_E5M2": 1}
	f.Fuzz(func(t *testing.T, data []byte) {
		ts, err := ReadBytes(data, "fuzz.bin")
		if err != nil {
			if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), "fuzz.bin") {
				t.Fatalf("error is not a FormatError naming the input: %v", err)
			}
			return
		}
		if !slices.IsSortedFunc(ts, func(a, b Tensor) int { return strings.Compare(a.Name, b.Name) }) {
			t.Fatal("tensors not sorted by name")
		}
		for _, x := range ts {
			size, ok := sizes[x.DType]
			if !ok {
				t.Fatalf("tensor %q: unknown dtype %q", x.Name, x.DType)
			}
			n := int64(1)
			for _, d := range x.Shape {
				if d < 0 {
					t.Fatalf("tensor %q: negative size in %v", x.Name, x.Shape)
				}
				n *= d
			}
			if int64(len(x.Data)) != n*int64(size) {
				t.Fatalf("tensor %q: %d bytes for shape %v of %s", x.Name, len(x.Data), x.Shape, x.DType)
			}
		}
	})
}
