package torch

import (
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// In inference mode the packed paths of EncoderLayer (weights packed by ToMKLDNN, or by PackLinear with
// the activation and residual additions fused into oneDNN's matmul) compute self-attention with the shim's
// own CPU kernels; the layer's output equals the general path's (libtorch's batched matrix products and
// BLAS linears, taken by the plain weights) to 1e-5 over shapes from one token to long sequences, with
// padding, a position bias (MPNet), head sizes from 1 to 64 and each activation.
func TestEncoderLayerAttentionKernelsMatchGeneralPath(t *testing.T) {
	if !MKLDNNAvailable() {
		t.Skip("libtorch has no oneDNN: the packed path is not available")
	}
	cases := []struct {
		B, S, H, heads, I int64
		pad, posBias      bool
		act               Activation
	}{
		{1, 1, 8, 2, 16, false, false, ActGELU},
		{2, 3, 8, 8, 16, true, false, ActReLU}, // head size 1
		{3, 17, 48, 4, 64, true, true, ActGELU},
		{4, 9, 64, 1, 32, true, false, ActGELUTanh}, // head size 64
		{2, 130, 32, 2, 64, true, true, ActGELU},
	}
	packers := []string{"to_mkldnn"}
	if PackedLinearAvailable() {
		packers = append(packers, "pack_linear")
	}
	for _, c := range cases {
		for _, packer := range packers {
			t.Run(fmt.Sprintf("%s_B%d_S%d_H%d_heads%d_pos%v_act%d", packer, c.B, c.S, c.H, c.heads, c.posBias, c.act), func(t *testing.T) {
				require.NoError(t, ManualSeed(uint64(c.S*7+c.H)))
				sc := NewScope()
				defer sc.Close()
				rn := func(std float64, shape ...int64) *Tensor {
					return sc.MulScalar(sc.Track(Randn(shape, Float32, CPU)), std)
				}
				H, I := c.H, c.I
				x := rn(1, c.B, c.S, H)
				w := EncoderLayerWeights{
					QKVWeight: rn(0.3, 3*H, H), QKVBias: rn(0.1, 3*H), OutWeight: rn(0.2, H, H), OutBias: rn(0.1, H),
					AttnNormWeight: sc.AddScalar(rn(0.1, H), 1), AttnNormBias: rn(0.1, H), InterWeight: rn(0.2, I, H),
					InterBias: rn(0.1, I), OutputWeight: rn(0.15, H, I), OutputBias: rn(0.1, H),
					OutputNormWeight: sc.AddScalar(rn(0.1, H), 1), OutputNormBias: rn(0.1, H),
				}
				p := w
				pack := func(x *Tensor) *Tensor { return sc.Track(ToMKLDNN(x)) }
				packW := pack
				if packer == "pack_linear" {
					pack = func(x *Tensor) *Tensor { return x } // the bias stays a plain tensor
					packW = func(x *Tensor) *Tensor { return sc.Track(PackLinear(x)) }
				}
				p.QKVWeight, p.QKVBias, p.OutWeight, p.OutBias = packW(w.QKVWeight), pack(w.QKVBias), packW(w.OutWeight), pack(w.OutBias)
				p.InterWeight, p.InterBias = packW(w.InterWeight), pack(w.InterBias)
				p.OutputWeight, p.OutputBias = packW(w.OutputWeight), pack(w.OutputBias)
				mask := make([]float32, c.B*c.S)
				if c.pad {
					for b := int64(0); b < c.B; b++ {
						for s := c.S - b*c.S/(c.B+1); s < c.S; s++ { // sequence b has b/(B+1) of its tokens padded
							mask[b*c.S+s] = -math.MaxFloat32
						}
					}
				}
				mb := sc.FromSlice(mask, c.B, 1, 1, c.S)
				var pos *Tensor
				if c.posBias {
					pos = rn(0.5, 1, c.heads, c.S, c.S)
				}
				opt := EncoderLayerOptions{Heads: int(c.heads), Eps: 1e-12, Activation: c.act}
				require.NoError(t, sc.Err())
				var want, got []float32
				require.NoError(t, InferenceMode(func() error {
					want = vals(t)(EncoderLayer(x, mb, pos, &w, opt))
					got = vals(t)(EncoderLayer(x, mb, pos, &p, opt))
					return nil
				}))
				require.Len(t, got, len(want))
				var maxd float64
				for i := range want {
					maxd = math.Max(maxd, math.Abs(float64(want[i]-got[i])))
				}
				assert.Less(t, maxd, 1e-5)
			})
		}
	}
}
