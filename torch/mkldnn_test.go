package torch

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The oneDNN path of EncoderLayer gives the plain path's output to float rounding.
func TestEncoderLayerPackedMatchesPlain(t *testing.T) {
	if !MKLDNNAvailable() {
		t.Skip("libtorch has no oneDNN")
	}
	const B, S, H, heads, I = 3, 5, 16, 4, 32
	require.NoError(t, ManualSeed(11))
	sc := NewScope()
	defer sc.Close()
	rn := func(shape ...int64) *Tensor { return sc.Track(Randn(shape, Float32, CPU)) }
	pack := func(x *Tensor) *Tensor { return sc.Track(ToMKLDNN(x)) }
	x := rn(B, S, H)
	w := EncoderLayerWeights{
		QKVWeight: rn(3*H, H), QKVBias: rn(3 * H), OutWeight: rn(H, H), OutBias: rn(H),
		AttnNormWeight: rn(H), AttnNormBias: rn(H), InterWeight: rn(I, H), InterBias: rn(I),
		OutputWeight: rn(H, I), OutputBias: rn(H), OutputNormWeight: rn(H), OutputNormBias: rn(H),
	}
	p := w
	p.QKVWeight, p.QKVBias, p.OutWeight, p.OutBias = pack(w.QKVWeight), pack(w.QKVBias), pack(w.OutWeight), pack(w.OutBias)
	p.InterWeight, p.InterBias, p.OutputWeight, p.OutputBias = pack(w.InterWeight), pack(w.InterBias), pack(w.OutputWeight), pack(w.OutputBias)
	ok, err := p.QKVWeight.IsMKLDNN()
	require.NoError(t, err)
	assert.True(t, ok)
	mask := sc.FromSlice([]float32{0, 0, 0, 0, 0, 0, 0, 0, -1e9, -1e9, 0, 0, 0, 0, -1e9}, B, 1, 1, S)
	opt := EncoderLayerOptions{Heads: heads, Eps: 1e-12, Activation: ActGELU}
	want := sc.EncoderLayer(x, mask, nil, &w, opt)
	got := sc.EncoderLayer(x, mask, nil, &p, opt)
	require.NoError(t, sc.Err())
	wv, err := want.Float32s()
	require.NoError(t, err)
	gv, err := got.Float32s()
	require.NoError(t, err)
	var maxd float64
	for i := range wv {
		maxd = math.Max(maxd, math.Abs(float64(wv[i]-gv[i])))
	}
	assert.Less(t, maxd, 1e-5)
	_, err = ToMKLDNN(sc.Track(Arange(0, 4, Int64, CPU)))
	assert.Error(t, err, "integer tensors cannot be packed")
}
