package model

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fewshot-go/fewshot/torch"
)

// fixture mirrors testdata/expected.json, written by scripts/make_tiny_models.py from an independent
// torch.nn.functional reference (scripts/reference_encoder.py).
type fixture struct {
	Models map[string]fixtureModel `json:"models"`
}

type fixtureModel struct {
	Path         string        `json:"path"`
	ModelType    string        `json:"model_type"`
	PoolingModes []string      `json:"pooling_modes"`
	EmbeddingDim int           `json:"embedding_dim"`
	Texts        []fixtureText `json:"texts"`
	Batch        struct {
		InputIDs          [][]int64   `json:"input_ids"`
		AttentionMask     [][]int64   `json:"attention_mask"`
		TokenTypeIDs      [][]int64   `json:"token_type_ids"`
		SentenceEmbedding [][]float32 `json:"sentence_embedding"`
	} `json:"batch"`
	Buckets *struct {
		RelativePositions []int   `json:"relative_positions"`
		Buckets           []int64 `json:"buckets"`
	} `json:"relative_position_buckets"`
}

type fixtureText struct {
	Text              string               `json:"text"`
	InputIDs          []int64              `json:"input_ids"`
	TokenTypeIDs      []int64              `json:"token_type_ids"`
	AttentionMask     []int64              `json:"attention_mask"`
	TokenEmbeddings   [][]float32          `json:"token_embeddings"`
	Pooled            map[string][]float32 `json:"pooled"`
	SentenceEmbedding []float32            `json:"sentence_embedding"`
}

func loadFixture(t *testing.T) fixture {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "expected.json"))
	require.NoError(t, err)
	var f fixture
	require.NoError(t, json.Unmarshal(b, &f))
	require.Len(t, f.Models, 4)
	return f
}

func loadTiny(t *testing.T, name string) *Model {
	t.Helper()
	m, err := Load(filepath.Join("testdata", "models", name), LoadOptions{})
	require.NoError(t, err)
	t.Cleanup(m.Close)
	return m
}

// assertParity checks max abs diff <= 1e-5 and cosine >= 0.99999.
func assertParity(t *testing.T, want, got []float32, what string) {
	t.Helper()
	assertParityTol(t, want, got, 1e-5, 0.99999, what)
}

func assertParityTol(t *testing.T, want, got []float32, maxAbs, minCos float64, what string) {
	t.Helper()
	require.Len(t, got, len(want), what)
	var dot, nw, ng, maxd float64
	for i := range want {
		d := math.Abs(float64(want[i]) - float64(got[i]))
		maxd = math.Max(maxd, d)
		dot += float64(want[i]) * float64(got[i])
		nw += float64(want[i]) * float64(want[i])
		ng += float64(got[i]) * float64(got[i])
	}
	assert.LessOrEqual(t, maxd, maxAbs, "%s: max abs diff", what)
	if nw > 0 && ng > 0 {
		assert.GreaterOrEqual(t, dot/math.Sqrt(nw*ng), minCos, "%s: cosine", what)
	}
}

func single(ft fixtureText) Batch {
	return Batch{IDs: ft.InputIDs, TypeIDs: ft.TokenTypeIDs, Mask: ft.AttentionMask, Size: 1, SeqLen: len(ft.InputIDs)}
}

func TestParityWithReference(t *testing.T) {
	f := loadFixture(t)
	for name, fm := range f.Models {
		t.Run(name, func(t *testing.T) {
			m := loadTiny(t, name)
			assert.Equal(t, fm.ModelType, m.Arch.ModelType)
			assert.Equal(t, fm.EmbeddingDim, m.Dim())
			assert.Equal(t, fm.PoolingModes, m.Pooling.Modes())
			assert.Empty(t, m.Encoder.Unexpected)
			for i, ft := range fm.Texts {
				// Tokenisation matches the reference tokenizer.
				enc, err := m.Tokenizer.Encode(ft.Text)
				require.NoError(t, err)
				assert.Equal(t, ft.InputIDs, enc.IDs, "text %d ids", i)
				assert.Equal(t, ft.AttentionMask, enc.Mask, "text %d mask", i)

				// Token states and the sentence embedding, text alone.
				tok, err := m.TokenEmbeddings(single(ft))
				require.NoError(t, err)
				tv, err := tok.Float32s()
				tok.Close()
				require.NoError(t, err)
				var want []float32
				for _, row := range ft.TokenEmbeddings {
					want = append(want, row...)
				}
				assertParity(t, want, tv, name+" token embeddings")
				got, err := m.EncodeBatch(single(ft), false)
				require.NoError(t, err)
				assertParity(t, ft.SentenceEmbedding, got[0], name+" sentence embedding")
			}
			// The padded batch gives each text's alone-embedding.
			var b Batch
			for r := range fm.Batch.InputIDs {
				b.IDs = append(b.IDs, fm.Batch.InputIDs[r]...)
				b.Mask = append(b.Mask, fm.Batch.AttentionMask[r]...)
				b.TypeIDs = append(b.TypeIDs, fm.Batch.TokenTypeIDs[r]...)
			}
			b.Size, b.SeqLen = len(fm.Batch.InputIDs), len(fm.Batch.InputIDs[0])
			got, err := m.EncodeBatch(b, false)
			require.NoError(t, err)
			for r := range got {
				assertParity(t, fm.Texts[r].SentenceEmbedding, got[r], name+" padded batch")
				assertParity(t, fm.Batch.SentenceEmbedding[r], got[r], name+" padded batch vs reference batch")
			}
		})
	}
}

func TestEveryPoolingMode(t *testing.T) {
	f := loadFixture(t)
	modes := map[string]PoolingConfig{
		"cls": {CLS: true}, "mean": {Mean: true}, "max": {Max: true}, "mean_sqrt_len_tokens": {MeanSqrtLen: true},
		"weightedmean": {WeightedMean: true}, "lasttoken": {LastToken: true},
	}
	for name, fm := range f.Models {
		m := loadTiny(t, name)
		m.Dense, m.Normalize = nil, false
		for mode, cfg := range modes {
			t.Run(name+"/"+mode, func(t *testing.T) {
				m.Pooling = cfg
				// Pad all texts together so masked pooling is exercised.
				var b Batch
				for _, ft := range fm.Texts {
					b.SeqLen = max(b.SeqLen, len(ft.InputIDs))
				}
				for _, ft := range fm.Texts {
					pad := b.SeqLen - len(ft.InputIDs)
					b.IDs = append(b.IDs, ft.InputIDs...)
					b.Mask = append(b.Mask, ft.AttentionMask...)
					b.TypeIDs = append(b.TypeIDs, ft.TokenTypeIDs...)
					for range pad {
						b.IDs = append(b.IDs, int64(m.Arch.PadTokenID))
						b.Mask = append(b.Mask, 0)
						b.TypeIDs = append(b.TypeIDs, 0)
					}
				}
				b.Size = len(fm.Texts)
				got, err := m.EncodeBatch(b, false)
				require.NoError(t, err)
				for r, ft := range fm.Texts {
					assertParity(t, ft.Pooled[mode], got[r], name+" "+mode)
				}
			})
		}
	}
}

func TestEncodeOrderAndBatchInvariance(t *testing.T) {
	f := loadFixture(t)
	for name, fm := range f.Models {
		m := loadTiny(t, name)
		texts := make([]string, len(fm.Texts))
		for i, ft := range fm.Texts {
			texts[i] = ft.Text
		}
		for _, bs := range []int{1, 3, 8, 100} {
			got, err := m.Encode(context.Background(), texts, EncodeOptions{BatchSize: bs})
			require.NoError(t, err)
			require.Len(t, got, len(texts))
			for i := range texts {
				assertParity(t, fm.Texts[i].SentenceEmbedding, got[i], name+" encode")
			}
		}
		norm, err := m.Encode(context.Background(), texts[:2], EncodeOptions{Normalize: true})
		require.NoError(t, err)
		for _, v := range norm {
			var s float64
			for _, x := range v {
				s += float64(x) * float64(x)
			}
			assert.InDelta(t, 1, s, 1e-5)
		}
	}
}

func TestMPNetRelativeBuckets(t *testing.T) {
	f := loadFixture(t)
	b := f.Models["mpnet"].Buckets
	require.NotNil(t, b)
	for i, rel := range b.RelativePositions {
		assert.Equal(t, b.Buckets[i], relativeBucket(rel, 32), "relative position %d", rel)
	}
}

func TestNoLeakAcrossEncodes(t *testing.T) {
	m := loadTiny(t, "bert")
	_, err := m.Encode(context.Background(), []string{"warm up"}, EncodeOptions{})
	require.NoError(t, err)
	live := torch.LiveTensors()
	for range 20 {
		_, err := m.Encode(context.Background(), []string{"a short one", "and a somewhat longer sentence here"}, EncodeOptions{BatchSize: 1})
		require.NoError(t, err)
	}
	assert.Equal(t, live, torch.LiveTensors())
}
