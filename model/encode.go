package model

import (
	"context"
	"fmt"
	"sort"

	"github.com/fewshot-go/fewshot/model/tokenizer"
	"github.com/fewshot-go/fewshot/torch"
)

// EncodeOptions tune Encode.
type EncodeOptions struct {
	BatchSize int  // texts per forward pass; 0 means 32
	Normalize bool // L2-normalise the embeddings (on top of any Normalize module)
	// Progress, when set, is called after each batch with the number of texts done so far.
	Progress func(done int)
}

// Encode embeds texts as sentence-transformers' encode does: tokenised, sorted by length so each batch
// pads little, run in inference mode, and returned in the input order. One text's embedding does not
// depend on the batch it lands in beyond float rounding (padding is masked everywhere).
func (m *Model) Encode(ctx context.Context, texts []string, opt EncodeOptions) ([][]float32, error) {
	bs := opt.BatchSize
	if bs <= 0 {
		bs = 32
	}
	if len(texts) == 0 {
		return [][]float32{}, nil
	}
	encs, err := m.Tokenizer.EncodeBatch(texts, 0)
	if err != nil {
		return nil, fmt.Errorf("encode: %w", err)
	}
	order := make([]int, len(texts))
	for i := range order {
		order[i] = i
	}
	// Longest first, as sentence-transformers does (it sorts by characters; tokens pad tighter).
	sort.SliceStable(order, func(a, b int) bool { return len(encs[order[a]].IDs) > len(encs[order[b]].IDs) })
	out := make([][]float32, len(texts))
	dim := m.Dim()
	for start := 0; start < len(order); start += bs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		end := min(start+bs, len(order))
		batch := make([]tokenizer.Encoding, 0, end-start)
		for _, i := range order[start:end] {
			batch = append(batch, encs[i])
		}
		vecs, err := m.embedBatch(BatchFromEncodings(batch, m.Tokenizer.PadID()), opt.Normalize)
		if err != nil {
			return nil, fmt.Errorf("encode batch at %d: %w", start, err)
		}
		for j, i := range order[start:end] {
			out[i] = vecs[j*dim : (j+1)*dim : (j+1)*dim]
		}
		if opt.Progress != nil {
			opt.Progress(end)
		}
	}
	return out, nil
}

// EncodeBatch embeds one already padded batch in inference mode; rows come back in batch order.
func (m *Model) EncodeBatch(b Batch, normalize bool) ([][]float32, error) {
	flat, err := m.embedBatch(b, normalize)
	if err != nil {
		return nil, err
	}
	dim := m.Dim()
	out := make([][]float32, b.Size)
	for i := range out {
		out[i] = flat[i*dim : (i+1)*dim : (i+1)*dim]
	}
	return out, nil
}

func (m *Model) embedBatch(b Batch, normalize bool) ([]float32, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var flat []float32
	err := torch.InferenceMode(func() error {
		emb, err := m.Forward(b, false)
		if err != nil {
			return err
		}
		defer emb.Close()
		if normalize {
			n, err := torch.Normalize(emb, 2, 1, 1e-12)
			if err != nil {
				return err
			}
			defer n.Close()
			emb = n
		}
		flat, err = emb.Float32s()
		return err
	})
	return flat, err
}
