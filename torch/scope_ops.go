package torch

// Neg is the scoped form of the package function Neg.
func (s *Scope) Neg(a *Tensor) *Tensor { return s.track(Neg(a)) }

// Exp is the scoped form of the package function Exp.
func (s *Scope) Exp(a *Tensor) *Tensor { return s.track(Exp(a)) }

// Log is the scoped form of the package function Log.
func (s *Scope) Log(a *Tensor) *Tensor { return s.track(Log(a)) }

// Sqrt is the scoped form of the package function Sqrt.
func (s *Scope) Sqrt(a *Tensor) *Tensor { return s.track(Sqrt(a)) }

// Rsqrt is the scoped form of the package function Rsqrt.
func (s *Scope) Rsqrt(a *Tensor) *Tensor { return s.track(Rsqrt(a)) }

// Abs is the scoped form of the package function Abs.
func (s *Scope) Abs(a *Tensor) *Tensor { return s.track(Abs(a)) }

// Tanh is the scoped form of the package function Tanh.
func (s *Scope) Tanh(a *Tensor) *Tensor { return s.track(Tanh(a)) }

// Sigmoid is the scoped form of the package function Sigmoid.
func (s *Scope) Sigmoid(a *Tensor) *Tensor { return s.track(Sigmoid(a)) }

// Relu is the scoped form of the package function Relu.
func (s *Scope) Relu(a *Tensor) *Tensor { return s.track(Relu(a)) }

// Gelu is the scoped form of the package function Gelu.
func (s *Scope) Gelu(a *Tensor) *Tensor { return s.track(Gelu(a)) }

// GeluTanh is the scoped form of the package function GeluTanh.
func (s *Scope) GeluTanh(a *Tensor) *Tensor { return s.track(GeluTanh(a)) }

// Log1p is the scoped form of the package function Log1p.
func (s *Scope) Log1p(a *Tensor) *Tensor { return s.track(Log1p(a)) }

// Softplus is the scoped form of the package function Softplus.
func (s *Scope) Softplus(a *Tensor) *Tensor { return s.track(Softplus(a)) }

// IsFinite is the scoped form of the package function IsFinite.
func (s *Scope) IsFinite(a *Tensor) *Tensor { return s.track(IsFinite(a)) }

// LogicalNot is the scoped form of the package function LogicalNot.
func (s *Scope) LogicalNot(a *Tensor) *Tensor { return s.track(LogicalNot(a)) }

// Contiguous is the scoped form of the package function Contiguous.
func (s *Scope) Contiguous(a *Tensor) *Tensor { return s.track(Contiguous(a)) }

// Clone is the scoped form of the package function Clone.
func (s *Scope) Clone(a *Tensor) *Tensor { return s.track(Clone(a)) }

// Sign is the scoped form of the package function Sign.
func (s *Scope) Sign(a *Tensor) *Tensor { return s.track(Sign(a)) }

// Erf is the scoped form of the package function Erf.
func (s *Scope) Erf(a *Tensor) *Tensor { return s.track(Erf(a)) }

// Square is the scoped form of the package function Square.
func (s *Scope) Square(a *Tensor) *Tensor { return s.track(Square(a)) }

// Add is the scoped form of the package function Add.
func (s *Scope) Add(a, b *Tensor) *Tensor { return s.track(Add(a, b)) }

// Sub is the scoped form of the package function Sub.
func (s *Scope) Sub(a, b *Tensor) *Tensor { return s.track(Sub(a, b)) }

// Mul is the scoped form of the package function Mul.
func (s *Scope) Mul(a, b *Tensor) *Tensor { return s.track(Mul(a, b)) }

// Div is the scoped form of the package function Div.
func (s *Scope) Div(a, b *Tensor) *Tensor { return s.track(Div(a, b)) }

// Pow is the scoped form of the package function Pow.
func (s *Scope) Pow(a, b *Tensor) *Tensor { return s.track(Pow(a, b)) }

// Maximum is the scoped form of the package function Maximum.
func (s *Scope) Maximum(a, b *Tensor) *Tensor { return s.track(Maximum(a, b)) }

// Minimum is the scoped form of the package function Minimum.
func (s *Scope) Minimum(a, b *Tensor) *Tensor { return s.track(Minimum(a, b)) }

// Eq is the scoped form of the package function Eq.
func (s *Scope) Eq(a, b *Tensor) *Tensor { return s.track(Eq(a, b)) }

// Ne is the scoped form of the package function Ne.
func (s *Scope) Ne(a, b *Tensor) *Tensor { return s.track(Ne(a, b)) }

// Lt is the scoped form of the package function Lt.
func (s *Scope) Lt(a, b *Tensor) *Tensor { return s.track(Lt(a, b)) }

// Le is the scoped form of the package function Le.
func (s *Scope) Le(a, b *Tensor) *Tensor { return s.track(Le(a, b)) }

// Gt is the scoped form of the package function Gt.
func (s *Scope) Gt(a, b *Tensor) *Tensor { return s.track(Gt(a, b)) }

// Ge is the scoped form of the package function Ge.
func (s *Scope) Ge(a, b *Tensor) *Tensor { return s.track(Ge(a, b)) }

// LogicalAnd is the scoped form of the package function LogicalAnd.
func (s *Scope) LogicalAnd(a, b *Tensor) *Tensor { return s.track(LogicalAnd(a, b)) }

// LogicalOr is the scoped form of the package function LogicalOr.
func (s *Scope) LogicalOr(a, b *Tensor) *Tensor { return s.track(LogicalOr(a, b)) }

// Matmul is the scoped form of the package function Matmul.
func (s *Scope) Matmul(a, b *Tensor) *Tensor { return s.track(Matmul(a, b)) }

// AddScalar is the scoped form of the package function AddScalar.
func (s *Scope) AddScalar(a *Tensor, v float64) *Tensor { return s.track(AddScalar(a, v)) }

// SubScalar is the scoped form of the package function SubScalar.
func (s *Scope) SubScalar(a *Tensor, v float64) *Tensor { return s.track(SubScalar(a, v)) }

// MulScalar is the scoped form of the package function MulScalar.
func (s *Scope) MulScalar(a *Tensor, v float64) *Tensor { return s.track(MulScalar(a, v)) }

// DivScalar is the scoped form of the package function DivScalar.
func (s *Scope) DivScalar(a *Tensor, v float64) *Tensor { return s.track(DivScalar(a, v)) }

// PowScalar is the scoped form of the package function PowScalar.
func (s *Scope) PowScalar(a *Tensor, v float64) *Tensor { return s.track(PowScalar(a, v)) }

// RsubScalar is the scoped form of the package function RsubScalar.
func (s *Scope) RsubScalar(a *Tensor, v float64) *Tensor { return s.track(RsubScalar(a, v)) }

// EqScalar is the scoped form of the package function EqScalar.
func (s *Scope) EqScalar(a *Tensor, v float64) *Tensor { return s.track(EqScalar(a, v)) }

// NeScalar is the scoped form of the package function NeScalar.
func (s *Scope) NeScalar(a *Tensor, v float64) *Tensor { return s.track(NeScalar(a, v)) }

// LtScalar is the scoped form of the package function LtScalar.
func (s *Scope) LtScalar(a *Tensor, v float64) *Tensor { return s.track(LtScalar(a, v)) }

// LeScalar is the scoped form of the package function LeScalar.
func (s *Scope) LeScalar(a *Tensor, v float64) *Tensor { return s.track(LeScalar(a, v)) }

// GtScalar is the scoped form of the package function GtScalar.
func (s *Scope) GtScalar(a *Tensor, v float64) *Tensor { return s.track(GtScalar(a, v)) }

// GeScalar is the scoped form of the package function GeScalar.
func (s *Scope) GeScalar(a *Tensor, v float64) *Tensor { return s.track(GeScalar(a, v)) }

// ClampMin is the scoped form of the package function ClampMin.
func (s *Scope) ClampMin(a *Tensor, v float64) *Tensor { return s.track(ClampMin(a, v)) }

// ClampMax is the scoped form of the package function ClampMax.
func (s *Scope) ClampMax(a *Tensor, v float64) *Tensor { return s.track(ClampMax(a, v)) }

// Sum is the scoped form of the package function Sum.
func (s *Scope) Sum(a *Tensor, keepdim bool, dims ...int64) *Tensor {
	return s.track(Sum(a, keepdim, dims...))
}

// Mean is the scoped form of the package function Mean.
func (s *Scope) Mean(a *Tensor, keepdim bool, dims ...int64) *Tensor {
	return s.track(Mean(a, keepdim, dims...))
}

// Amax is the scoped form of the package function Amax.
func (s *Scope) Amax(a *Tensor, keepdim bool, dims ...int64) *Tensor {
	return s.track(Amax(a, keepdim, dims...))
}

// Amin is the scoped form of the package function Amin.
func (s *Scope) Amin(a *Tensor, keepdim bool, dims ...int64) *Tensor {
	return s.track(Amin(a, keepdim, dims...))
}

// LogSumExp is the scoped form of the package function LogSumExp.
func (s *Scope) LogSumExp(a *Tensor, keepdim bool, dims ...int64) *Tensor {
	return s.track(LogSumExp(a, keepdim, dims...))
}

// All is the scoped form of the package function All.
func (s *Scope) All(a *Tensor, keepdim bool, dims ...int64) *Tensor {
	return s.track(All(a, keepdim, dims...))
}

// Any is the scoped form of the package function Any.
func (s *Scope) Any(a *Tensor, keepdim bool, dims ...int64) *Tensor {
	return s.track(Any(a, keepdim, dims...))
}
