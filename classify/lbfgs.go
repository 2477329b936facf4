package classify

import (
	"errors"
	"fmt"
	"math"
)

// objective evaluates a smooth function at x, writing its gradient into grad
// (same length as x).
type objective func(x, grad []float64) (float64, error)

// lbfgsResult is the outcome of minimizeLBFGS.
type lbfgsResult struct {
	x       []float64
	f       float64
	gradMax float64 // largest absolute gradient component at x
	iters   int     // iterations (accepted steps)
	evals   int     // function evaluations
}

// lbfgsMemory is the number of correction pairs kept, scipy's default.
const lbfgsMemory = 10

// minimizeLBFGS minimises f from x0 with limited-memory BFGS (Nocedal &
// Wright, Numerical Optimization, algorithms 7.4 and 7.5): the two-loop
// recursion over the last lbfgsMemory steps gives the search direction,
// scaled by γ = sᵀy/yᵀy, and a backtracking line search from step 1 enforces
// the Armijo condition. It stops when every gradient component is at most
// tol, when a step lowers f by less than 64 machine epsilons relative to f
// (scipy's ftol as scikit-learn sets it), when the line search cannot lower f
// any more, or after maxIter iterations. Meant for smooth convex objectives,
// where every accepted step has sᵀy ≥ 0; pairs with sᵀy ≤ 0 are skipped.
func minimizeLBFGS(f objective, x0 []float64, maxIter int, tol float64) (lbfgsResult, error) {
	n := len(x0)
	x := append([]float64(nil), x0...)
	g := make([]float64, n)
	fx, err := f(x, g)
	if err != nil {
		return lbfgsResult{}, err
	}
	if math.IsNaN(fx) || math.IsInf(fx, 0) {
		return lbfgsResult{}, fmt.Errorf("objective is %v at the start", fx)
	}
	res := lbfgsResult{evals: 1}
	var ss, ys [][]float64
	var rhos []float64
	d := make([]float64, n)
	alpha := make([]float64, lbfgsMemory)
	xt := make([]float64, n)
	gt := make([]float64, n)
	for res.iters < maxIter {
		if absMax(g) <= tol {
			break
		}
		// Two-loop recursion: d = -H·g.
		copy(d, g)
		for i := len(ss) - 1; i >= 0; i-- {
			alpha[i] = rhos[i] * dot64(ss[i], d)
			axpy(-alpha[i], ys[i], d)
		}
		gamma := 1.0
		if m := len(ss); m > 0 {
			gamma = dot64(ss[m-1], ys[m-1]) / dot64(ys[m-1], ys[m-1])
		} else {
			// First step: move at most 1 in the largest coordinate.
			gamma = 1 / math.Max(absMax(g), 1)
		}
		for i := range d {
			d[i] *= gamma
		}
		for i := range ss {
			beta := rhos[i] * dot64(ys[i], d)
			axpy(alpha[i]-beta, ss[i], d)
		}
		for i := range d {
			d[i] = -d[i]
		}
		slope := dot64(g, d)
		if !(slope < 0) {
			// Not a descent direction (rounding): restart from -g.
			ss, ys, rhos = nil, nil, nil
			for i := range d {
				d[i] = -g[i] / math.Max(absMax(g), 1)
			}
			slope = dot64(g, d)
		}
		// Backtracking line search (Armijo, c1 = 1e-4).
		step, accepted := 1.0, false
		var ft float64
		for try := 0; try < 60; try++ {
			for i := range xt {
				xt[i] = x[i] + step*d[i]
			}
			if ft, err = f(xt, gt); err != nil {
				return lbfgsResult{}, err
			}
			res.evals++
			if !math.IsNaN(ft) && ft <= fx+1e-4*step*slope {
				accepted = true
				break
			}
			step /= 2
		}
		if !accepted {
			break // no lower point along d: as close as float64 gets
		}
		s := make([]float64, n)
		y := make([]float64, n)
		for i := range s {
			s[i] = xt[i] - x[i]
			y[i] = gt[i] - g[i]
		}
		if sy := dot64(s, y); sy > 1e-12*math.Sqrt(dot64(y, y)*dot64(s, s)) {
			if len(ss) == lbfgsMemory {
				ss, ys, rhos = ss[1:], ys[1:], rhos[1:]
			}
			ss, ys, rhos = append(ss, s), append(ys, y), append(rhos, 1/sy)
		}
		decrease := fx - ft
		copy(x, xt)
		copy(g, gt)
		fx = ft
		res.iters++
		if decrease <= 64*epsilon64*math.Max(math.Max(math.Abs(fx), math.Abs(fx+decrease)), 1) {
			break
		}
	}
	res.x, res.f, res.gradMax = x, fx, absMax(g)
	if math.IsNaN(res.gradMax) {
		return lbfgsResult{}, errors.New("gradient is NaN")
	}
	return res, nil
}

// epsilon64 is the float64 machine epsilon.
const epsilon64 = 2.220446049250313e-16

func dot64(a, b []float64) float64 {
	s := 0.0
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

// axpy sets y += a·x.
func axpy(a float64, x, y []float64) {
	for i := range x {
		y[i] += a * x[i]
	}
}

func absMax(v []float64) float64 {
	m := 0.0
	for _, x := range v {
		if math.IsNaN(x) {
			return math.NaN()
		}
		m = math.Max(m, math.Abs(x))
	}
	return m
}
