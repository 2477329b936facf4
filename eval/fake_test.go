package eval

import (
	"context"
	"fmt"
)

// fakeEmbedder returns fixed vectors per text and records its calls.
type fakeEmbedder struct {
	id    string
	vecs  map[string][]float32
	calls [][]string // texts of each Embed call
	err   error
	short bool // return one embedding too few
}

func (f *fakeEmbedder) ID() string { return f.id }

func (f *fakeEmbedder) Embed(_ context.Context, texts []string) ([][]float32, error) {
	f.calls = append(f.calls, append([]string(nil), texts...))
	if f.err != nil {
		return nil, f.err
	}
	out := make([][]float32, 0, len(texts))
	for _, t := range texts {
		v, ok := f.vecs[t]
		if !ok {
			return nil, fmt.Errorf("fake embedder: unknown text %q", t)
		}
		out = append(out, append([]float32(nil), v...))
	}
	if f.short {
		out = out[:len(out)-1]
	}
	return out, nil
}

// textCount counts how often each text was embedded over all calls.
func (f *fakeEmbedder) textCount() map[string]int {
	n := map[string]int{}
	for _, c := range f.calls {
		for _, t := range c {
			n[t]++
		}
	}
	return n
}
