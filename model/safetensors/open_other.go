//go:build !unix

package safetensors

import (
	"fmt"
	"os"
)

// Open reads and parses the file at path. On this platform the file is read
// into memory rather than mapped; Close is then a no-op.
func Open(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("safetensors: read %s: %w", path, err)
	}
	return parse(data, path)
}
