//go:build unix

package safetensors

import (
	"fmt"
	"math"
	"os"
	"syscall"
)

// Open maps the file at path read-only and parses it. The tensors' Data are
// views into the mapping, so the weights are in memory once (in the page
// cache); Close unmaps them.
func Open(path string) (*File, error) {
	fd, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("safetensors: open %s: %w", path, err)
	}
	defer fd.Close()
	fi, err := fd.Stat()
	if err != nil {
		return nil, fmt.Errorf("safetensors: stat %s: %w", path, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("safetensors: %s is not a regular file", path)
	}
	size := fi.Size()
	if size < 8 {
		return nil, &FormatError{Source: path, Msg: fmt.Sprintf("file is %d bytes, shorter than the 8-byte header length", size)}
	}
	if size > math.MaxInt {
		return nil, fmt.Errorf("safetensors %s: file of %d bytes is too large to map", path, size)
	}
	mem, err := syscall.Mmap(int(fd.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("safetensors: mmap %s: %w", path, err)
	}
	f, err := parse(mem, path)
	if err != nil {
		_ = syscall.Munmap(mem)
		return nil, err
	}
	f.mmap = mem
	f.unmap = syscall.Munmap
	return f, nil
}
