package model

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fewshot-go/fewshot/torch"
)

// The oneDNN inference path and the plain path give the same embeddings on every tiny model.
func TestFastPathMatchesPlain(t *testing.T) {
	if !torch.MKLDNNAvailable() {
		t.Skip("libtorch has no oneDNN: the plain path is the only one")
	}
	f := loadFixture(t)
	for name, fm := range f.Models {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join("testdata", "models", name)
			fast, err := Load(dir, LoadOptions{})
			require.NoError(t, err)
			defer fast.Close()
			plain, err := Load(dir, LoadOptions{CPUMode: PackPlain})
			require.NoError(t, err)
			defer plain.Close()
			assert.True(t, fast.Encoder.Fast())
			assert.False(t, plain.Encoder.Fast())
			texts := make([]string, len(fm.Texts))
			for i, ft := range fm.Texts {
				texts[i] = ft.Text
			}
			a, err := fast.Encode(context.Background(), texts, EncodeOptions{BatchSize: 3})
			require.NoError(t, err)
			b, err := plain.Encode(context.Background(), texts, EncodeOptions{BatchSize: 3})
			require.NoError(t, err)
			layers, err := fast.Encoder.inferenceLayers()
			require.NoError(t, err)
			direct, err := layers[0].QKVWeight.IsPackedLinear()
			require.NoError(t, err)
			assert.Equal(t, torch.PackedLinearAvailable(), direct, "float32 packing calls oneDNN's matmul directly where the shim can")
			for i := range a {
				assertParity(t, b[i], a[i], name+" fast vs plain")
				assertParity(t, fm.Texts[i].SentenceEmbedding, a[i], name+" fast vs reference")
			}
			// Training turns the fast path off.
			require.NoError(t, fast.SetTrainable(true))
			assert.False(t, fast.Encoder.Fast())
		})
	}
}

// bfloat16 packing stays close to float32: cosine >= 0.999 on the tiny models (random weights overstate
// the loss; the README gives the accuracy on real tasks).
func TestBFloat16PathIsClose(t *testing.T) {
	if !torch.MKLDNNAvailable() {
		t.Skip("libtorch has no oneDNN")
	}
	f := loadFixture(t)
	fm := f.Models["bert"]
	m, err := Load(filepath.Join("testdata", "models", "bert"), LoadOptions{CPUMode: PackBFloat16})
	require.NoError(t, err)
	defer m.Close()
	for _, ft := range fm.Texts {
		got, err := m.Encode(context.Background(), []string{ft.Text}, EncodeOptions{})
		require.NoError(t, err)
		assertParityTol(t, ft.SentenceEmbedding, got[0], 0.05, 0.999, "bf16 text "+ft.Text)

	}
}

// LoadOptions.CPUMode is one value: ParseCPUMode reads the CLI's names, String writes them back, the
// zero value is the packed float32 path, PackPlain turns every oneDNN path off, and a value outside
// the enum is refused.
func TestCPUModeOption(t *testing.T) {
	cases := []struct {
		in   string
		want CPUPacking
	}{
		{"", PackFloat32}, {"fast", PackFloat32}, {"plain", PackPlain}, {"bf16", PackBFloat16},
		{"BFloat16", PackBFloat16}, {" int8 ", PackInt8},
	}
	for _, c := range cases {
		got, err := ParseCPUMode(c.in)
		require.NoError(t, err, c.in)
		assert.Equal(t, c.want, got, c.in)
	}
	for _, p := range []CPUPacking{PackFloat32, PackPlain, PackBFloat16, PackInt8} {
		back, err := ParseCPUMode(p.String())
		require.NoError(t, err)
		assert.Equal(t, p, back)
	}
	_, err := ParseCPUMode("int4")
	assert.ErrorContains(t, err, `CPU mode "int4": want fast, plain, bf16 or int8`)

	dir := filepath.Join("testdata", "models", "bert")
	plain, err := Load(dir, LoadOptions{CPUMode: PackPlain})
	require.NoError(t, err)
	defer plain.Close()
	assert.False(t, plain.Encoder.Fast(), "plain: no packed inference path")
	assert.False(t, plain.Encoder.TrainOneDNN(), "plain: no oneDNN training linears")
	def, err := Load(dir, LoadOptions{})
	require.NoError(t, err)
	defer def.Close()
	assert.Equal(t, torch.MKLDNNAvailable(), def.Encoder.Fast(), "the zero value packs where oneDNN exists")
	assert.Equal(t, PackFloat32, def.Encoder.Packing())
	_, err = Load(dir, LoadOptions{CPUMode: PackPlain + 1})
	assert.ErrorContains(t, err, "unknown CPU mode packing(4)")
}
