package torch

import (
	"testing"
)

// benchLinear times y = x W^T + b for x [m, k], W [n, k] and reports GFLOP/s (2*m*n*k per call); with
// packed, W is packed by PackLinear first (oneDNN's matmul called directly).
func benchLinear(b *testing.B, m, k, n int64, packed bool) {
	x, _ := Randn([]int64{m, k}, Float32, CPU)
	w, _ := Randn([]int64{n, k}, Float32, CPU)
	bias, _ := Randn([]int64{n}, Float32, CPU)
	defer x.Close()
	defer w.Close()
	defer bias.Close()
	if packed {
		if !PackedLinearAvailable() {
			b.Skip("this shim has no direct oneDNN path")
		}
		pw, err := PackLinear(w)
		if err != nil {
			b.Fatal(err)
		}
		defer pw.Close()
		w = pw
	}
	err := InferenceMode(func() error {
		for i := 0; i < 3; i++ {
			y, err := Linear(x, w, bias)
			if err != nil {
				return err
			}
			y.Close()
		}
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			y, err := Linear(x, w, bias)
			if err != nil {
				return err
			}
			y.Close()
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(2*m*n*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

// BenchmarkMatmul512 times a square 512x512 float32 matrix product.
func BenchmarkMatmul512(b *testing.B) {
	x, _ := Randn([]int64{512, 512}, Float32, CPU)
	defer x.Close()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		y, err := Matmul(x, x)
		if err != nil {
			b.Fatal(err)
		}
		y.Close()
	}
	b.ReportMetric(float64(2*512*512*512)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

// BenchmarkLinearFFN is the feed-forward input layer of a MiniLM-L6-sized encoder on 32 sentences of 32
// tokens: [1024, 384] x [384, 1536].
func BenchmarkLinearFFN(b *testing.B) { benchLinear(b, 1024, 384, 1536, false) }

// BenchmarkLinearFFNPacked is the same product on a weight packed by PackLinear.
func BenchmarkLinearFFNPacked(b *testing.B) { benchLinear(b, 1024, 384, 1536, true) }

// BenchmarkLinearQKV is the fused query/key/value projection of the same encoder: [1024, 384] x [384, 1152].
func BenchmarkLinearQKV(b *testing.B) { benchLinear(b, 1024, 384, 1152, false) }

// BenchmarkLinearQKVPacked is the same product on a weight packed by PackLinear.
func BenchmarkLinearQKVPacked(b *testing.B) { benchLinear(b, 1024, 384, 1152, true) }

// BenchmarkCallOverhead is the cost of one op call across cgo on a one-element tensor, allocation and
// free of the result included.
func BenchmarkCallOverhead(b *testing.B) {
	x, _ := FromSlice([]float32{1})
	defer x.Close()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		y, err := AddScalar(x, 1)
		if err != nil {
			b.Fatal(err)
		}
		y.Close()
	}
}

// BenchmarkShapeQuery is a cgo call that allocates nothing: the floor of the binding's overhead.
func BenchmarkShapeQuery(b *testing.B) {
	x, _ := FromSlice([]float32{1, 2}, 1, 2)
	defer x.Close()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := x.Numel(); err != nil {
			b.Fatal(err)
		}
	}
}

// benchLinearTrain times one training pass of y = x W^T + b for x [m, k], W [n, k]: the forward product and,
// through backward from sum(y * c), both gradient products (dx = dy W, dW = dy^T x), 3*2*m*n*k FLOPs, through
// OneDNNLinear (onednn) or Linear (libtorch's BLAS path).
func benchLinearTrain(b *testing.B, m, k, n int64, onednn bool) {
	if onednn && !MKLDNNAvailable() {
		b.Skip("libtorch has no oneDNN")
	}
	sc := NewScope()
	defer sc.Close()
	x := sc.Track(Randn([]int64{m, k}, Float32, CPU))
	w := sc.Track(Randn([]int64{n, k}, Float32, CPU))
	bias := sc.Track(Randn([]int64{n}, Float32, CPU))
	c := sc.Track(Randn([]int64{m, n}, Float32, CPU))
	if err := sc.Err(); err != nil {
		b.Fatal(err)
	}
	for _, p := range []*Tensor{x, w, bias} {
		if err := p.SetRequiresGrad(true); err != nil {
			b.Fatal(err)
		}
	}
	step := func() error {
		s := NewScope()
		defer s.Close()
		loss := s.Sum(s.Mul(trainingLinear(s, onednn, x, w, bias), c), false)
		if err := s.Err(); err != nil {
			return err
		}
		if err := loss.Backward(); err != nil {
			return err
		}
		for _, p := range []*Tensor{x, w, bias} {
			if err := p.ZeroGrad(); err != nil {
				return err
			}
		}
		return nil
	}
	err := EnableGrad(func() error {
		for i := 0; i < 2; i++ {
			if err := step(); err != nil {
				return err
			}
		}
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if err := step(); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(3*2*m*n*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

// BenchmarkLinearTrainFFN is a training pass (forward and both gradient products) of the FFN input layer,
// [1024, 384] x [384, 1536], on libtorch's BLAS path.
func BenchmarkLinearTrainFFN(b *testing.B) { benchLinearTrain(b, 1024, 384, 1536, false) }

// BenchmarkOneDNNLinearTrainFFN is the same through OneDNNLinear.
func BenchmarkOneDNNLinearTrainFFN(b *testing.B) { benchLinearTrain(b, 1024, 384, 1536, true) }

// BenchmarkOneDNNLinearTrainFFNOut is the FFN output layer, [1024, 1536] x [1536, 384], through OneDNNLinear.
func BenchmarkOneDNNLinearTrainFFNOut(b *testing.B) { benchLinearTrain(b, 1024, 1536, 384, true) }
