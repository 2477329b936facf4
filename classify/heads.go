package classify

import (
	"fmt"
	"strings"
)

// HeadOptions configures the heads that NewHead and HeadFactory build; each
// head reads its own fields and ignores the others.
type HeadOptions struct {
	// K is the number of neighbours of a "knn" head; 0 means 1.
	K int
	// Metric is a "prototype" head's metric; empty means MetricCosine.
	Metric Metric
	// C is a "logreg" head's inverse regularisation strength; 0 means DefaultLogRegC.
	C float64
}

// headMakers maps each head name (its Method) to a constructor.
var headMakers = []struct {
	name string
	make func(HeadOptions) SaveableClassifier
}{
	{"prototype", func(o HeadOptions) SaveableClassifier { return &Prototype{Metric: o.Metric} }},
	{"knn", func(o HeadOptions) SaveableClassifier { return &KNN{K: o.K} }},
	{"logreg", func(o HeadOptions) SaveableClassifier { return &LogReg{C: o.C} }},
}

// HeadNames returns the names NewHead knows, in the order the CLI lists them:
// prototype, knn, logreg.
func HeadNames() []string {
	out := make([]string, len(headMakers))
	for i, h := range headMakers {
		out[i] = h.name
	}
	return out
}

// HeadFactory returns a function that makes fresh unfitted heads of the named
// method ("prototype", "knn" or "logreg", case-insensitive), configured by
// opts; evaluations call it once per episode or seed.
func HeadFactory(name string, opts HeadOptions) (func() SaveableClassifier, error) {
	name = strings.ToLower(strings.TrimSpace(name))
	for _, h := range headMakers {
		if h.name == name {
			mk := h.make
			return func() SaveableClassifier { return mk(opts) }, nil
		}
	}
	return nil, fmt.Errorf("unknown head %q (want %s)", name, strings.Join(HeadNames(), ", "))
}

// NewHead returns an unfitted head of the named method, as HeadFactory makes it.
func NewHead(name string, opts HeadOptions) (SaveableClassifier, error) {
	f, err := HeadFactory(name, opts)
	if err != nil {
		return nil, err
	}
	return f(), nil
}
