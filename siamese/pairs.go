package siamese

import (
	"errors"
	"fmt"
	"sort"

	"github.com/fewshot-go/fewshot/dataset"
	"github.com/fewshot-go/fewshot/internal/seeded"
)

// PairStrategy names how GeneratePairs balances positive and negative pairs.
type PairStrategy string

const (
	// PairOversampling repeats the rarer kind of pair (usually the
	// positives) until there are as many as of the other kind: every pair is
	// used at least once. SetFit's default.
	PairOversampling PairStrategy = "oversampling"
	// PairUndersampling keeps only as many pairs of the commoner kind as
	// there are of the rarer one: no pair repeats, some are left out.
	PairUndersampling PairStrategy = "undersampling"
	// PairUnique uses every pair exactly once, unbalanced.
	PairUnique PairStrategy = "unique"
)

// PairOptions configures GeneratePairs.
type PairOptions struct {
	// Strategy is PairOversampling (the default when empty),
	// PairUndersampling or PairUnique.
	Strategy PairStrategy
	// NumIterations, when positive, replaces Strategy: every example is the
	// anchor of NumIterations positive and NumIterations negative pairs
	// (SetFit's legacy num_iterations, used in the SetFit paper).
	NumIterations int
	// Seed seeds the shuffling (math/rand/v2 PCG); same seed, same pairs.
	Seed uint64
	// ExcludeSelfPairs leaves out the pairs of an example with itself. By
	// default they are included, as setfit's code does (its
	// shuffle_combinations uses combinations with replacement), although
	// setfit's documentation counts pairs without them.
	ExcludeSelfPairs bool
	// MaxPairs, when positive, caps the number of pairs (at least 2). With a
	// strategy, as in setfit, at most MaxPairs/2 positive and MaxPairs/2
	// negative pairs are collected (in shuffled order) before the strategy
	// balances them; with NumIterations the output is cut at MaxPairs.
	MaxPairs int
}

// GeneratePairs builds SetFit-style contrastive pairs from labelled
// examples: two examples with the same label form a positive pair (score
// 1.0), two with different labels a negative pair (score 0.0).
//
// With a strategy, the candidate pairs are every unordered pair {i, j} with
// i ≤ j (i < j with ExcludeSelfPairs), shuffled with the seed and split into
// a positive and a negative list, both in shuffled order. For P positives
// and N negatives, PairOversampling then yields max(P, N) of each (cycling
// through the shorter list from its start), PairUndersampling min(P, N) of
// each (the first ones), and PairUnique all P + N. The output alternates
// positive, negative, positive, ...; with PairUnique the surplus of the
// longer list follows at the end. For classes of sizes n_c, P = Σ n_c(n_c+1)/2
// (Σ n_c(n_c−1)/2 without self pairs) and N = Σ_{c<d} n_c·n_d.
//
// With NumIterations = R, for R rounds and each example in order, the example
// is paired with a random member of its class (itself included, unless
// ExcludeSelfPairs) and then with a random example of another class: 2·R·n
// pairs in all, each example the first text of 2·R of them.
//
// Differences from setfit (src/setfit/sampler.py): setfit shuffles the
// candidate pairs with NumPy's RandomState(42) whatever the training seed,
// while this uses PCG seeded with Seed, so the order differs; setfit ≥ 1.0
// implements num_iterations as R·n positives and R·n negatives taken in turn
// from the shuffled candidate lists, while this follows setfit 0.x and the
// SetFit paper (R random partners of each kind per example; same counts); and
// setfit fails with an index error where this returns an error (one label
// only, or no positive pair). Like setfit, the strategies list all n(n+1)/2
// candidate pairs first (8 bytes each: about 100 MB for n = 5000).
func GeneratePairs(examples []dataset.Example, opts PairOptions) ([]dataset.Pair, error) {
	ids, byClass, err := labelIDs(examples)
	if err != nil {
		return nil, fmt.Errorf("pairs: %w", err)
	}
	if opts.NumIterations < 0 {
		return nil, fmt.Errorf("pairs: NumIterations must be >= 0, got %d", opts.NumIterations)
	}
	if opts.MaxPairs < 0 || opts.MaxPairs == 1 {
		return nil, fmt.Errorf("pairs: MaxPairs must be 0 (no cap) or at least 2, got %d", opts.MaxPairs)
	}
	strategy := opts.Strategy
	if strategy == "" {
		strategy = PairOversampling
	}
	switch strategy {
	case PairOversampling, PairUndersampling, PairUnique:
	default:
		return nil, fmt.Errorf("pairs: unknown strategy %q (want %q, %q or %q)", opts.Strategy, PairOversampling, PairUndersampling, PairUnique)
	}
	if len(byClass) < 2 {
		return nil, fmt.Errorf("pairs: all %d examples have label %q: no negative pairs", len(examples), examples[0].Label)
	}
	if opts.ExcludeSelfPairs {
		ok := false
		for _, members := range byClass {
			if len(members) > 1 {
				ok = true
			}
		}
		if !ok {
			return nil, errors.New("pairs: every label has a single example: no positive pairs without self pairs")
		}
	}
	if opts.NumIterations > 0 {
		return anchoredPairs(examples, ids, byClass, opts)
	}

	n := len(examples)
	first := 0
	if opts.ExcludeSelfPairs {
		first = 1
	}
	cand := make([][2]int32, 0, n*(n+1)/2)
	for i := 0; i < n; i++ {
		for j := i + first; j < n; j++ {
			cand = append(cand, [2]int32{int32(i), int32(j)})
		}
	}
	rng := seeded.New(opts.Seed)
	rng.Shuffle(len(cand), func(a, b int) { cand[a], cand[b] = cand[b], cand[a] })
	limit := -1
	if opts.MaxPairs > 0 {
		limit = opts.MaxPairs / 2
	}
	var pos, neg [][2]int32
	for _, c := range cand {
		posFull := limit >= 0 && len(pos) >= limit
		negFull := limit >= 0 && len(neg) >= limit
		if posFull && negFull {
			break
		}
		if ids[c[0]] == ids[c[1]] {
			if !posFull {
				pos = append(pos, c)
			}
		} else if !negFull {
			neg = append(neg, c)
		}
	}
	nPos, nNeg := len(pos), len(neg)
	switch strategy {
	case PairOversampling:
		nPos = max(len(pos), len(neg))
		nNeg = nPos
	case PairUndersampling:
		nPos = min(len(pos), len(neg))
		nNeg = nPos
	}
	out := make([]dataset.Pair, 0, nPos+nNeg)
	mk := func(c [2]int32, score float64) dataset.Pair {
		return dataset.Pair{A: examples[c[0]].Text, B: examples[c[1]].Text, Score: score}
	}
	for k := 0; k < max(nPos, nNeg); k++ {
		if k < nPos {
			out = append(out, mk(pos[k%len(pos)], 1))
		}
		if k < nNeg {
			out = append(out, mk(neg[k%len(neg)], 0))
		}
	}
	return out, nil
}

// anchoredPairs implements NumIterations: R positive and R negative partners
// per example.
func anchoredPairs(examples []dataset.Example, ids []int, byClass [][]int, opts PairOptions) ([]dataset.Pair, error) {
	n := len(examples)
	if opts.ExcludeSelfPairs {
		for _, members := range byClass {
			if len(members) == 1 {
				return nil, fmt.Errorf("pairs: label %q has a single example: no positive partner without self pairs", examples[members[0]].Label)
			}
		}
	}
	rng := seeded.New(opts.Seed)
	out := make([]dataset.Pair, 0, 2*opts.NumIterations*n)
	for r := 0; r < opts.NumIterations; r++ {
		for i, ex := range examples {
			members := byClass[ids[i]]
			var p int
			if opts.ExcludeSelfPairs {
				// Draw among the other members: skip i's slot.
				k := rng.IntN(len(members) - 1)
				if members[k] >= i {
					k++
				}
				p = members[k]
			} else {
				p = members[rng.IntN(len(members))]
			}
			// A uniform example of another class: draw among the n−|class|
			// others by skipping over the class's members.
			q := otherIndex(rng.IntN(n-len(members)), members)
			out = append(out,
				dataset.Pair{A: ex.Text, B: examples[p].Text, Score: 1},
				dataset.Pair{A: ex.Text, B: examples[q].Text, Score: 0})
		}
	}
	if opts.MaxPairs > 0 && len(out) > opts.MaxPairs {
		out = out[:opts.MaxPairs]
	}
	return out, nil
}

// otherIndex returns the k-th index (0-based) that is not in members, which
// is sorted ascending.
func otherIndex(k int, members []int) int {
	idx := k
	for _, m := range members {
		if m <= idx {
			idx++
		} else {
			break
		}
	}
	return idx
}

// labelIDs checks the examples and returns each example's class id (classes
// numbered in sorted label order) and the members of each class, ascending.
func labelIDs(examples []dataset.Example) ([]int, [][]int, error) {
	if len(examples) == 0 {
		return nil, nil, errors.New("no examples")
	}
	labels := make([]string, len(examples))
	for i, ex := range examples {
		if ex.Label == "" {
			return nil, nil, fmt.Errorf("example %d has an empty label", i)
		}
		labels[i] = ex.Label
	}
	return groupLabels(labels)
}

func groupLabels(labels []string) ([]int, [][]int, error) {
	var distinct []string
	seen := map[string]bool{}
	for i, l := range labels {
		if l == "" {
			return nil, nil, fmt.Errorf("example %d has an empty label", i)
		}
		if !seen[l] {
			seen[l] = true
			distinct = append(distinct, l)
		}
	}
	sort.Strings(distinct)
	index := make(map[string]int, len(distinct))
	for i, l := range distinct {
		index[l] = i
	}
	ids := make([]int, len(labels))
	byClass := make([][]int, len(distinct))
	for i, l := range labels {
		ids[i] = index[l]
		byClass[ids[i]] = append(byClass[ids[i]], i)
	}
	return ids, byClass, nil
}

// TripletOptions configures GenerateTriplets.
type TripletOptions struct {
	// PerAnchor is the number of triplets per anchor; 0 means 1.
	PerAnchor int
	// Seed seeds the sampling (math/rand/v2 PCG).
	Seed uint64
}

// GenerateTriplets builds (anchor, positive, negative) triplets: for
// PerAnchor rounds, every example whose label has another example is an
// anchor once, with a uniformly drawn other example of its label as the
// positive and a uniformly drawn example of another label as the negative.
// Examples alone in their label are never anchors (but can be negatives).
// It fails when there is one label only or no label with two examples.
func GenerateTriplets(examples []dataset.Example, opts TripletOptions) ([]dataset.Triplet, error) {
	ids, byClass, err := labelIDs(examples)
	if err != nil {
		return nil, fmt.Errorf("triplets: %w", err)
	}
	if opts.PerAnchor < 0 {
		return nil, fmt.Errorf("triplets: PerAnchor must be >= 0, got %d", opts.PerAnchor)
	}
	rounds := max(opts.PerAnchor, 1)
	if len(byClass) < 2 {
		return nil, fmt.Errorf("triplets: all %d examples have label %q: no negatives", len(examples), examples[0].Label)
	}
	anchors := 0
	for _, m := range byClass {
		if len(m) > 1 {
			anchors += len(m)
		}
	}
	if anchors == 0 {
		return nil, errors.New("triplets: every label has a single example: no positives")
	}
	n := len(examples)
	rng := seeded.New(opts.Seed)
	out := make([]dataset.Triplet, 0, rounds*anchors)
	for r := 0; r < rounds; r++ {
		for i, ex := range examples {
			members := byClass[ids[i]]
			if len(members) < 2 {
				continue
			}
			k := rng.IntN(len(members) - 1)
			if members[k] >= i {
				k++
			}
			q := otherIndex(rng.IntN(n-len(members)), members)
			out = append(out, dataset.Triplet{Anchor: ex.Text, Positive: examples[members[k]].Text, Negative: examples[q].Text})
		}
	}
	return out, nil
}
