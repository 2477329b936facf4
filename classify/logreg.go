package classify

import (
	"errors"
	"fmt"
	"math"

	"github.com/fewshot-go/fewshot/torch"
)

// Defaults of LogReg's optimisation.
const (
	// DefaultLogRegC is the inverse regularisation strength, as
	// scikit-learn's LogisticRegression default C=1.
	DefaultLogRegC = 1.0
	// DefaultLogRegMaxIter bounds the L-BFGS iterations.
	DefaultLogRegMaxIter = 1000
	// DefaultLogRegTol is the stopping tolerance on the largest absolute
	// gradient component of the regularised mean loss.
	DefaultLogRegTol = 1e-6
)

// LogReg is a multinomial logistic-regression head over raw (unscaled)
// embeddings, the classifier SetFit fits on its sentence embeddings. Scores
// are the softmax probabilities of the labels (labels sorted; equal scores
// go to the earlier label).
//
// Fit minimises the mean softmax cross-entropy of the support set plus
// (λ/2)·‖W‖², with λ = 1/(C·n) for n support examples; the bias is not
// penalised. That is the objective of scikit-learn's
// LogisticRegression(C) with the lbfgs solver, divided by C·n, so both have
// the same optimum. With two labels scikit-learn fits a binary model with one
// weight vector w; the softmax model gives the same probabilities when
// λ = 2/(C·n), which Fit then uses (its optimum has w₁ = −w₀ = w/2).
//
// The loss and its gradient are computed by libtorch's autograd in float64;
// the optimiser is L-BFGS (minimizeLBFGS, in Go: the shim exposes no LBFGS)
// started from all-zero weights, as scikit-learn's lbfgs solver is.
// Full-batch Adam was tried first: 300 cosine-decayed steps at learning rate
// 0.1 reached gradients of 1e-8 on unit-norm embeddings but only 1e-3 on
// unnormalised ones of norm 20, where L-BFGS, nearly invariant to scale,
// converges in tens of iterations (77 classes of 10 TF-IDF vectors: 18). It
// stops when no gradient component exceeds Tol or a step no longer lowers the
// loss measurably, so it reaches scikit-learn's optimum at least as tightly
// as scikit-learn does (gtol 1e-4). No random numbers are involved, so no
// seed is needed: the same support set gives bit-identical weights (on one
// machine with one thread count), and libtorch's global generator is left
// alone. Embedding columns that are zero in every support example (common
// with TF-IDF) are left out of the optimisation; their weights are exactly
// zero at the optimum.
type LogReg struct {
	// C is the inverse regularisation strength; 0 means DefaultLogRegC.
	C float64
	// MaxIter bounds the L-BFGS iterations; 0 means DefaultLogRegMaxIter.
	MaxIter int
	// Tol stops the optimisation when no gradient component exceeds it;
	// 0 means DefaultLogRegTol.
	Tol float64
	// Classes optionally fixes the label set, as for Prototype.
	Classes []string

	labels  []string
	w       [][]float64 // [len(labels)][dim]
	b       []float64
	dim     int
	iters   int
	gradMax float64
}

type logRegConfig struct {
	C       float64 `json:"c"`
	MaxIter int     `json:"max_iter"`
	Tol     float64 `json:"tol"`
}

func (l *LogReg) config() (logRegConfig, error) {
	c := logRegConfig{C: l.C, MaxIter: l.MaxIter, Tol: l.Tol}
	if c.C == 0 {
		c.C = DefaultLogRegC
	}
	if c.MaxIter == 0 {
		c.MaxIter = DefaultLogRegMaxIter
	}
	if c.Tol == 0 {
		c.Tol = DefaultLogRegTol
	}
	switch {
	case !(c.C > 0) || math.IsInf(c.C, 0):
		return c, fmt.Errorf("logreg: C must be positive, got %v", l.C)
	case c.MaxIter < 0:
		return c, fmt.Errorf("logreg: MaxIter must be >= 0, got %d", l.MaxIter)
	case !(c.Tol >= 0) || math.IsInf(c.Tol, 0):
		return c, fmt.Errorf("logreg: Tol must be >= 0, got %v", l.Tol)
	}
	return c, nil
}

// Fit trains the head on the support embeddings and labels.
func (l *LogReg) Fit(emb [][]float32, labels []string) error {
	cfg, err := l.config()
	if err != nil {
		return err
	}
	classes, ids, dim, err := checkSupport(emb, labels, l.Classes)
	if err != nil {
		return fmt.Errorf("logreg fit: %w", err)
	}
	// Keep only the columns that some support example uses.
	var cols []int
	for j := 0; j < dim; j++ {
		for _, row := range emb {
			if row[j] != 0 {
				cols = append(cols, j)
				break
			}
		}
	}
	n, k := len(emb), len(classes)
	lambda := 1 / (cfg.C * float64(n))
	if k == 2 {
		lambda *= 2
	}
	var wc [][]float64
	var b []float64
	var iters int
	var gmax float64
	if len(cols) == 0 {
		// Every support embedding is zero: only the biases can learn, and
		// with balanced or unbalanced classes alike their optimum is the
		// log of the class frequencies (centred).
		wc = make([][]float64, k)
		b = logFrequencies(ids, k)
	} else {
		wc, b, iters, gmax, err = fitLogReg(emb, ids, cols, k, lambda, cfg)
		if err != nil {
			return fmt.Errorf("logreg fit (%d examples, %d classes): %w", n, k, err)
		}
	}
	w := make([][]float64, k)
	for c := range w {
		w[c] = make([]float64, dim)
		for i, j := range cols {
			w[c][j] = wc[c][i]
		}
	}
	for c := range w {
		for j, v := range w[c] {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("logreg fit: weight [%d][%d] is %v (the optimisation diverged)", c, j, v)
			}
		}
		if math.IsNaN(b[c]) || math.IsInf(b[c], 0) {
			return fmt.Errorf("logreg fit: bias %d is %v (the optimisation diverged)", c, b[c])
		}
	}
	l.labels, l.w, l.b, l.dim, l.iters, l.gradMax = classes, w, b, dim, iters, gmax
	return nil
}

// logFrequencies returns the centred log class frequencies.
func logFrequencies(ids []int, k int) []float64 {
	count := make([]float64, k)
	for _, id := range ids {
		count[id]++
	}
	b := make([]float64, k)
	mean := 0.0
	for c := range b {
		b[c] = math.Log(count[c] / float64(len(ids)))
		mean += b[c] / float64(k)
	}
	for c := range b {
		b[c] -= mean
	}
	return b
}

// fitLogReg runs the optimisation on the columns cols of emb and returns the
// weights [k][len(cols)], the centred bias, the iterations taken and the
// final largest absolute gradient component.
func fitLogReg(emb [][]float32, ids []int, cols []int, k int, lambda float64, cfg logRegConfig) (w [][]float64, b []float64, iters int, gmax float64, err error) {
	n, d := len(emb), len(cols)
	flat := make([]float64, 0, n*d)
	for _, row := range emb {
		for _, j := range cols {
			flat = append(flat, float64(row[j]))
		}
	}
	targets := make([]int64, n)
	for i, id := range ids {
		targets[i] = int64(id)
	}
	keep := torch.NewScope()
	defer keep.Close()
	x := keep.Track(torch.FromSlice(flat, int64(n), int64(d)))
	y := keep.FromInt64s(targets, int64(n))
	if err := keep.Err(); err != nil {
		return nil, nil, 0, 0, err
	}
	nw := k * d
	// loss evaluates the regularised mean cross-entropy at theta = (W
	// row-major, b) with libtorch's autograd, in float64.
	loss := func(theta, grad []float64) (float64, error) {
		s := torch.NewScope()
		defer s.Close()
		wt := s.Track(torch.FromSlice(theta[:nw], int64(k), int64(d)))
		bt := s.Track(torch.FromSlice(theta[nw:], int64(k)))
		if err := s.Err(); err != nil {
			return 0, err
		}
		for _, p := range []*torch.Tensor{wt, bt} {
			if err := p.SetRequiresGrad(true); err != nil {
				return 0, err
			}
		}
		var v float64
		err := torch.EnableGrad(func() error {
			l := s.Add(s.CrossEntropy(s.Linear(x, wt, bt), y), s.MulScalar(s.Sum(s.Square(wt), false), lambda/2))
			if err := s.Err(); err != nil {
				return err
			}
			if err := l.Backward(); err != nil {
				return err
			}
			var err error
			v, err = l.Item()
			return err
		})
		if err != nil {
			return 0, err
		}
		gw := s.Track(wt.Grad())
		gb := s.Track(bt.Grad())
		if err := s.Err(); err != nil {
			return 0, err
		}
		gwv, err := torch.Data[float64](gw)
		if err != nil {
			return 0, err
		}
		gbv, err := torch.Data[float64](gb)
		if err != nil {
			return 0, err
		}
		copy(grad, gwv)
		copy(grad[nw:], gbv)
		return v, nil
	}
	res, err := minimizeLBFGS(loss, make([]float64, nw+k), cfg.MaxIter, cfg.Tol)
	if err != nil {
		return nil, nil, 0, 0, err
	}
	w = make([][]float64, k)
	for c := range w {
		w[c] = res.x[c*d : (c+1)*d : (c+1)*d]
	}
	// The softmax is unchanged by adding a constant to every bias (the
	// gradient has no component along it, so the sum stays near its zero
	// start); centre it exactly.
	b = res.x[nw:]
	mean := 0.0
	for _, v := range b {
		mean += v / float64(k)
	}
	for c := range b {
		b[c] -= mean
	}
	return w, b, res.iters, res.gradMax, nil
}

// Labels returns the fitted labels (sorted), or nil.
func (l *LogReg) Labels() []string { return append([]string(nil), l.labels...) }

// Weights returns copies of the fitted weight matrix (one row per label)
// and bias.
func (l *LogReg) Weights() ([][]float64, []float64) {
	w := make([][]float64, len(l.w))
	for i, r := range l.w {
		w[i] = append([]float64(nil), r...)
	}
	return w, append([]float64(nil), l.b...)
}

// Iterations returns the number of optimisation steps the last Fit took and
// the largest absolute gradient component of the regularised loss at its
// result (0, 0 after Restore).
func (l *LogReg) Iterations() (steps int, gradMax float64) { return l.iters, l.gradMax }

// Predict returns the label probabilities of every query, best first.
func (l *LogReg) Predict(emb [][]float32) ([]Prediction, error) {
	if l.w == nil {
		return nil, errors.New("logreg predict: not fitted")
	}
	if len(emb) == 0 {
		return nil, nil
	}
	if _, err := checkVectors(emb, l.dim, "query"); err != nil {
		return nil, fmt.Errorf("logreg predict: %w", err)
	}
	out := make([]Prediction, len(emb))
	z := make([]float64, len(l.labels))
	for i, q := range emb {
		for c, row := range l.w {
			s := l.b[c]
			for j, v := range q {
				s += row[j] * float64(v)
			}
			z[c] = s
		}
		p, err := Softmax(z, 1)
		if err != nil {
			return nil, fmt.Errorf("logreg predict query %d: %w", i, err)
		}
		ranked := rankScores(l.labels, p)
		out[i] = Prediction{Label: ranked[0].Label, Scores: ranked}
	}
	return out, nil
}
