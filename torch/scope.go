package torch

import (
	"sync"
)

// Scope owns the tensors made through it and frees them all on Close, except those passed to Keep.
// Its op methods mirror the package functions but return only the tensor: the first error is recorded
// and every later op returns nil, so a forward pass or a loss reads as straight-line code followed by one
// Err check. Use one scope per batch or training step; parameters live outside it.
//
// A Scope may be shared by goroutines; it is cheap to make.
type Scope struct {
	mu      sync.Mutex
	tensors []*Tensor
	err     error
}

// NewScope returns an empty scope.
func NewScope() *Scope { return &Scope{} }

// track records t (or err) and returns t; after an error it returns nil.
func (s *Scope) track(t *Tensor, err error) *Tensor {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		if s.err == nil {
			s.err = err
		}
		t.Close()
		return nil
	}
	if t != nil {
		s.tensors = append(s.tensors, t)
	}
	return t
}

// Track adopts a tensor made elsewhere (e.g. by a package function) so that Close frees it.
func (s *Scope) Track(t *Tensor, err error) *Tensor { return s.track(t, err) }

// Fail records an error as if an op had failed (the first error wins).
func (s *Scope) Fail(err error) {
	if err == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err == nil {
		s.err = err
	}
}

// Err is the first error an op in this scope returned.
func (s *Scope) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// Keep removes t from the scope so Close leaves it alive; the caller now owns it.
func (s *Scope) Keep(t *Tensor) *Tensor {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := len(s.tensors) - 1; i >= 0; i-- {
		if s.tensors[i] == t {
			s.tensors = append(s.tensors[:i], s.tensors[i+1:]...)
			break
		}
	}
	return t
}

// Close frees every tensor still owned by the scope. It is idempotent.
func (s *Scope) Close() {
	s.mu.Lock()
	ts := s.tensors
	s.tensors = nil
	s.mu.Unlock()
	for _, t := range ts {
		t.Close()
	}
}

// Len is the number of tensors the scope owns.
func (s *Scope) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.tensors)
}

// Run calls fn with a fresh scope, frees everything fn made except what it returns, and returns fn's
// result together with the scope's first error.
func Run(fn func(s *Scope) *Tensor) (*Tensor, error) {
	s := NewScope()
	defer s.Close()
	out := fn(s)
	if err := s.Err(); err != nil {
		return nil, err
	}
	return s.Keep(out), nil
}

// FromSlice is the scoped form of the package function FromSlice (float32 data).
func (s *Scope) FromSlice(data []float32, shape ...int64) *Tensor {
	return s.track(FromSlice(data, shape...))
}

// FromInt64s is the scoped form of FromSlice for int64 data.
func (s *Scope) FromInt64s(data []int64, shape ...int64) *Tensor {
	return s.track(FromSlice(data, shape...))
}

// Reshape is the scoped form of the package function Reshape.
func (s *Scope) Reshape(a *Tensor, shape ...int64) *Tensor { return s.track(Reshape(a, shape...)) }

// Transpose is the scoped form of the package function Transpose.
func (s *Scope) Transpose(a *Tensor, d0, d1 int64) *Tensor { return s.track(Transpose(a, d0, d1)) }

// Permute is the scoped form of the package function Permute.
func (s *Scope) Permute(a *Tensor, dims ...int64) *Tensor { return s.track(Permute(a, dims...)) }

// Narrow is the scoped form of the package function Narrow.
func (s *Scope) Narrow(a *Tensor, dim, start, length int64) *Tensor {
	return s.track(Narrow(a, dim, start, length))
}

// IndexSelect is the scoped form of the package function IndexSelect.
func (s *Scope) IndexSelect(a *Tensor, dim int64, index *Tensor) *Tensor {
	return s.track(IndexSelect(a, dim, index))
}

// Gather is the scoped form of the package function Gather.
func (s *Scope) Gather(a *Tensor, dim int64, index *Tensor) *Tensor {
	return s.track(Gather(a, dim, index))
}

// Cat is the scoped form of the package function Cat.
func (s *Scope) Cat(ts []*Tensor, dim int64) *Tensor { return s.track(Cat(ts, dim)) }

// Stack is the scoped form of the package function Stack.
func (s *Scope) Stack(ts []*Tensor, dim int64) *Tensor { return s.track(Stack(ts, dim)) }

// Unsqueeze is the scoped form of the package function Unsqueeze.
func (s *Scope) Unsqueeze(a *Tensor, dim int64) *Tensor { return s.track(Unsqueeze(a, dim)) }

// Squeeze is the scoped form of the package function Squeeze.
func (s *Scope) Squeeze(a *Tensor, dim int64) *Tensor { return s.track(Squeeze(a, dim)) }

// Expand is the scoped form of the package function Expand.
func (s *Scope) Expand(a *Tensor, shape ...int64) *Tensor { return s.track(Expand(a, shape...)) }

// To is the scoped form of Tensor.To.
func (s *Scope) To(a *Tensor, dtype DType, dev Device) *Tensor { return s.track(a.To(dtype, dev)) }

// Argmax is the scoped form of the package function Argmax.
func (s *Scope) Argmax(a *Tensor, dim int64, keepdim bool) *Tensor {
	return s.track(Argmax(a, dim, keepdim))
}

// Where is the scoped form of the package function Where.
func (s *Scope) Where(cond, a, b *Tensor) *Tensor { return s.track(Where(cond, a, b)) }

// MaskedFill is the scoped form of the package function MaskedFill.
func (s *Scope) MaskedFill(a, mask *Tensor, v float64) *Tensor {
	return s.track(MaskedFill(a, mask, v))
}

// Clamp is the scoped form of the package function Clamp.
func (s *Scope) Clamp(a *Tensor, lo, hi float64) *Tensor { return s.track(Clamp(a, lo, hi)) }

// Linear is the scoped form of the package function Linear.
func (s *Scope) Linear(x, w, b *Tensor) *Tensor { return s.track(Linear(x, w, b)) }

// OneDNNLinear is the scoped form of the package function OneDNNLinear.
func (s *Scope) OneDNNLinear(x, w, b *Tensor) *Tensor { return s.track(OneDNNLinear(x, w, b)) }

// Embedding is the scoped form of the package function Embedding.
func (s *Scope) Embedding(w, ids *Tensor) *Tensor { return s.track(Embedding(w, ids)) }

// LayerNorm is the scoped form of the package function LayerNorm.
func (s *Scope) LayerNorm(x, w, b *Tensor, eps float64) *Tensor {
	return s.track(LayerNorm(x, w, b, eps))
}

// Softmax is the scoped form of the package function Softmax.
func (s *Scope) Softmax(x *Tensor, dim int64) *Tensor { return s.track(Softmax(x, dim)) }

// LogSoftmax is the scoped form of the package function LogSoftmax.
func (s *Scope) LogSoftmax(x *Tensor, dim int64) *Tensor { return s.track(LogSoftmax(x, dim)) }

// Dropout is the scoped form of the package function Dropout.
func (s *Scope) Dropout(x *Tensor, p float64, train bool) *Tensor {
	return s.track(Dropout(x, p, train))
}

// Normalize is the scoped form of the package function Normalize.
func (s *Scope) Normalize(x *Tensor, p float64, dim int64, eps float64) *Tensor {
	return s.track(Normalize(x, p, dim, eps))
}

// CosineSimilarity is the scoped form of the package function CosineSimilarity.
func (s *Scope) CosineSimilarity(a, b *Tensor, dim int64, eps float64) *Tensor {
	return s.track(CosineSimilarity(a, b, dim, eps))
}

// CrossEntropy is the scoped form of the package function CrossEntropy.
func (s *Scope) CrossEntropy(logits, targets *Tensor) *Tensor {
	return s.track(CrossEntropy(logits, targets))
}

// MSELoss is the scoped form of the package function MSELoss.
func (s *Scope) MSELoss(a, b *Tensor) *Tensor { return s.track(MSELoss(a, b)) }

// Detach is the scoped form of the package function Detach.
func (s *Scope) Detach(a *Tensor) *Tensor { return s.track(Detach(a)) }

// EncoderLayer is the scoped form of the package function EncoderLayer.
func (s *Scope) EncoderLayer(x, maskBias, posBias *Tensor, w *EncoderLayerWeights, opt EncoderLayerOptions) *Tensor {
	return s.track(EncoderLayer(x, maskBias, posBias, w, opt))
}

// Zeros is the scoped form of the package function Zeros.
func (s *Scope) Zeros(shape []int64, dtype DType, dev Device) *Tensor {
	return s.track(Zeros(shape, dtype, dev))
}

// Full is the scoped form of the package function Full.
func (s *Scope) Full(shape []int64, v float64, dtype DType, dev Device) *Tensor {
	return s.track(Full(shape, v, dtype, dev))
}

// Arange is the scoped form of the package function Arange.
func (s *Scope) Arange(start, end int64, dtype DType, dev Device) *Tensor {
	return s.track(Arange(start, end, dtype, dev))
}
