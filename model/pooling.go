package model

import (
	"fmt"

	"github.com/fewshot-go/fewshot/torch"
)

// pool applies the enabled pooling modes to hidden [B, S, H] under the attention mask and concatenates
// them in sentence-transformers' order (cls, max, mean, mean_sqrt_len, weightedmean, lasttoken).
// Padding never contributes: means and maxima are masked, and lasttoken takes the last unmasked position.
func pool(s *torch.Scope, hidden *torch.Tensor, b Batch, cfg PoolingConfig, dev torch.Device) *torch.Tensor {
	B, S := int64(b.Size), int64(b.SeqLen)
	dt, err := hidden.DType()
	if err != nil {
		s.Fail(err)
		return nil
	}
	maskF := make([]float32, len(b.Mask))
	lengths := make([]float32, b.Size)
	last := make([]int64, b.Size)
	for r := 0; r < b.Size; r++ {
		for c := 0; c < b.SeqLen; c++ {
			if b.Mask[r*b.SeqLen+c] != 0 {
				maskF[r*b.SeqLen+c] = 1
				lengths[r]++
				last[r] = int64(c)
			}
		}
	}
	mask := s.To(s.Track(torch.FromSlice(maskF, B, S, 1)), dt, dev) // [B, S, 1]
	var outs []*torch.Tensor
	var sumMask, sumEmb *torch.Tensor
	means := func() {
		if sumEmb == nil {
			sumEmb = s.Sum(s.Mul(hidden, mask), false, 1)     // [B, H]
			sumMask = s.ClampMin(s.Sum(mask, false, 1), 1e-9) // [B, 1]
		}
	}
	if cfg.CLS {
		outs = append(outs, s.Squeeze(s.Narrow(hidden, 1, 0, 1), 1))
	}
	if cfg.Max {
		pad := s.EqScalar(mask, 0)
		outs = append(outs, s.Amax(s.MaskedFill(hidden, pad, -1e9), false, 1))
	}
	if cfg.Mean {
		means()
		outs = append(outs, s.Div(sumEmb, sumMask))
	}
	if cfg.MeanSqrtLen {
		means()
		outs = append(outs, s.Div(sumEmb, s.Sqrt(sumMask)))
	}
	if cfg.WeightedMean {
		w := make([]float32, len(maskF))
		for i := range w {
			w[i] = maskF[i] * float32(i%b.SeqLen+1)
		}
		wt := s.To(s.Track(torch.FromSlice(w, B, S, 1)), dt, dev)
		outs = append(outs, s.Div(s.Sum(s.Mul(hidden, wt), false, 1), s.ClampMin(s.Sum(wt, false, 1), 1e-9)))
	}
	if cfg.LastToken {
		H, err := hidden.Size(2)
		if err != nil {
			s.Fail(err)
			return nil
		}
		idx := make([]int64, b.Size*int(H))
		for r := range last {
			for h := int64(0); h < H; h++ {
				idx[int64(r)*H+h] = last[r]
			}
		}
		it := s.Track(torch.FromSliceOn(dev, idx, B, 1, H))
		outs = append(outs, s.Squeeze(s.Gather(hidden, 1, it), 1))
	}
	if len(outs) == 0 {
		s.Fail(fmt.Errorf("pooling: no pooling mode is enabled"))
		return nil
	}
	if len(outs) == 1 {
		return outs[0]
	}
	return s.Cat(outs, 1)
}

// denseActivation maps a sentence-transformers Dense activation_function (a dotted class path) to an op.
func denseActivation(name string) (func(*torch.Scope, *torch.Tensor) *torch.Tensor, error) {
	short := name
	for i := len(name) - 1; i >= 0; i-- {
		if name[i] == '.' {
			short = name[i+1:]
			break
		}
	}
	switch short {
	case "Tanh", "":
		return (*torch.Scope).Tanh, nil
	case "Identity":
		return func(_ *torch.Scope, x *torch.Tensor) *torch.Tensor { return x }, nil
	case "ReLU":
		return (*torch.Scope).Relu, nil
	case "GELU":
		return (*torch.Scope).Gelu, nil
	case "Sigmoid":
		return (*torch.Scope).Sigmoid, nil
	}
	return nil, fmt.Errorf("dense activation %q is not supported (Tanh, Identity, ReLU, GELU, Sigmoid)", name)
}
