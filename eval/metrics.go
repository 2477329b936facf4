package eval

import (
	"errors"
	"fmt"
	"math"
	"sort"
)

// Accuracy returns the fraction of positions where pred equals gold.
// It fails when the slices differ in length or are empty.
func Accuracy(gold, pred []string) (float64, error) {
	if err := checkLabelSlices(gold, pred); err != nil {
		return 0, fmt.Errorf("accuracy: %w", err)
	}
	correct := 0
	for i := range gold {
		if gold[i] == pred[i] {
			correct++
		}
	}
	return float64(correct) / float64(len(gold)), nil
}

// MacroF1 returns the unweighted mean of the per-class F1 scores, as
// scikit-learn's f1_score(average="macro") computes it: the classes are every
// label that occurs in gold or in pred, and a class's F1 is
// 2·TP / (2·TP + FP + FN). A class that is only predicted, or only gold, has
// F1 0 and still counts in the mean.
func MacroF1(gold, pred []string) (float64, error) {
	if err := checkLabelSlices(gold, pred); err != nil {
		return 0, fmt.Errorf("macro-F1: %w", err)
	}
	type counts struct{ tp, fp, fn int }
	per := map[string]*counts{}
	get := func(l string) *counts {
		c, ok := per[l]
		if !ok {
			c = &counts{}
			per[l] = c
		}
		return c
	}
	for i := range gold {
		if gold[i] == pred[i] {
			get(gold[i]).tp++
			continue
		}
		get(gold[i]).fn++
		get(pred[i]).fp++
	}
	labels := make([]string, 0, len(per))
	for l := range per {
		labels = append(labels, l)
	}
	sort.Strings(labels) // fixed summation order
	sum := 0.0
	for _, l := range labels {
		c := per[l]
		// The denominator is positive: the label occurs in gold or pred.
		sum += 2 * float64(c.tp) / float64(2*c.tp+c.fp+c.fn)
	}
	return sum / float64(len(labels)), nil
}

func checkLabelSlices(gold, pred []string) error {
	if len(gold) != len(pred) {
		return fmt.Errorf("%d gold labels but %d predictions", len(gold), len(pred))
	}
	if len(gold) == 0 {
		return errors.New("no labels")
	}
	return nil
}

// Pearson returns the Pearson correlation coefficient of x and y. It fails
// when the lengths differ, when there are fewer than two values, when a
// value is NaN or infinite, or when either series is constant (the
// coefficient is undefined then).
func Pearson(x, y []float64) (float64, error) {
	if err := checkSeries(x, y); err != nil {
		return 0, fmt.Errorf("pearson: %w", err)
	}
	n := float64(len(x))
	var mx, my float64
	for i := range x {
		mx += x[i]
		my += y[i]
	}
	mx /= n
	my /= n
	var sxy, sxx, syy float64
	for i := range x {
		dx, dy := x[i]-mx, y[i]-my
		sxy += dx * dy
		sxx += dx * dx
		syy += dy * dy
	}
	if sxx == 0 || syy == 0 {
		return 0, errors.New("pearson: a series is constant, correlation undefined")
	}
	r := sxy / math.Sqrt(sxx*syy)
	// Rounding can push |r| a hair above 1.
	return math.Max(-1, math.Min(1, r)), nil
}

// Spearman returns Spearman's rank correlation: the Pearson correlation of
// the ranks of x and of y, where tied values get the average of the ranks
// they span (as scipy.stats.spearmanr does). Errors as for Pearson.
func Spearman(x, y []float64) (float64, error) {
	if err := checkSeries(x, y); err != nil {
		return 0, fmt.Errorf("spearman: %w", err)
	}
	r, err := Pearson(Ranks(x), Ranks(y))
	if err != nil {
		return 0, fmt.Errorf("spearman on ranks: %w", err)
	}
	return r, nil
}

func checkSeries(x, y []float64) error {
	if len(x) != len(y) {
		return fmt.Errorf("series lengths differ: %d and %d", len(x), len(y))
	}
	if len(x) < 2 {
		return fmt.Errorf("need at least 2 values, have %d", len(x))
	}
	for i := range x {
		if math.IsNaN(x[i]) || math.IsInf(x[i], 0) || math.IsNaN(y[i]) || math.IsInf(y[i], 0) {
			return fmt.Errorf("value %d is NaN or infinite", i)
		}
	}
	return nil
}

// Ranks returns the 1-based ranks of x in ascending order; tied values get
// the mean of the ranks they occupy (so 10, 20, 20, 30 ranks as 1, 2.5, 2.5, 4).
func Ranks(x []float64) []float64 {
	idx := make([]int, len(x))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return x[idx[a]] < x[idx[b]] })
	ranks := make([]float64, len(x))
	for start := 0; start < len(idx); {
		end := start + 1
		for end < len(idx) && x[idx[end]] == x[idx[start]] {
			end++
		}
		// Positions start..end-1 hold ranks start+1..end; their mean:
		avg := float64(start+1+end) / 2
		for k := start; k < end; k++ {
			ranks[idx[k]] = avg
		}
		start = end
	}
	return ranks
}

// MeanCI95 returns the mean of xs and the half-width of its normal-approximation
// 95% confidence interval, 1.96·s/√n, where s is the sample standard deviation
// (divisor n−1). This is what few-shot papers report as "mean ± CI95" over
// episodes. With a single value the half-width is reported as 0 (s is
// undefined). It fails on an empty slice or a NaN/infinite value.
func MeanCI95(xs []float64) (mean, halfWidth float64, err error) {
	if len(xs) == 0 {
		return 0, 0, errors.New("mean CI95: no values")
	}
	for i, v := range xs {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return 0, 0, fmt.Errorf("mean CI95: value %d is NaN or infinite", i)
		}
	}
	mean, sd := meanSD(xs, 1)
	if len(xs) < 2 {
		return mean, 0, nil
	}
	return mean, 1.96 * sd / math.Sqrt(float64(len(xs))), nil
}

// meanSD returns the mean and the standard deviation with divisor n−ddof
// (ddof 0: population, 1: sample). The deviation is 0 when n ≤ ddof.
func meanSD(xs []float64, ddof int) (float64, float64) {
	if len(xs) == 0 {
		return 0, 0
	}
	m := 0.0
	for _, v := range xs {
		m += v
	}
	m /= float64(len(xs))
	if len(xs) <= ddof {
		return m, 0
	}
	ss := 0.0
	for _, v := range xs {
		ss += (v - m) * (v - m)
	}
	return m, math.Sqrt(ss / float64(len(xs)-ddof))
}
