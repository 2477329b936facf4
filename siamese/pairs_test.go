package siamese

import (
	"fmt"
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fewshot-go/fewshot/dataset"
)

// smallSet: A = {a1, a2, a3}, B = {b1, b2}, C = {c1}; a text's first letter
// is its label, lower-cased.
func smallSet() []dataset.Example {
	return []dataset.Example{
		{Text: "a1", Label: "A"}, {Text: "b1", Label: "B"}, {Text: "a2", Label: "A"},
		{Text: "c1", Label: "C"}, {Text: "a3", Label: "A"}, {Text: "b2", Label: "B"},
	}
}

// sizedSet builds classes of the given sizes, texts "<label><i>".
func sizedSet(sizes map[string]int) []dataset.Example {
	var out []dataset.Example
	labels := make([]string, 0, len(sizes))
	for l := range sizes {
		labels = append(labels, l)
	}
	sort.Strings(labels)
	for _, l := range labels {
		for i := 0; i < sizes[l]; i++ {
			out = append(out, dataset.Example{Text: fmt.Sprintf("%s%d", l, i), Label: l})
		}
	}
	return out
}

func key(a, b string) string {
	if a > b {
		a, b = b, a
	}
	return a + "|" + b
}

func countPairs(pairs []dataset.Pair) (pos, neg int, posKeys, negKeys map[string]int) {
	posKeys, negKeys = map[string]int{}, map[string]int{}
	for _, p := range pairs {
		if p.Score == 1 {
			pos++
			posKeys[key(p.A, p.B)]++
		} else {
			neg++
			negKeys[key(p.A, p.B)]++
		}
	}
	return
}

func TestGeneratePairsCounts(t *testing.T) {
	// smallSet, sizes 3, 2, 1.
	// With self pairs: P = 3·4/2 + 2·3/2 + 1·2/2 = 6 + 3 + 1 = 10.
	// Without:        P = 3 + 1 + 0 = 4.
	// N = 3·2 + 3·1 + 2·1 = 11 either way.
	tests := []struct {
		name     string
		opts     PairOptions
		pos, neg int
	}{
		{"oversampling (default)", PairOptions{}, 11, 11},
		{"undersampling", PairOptions{Strategy: PairUndersampling}, 10, 10},
		{"unique", PairOptions{Strategy: PairUnique}, 10, 11},
		{"oversampling no self", PairOptions{ExcludeSelfPairs: true}, 11, 11},
		{"undersampling no self", PairOptions{Strategy: PairUndersampling, ExcludeSelfPairs: true}, 4, 4},
		{"unique no self", PairOptions{Strategy: PairUnique, ExcludeSelfPairs: true}, 4, 11},
		{"num_iterations 2: 2·6 each", PairOptions{NumIterations: 2, Strategy: PairUnique}, 12, 12},
		{"max pairs 6 unique", PairOptions{Strategy: PairUnique, MaxPairs: 6}, 3, 3},
		{"max pairs 7 oversampling", PairOptions{MaxPairs: 7}, 3, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pairs, err := GeneratePairs(smallSet(), tc.opts)
			require.NoError(t, err)
			pos, neg, _, _ := countPairs(pairs)
			assert.Equal(t, tc.pos, pos, "positives")
			assert.Equal(t, tc.neg, neg, "negatives")
			for _, p := range pairs {
				same := p.A[:1] == p.B[:1]
				assert.Equal(t, same, p.Score == 1, "pair %v", p)
				if tc.opts.ExcludeSelfPairs {
					assert.NotEqual(t, p.A, p.B)
				}
			}
		})
	}
}

func TestGeneratePairsSetFitDocsExample(t *testing.T) {
	// setfit docs: 8 happy, 4 content, 8 sad. Without self pairs 62 positive
	// (28+6+28) and 128 negative (32+64+32) pairs; setfit's code includes
	// self pairs: 62 + 20 = 82 positives.
	set := sizedSet(map[string]int{"happy": 8, "content": 4, "sad": 8})
	tests := []struct {
		strategy PairStrategy
		noSelf   bool
		total    int
	}{
		{PairOversampling, true, 256},
		{PairUndersampling, true, 124},
		{PairUnique, true, 190},
		{PairOversampling, false, 256},
		{PairUndersampling, false, 164},
		{PairUnique, false, 210},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%s/noself=%v", tc.strategy, tc.noSelf), func(t *testing.T) {
			pairs, err := GeneratePairs(set, PairOptions{Strategy: tc.strategy, ExcludeSelfPairs: tc.noSelf, Seed: 42})
			require.NoError(t, err)
			assert.Len(t, pairs, tc.total)
		})
	}
	pairs, err := GeneratePairs(set, PairOptions{NumIterations: 20})
	require.NoError(t, err)
	assert.Len(t, pairs, 800, "(20 + 20) · 20 as in setfit's docs")
}

func TestGeneratePairsContent(t *testing.T) {
	// All 21 candidates of smallSet (with self pairs), each exactly once.
	unique, err := GeneratePairs(smallSet(), PairOptions{Strategy: PairUnique, Seed: 3})
	require.NoError(t, err)
	_, _, posKeys, negKeys := countPairs(unique)
	texts := []string{"a1", "b1", "a2", "c1", "a3", "b2"}
	for i := range texts {
		for j := i; j < len(texts); j++ {
			k := key(texts[i], texts[j])
			if texts[i][0] == texts[j][0] {
				assert.Equal(t, 1, posKeys[k], "positive %s", k)
			} else {
				assert.Equal(t, 1, negKeys[k], "negative %s", k)
			}
		}
	}
	// Alternation: pos, neg for the first 2·10, then the 11th negative.
	for i, p := range unique {
		if i < 20 {
			assert.Equal(t, float64(1-i%2), p.Score, "pair %d", i)
		} else {
			assert.Equal(t, 0.0, p.Score)
		}
	}

	// Oversampling cycles the 10 positives to 11: one repeats, none missing.
	over, err := GeneratePairs(smallSet(), PairOptions{Seed: 3})
	require.NoError(t, err)
	_, _, posKeys, negKeys = countPairs(over)
	assert.Len(t, posKeys, 10)
	assert.Len(t, negKeys, 11)
	twice := 0
	for _, n := range posKeys {
		if n == 2 {
			twice++
		}
	}
	assert.Equal(t, 1, twice)
	// The repeated positive is the first one (the cycle restarts).
	assert.Equal(t, over[0], over[20])

	// Undersampling: 10 of the 11 negatives, none twice.
	under, err := GeneratePairs(smallSet(), PairOptions{Strategy: PairUndersampling, Seed: 3})
	require.NoError(t, err)
	_, _, _, negKeys = countPairs(under)
	assert.Len(t, negKeys, 10)

	// Seeds.
	again, err := GeneratePairs(smallSet(), PairOptions{Seed: 3})
	require.NoError(t, err)
	assert.Equal(t, over, again)
	other, err := GeneratePairs(smallSet(), PairOptions{Seed: 4})
	require.NoError(t, err)
	assert.NotEqual(t, over, other)
}

func TestGeneratePairsNumIterations(t *testing.T) {
	const rounds = 300
	pairs, err := GeneratePairs(smallSet(), PairOptions{NumIterations: rounds, Seed: 9})
	require.NoError(t, err)
	require.Len(t, pairs, 2*rounds*6)
	asFirst := map[string][2]int{}
	partners := map[string]map[string]int{}
	for i, p := range pairs {
		assert.Equal(t, float64(1-i%2), p.Score, "pos, neg per anchor")
		c := asFirst[p.A]
		c[i%2]++
		asFirst[p.A] = c
		if partners[p.A] == nil {
			partners[p.A] = map[string]int{}
		}
		partners[p.A][p.B]++
		assert.Equal(t, p.Score == 1, p.A[0] == p.B[0])
	}
	for _, text := range []string{"a1", "a2", "a3", "b1", "b2", "c1"} {
		assert.Equal(t, [2]int{rounds, rounds}, asFirst[text], "R positives and R negatives with %s first", text)
	}
	// a1's positive partners: a1, a2, a3 (self included), about 100 each;
	// its negatives: b1, b2, c1, about 100 each.
	for _, b := range []string{"a1", "a2", "a3", "b1", "b2", "c1"} {
		assert.Greater(t, partners["a1"][b], 60, "a1 with %s", b)
		assert.Less(t, partners["a1"][b], 140, "a1 with %s", b)
	}
	// c1 is alone: its positive partner is itself; negatives spread over
	// a1..b2 (5 texts, about 60 each).
	assert.Equal(t, rounds, partners["c1"]["c1"])
	for _, b := range []string{"a1", "a2", "a3", "b1", "b2"} {
		assert.Greater(t, partners["c1"][b], 30, "c1 with %s", b)
	}

	noSelf := sizedSet(map[string]int{"x": 3, "y": 2})
	pairs, err = GeneratePairs(noSelf, PairOptions{NumIterations: 50, ExcludeSelfPairs: true, MaxPairs: 0})
	require.NoError(t, err)
	seen := map[string]bool{}
	for _, p := range pairs {
		assert.NotEqual(t, p.A, p.B)
		if p.Score == 1 {
			seen[key(p.A, p.B)] = true
		}
	}
	assert.Len(t, seen, 4, "x0-x1, x0-x2, x1-x2, y0-y1 all drawn")

	pairs, err = GeneratePairs(smallSet(), PairOptions{NumIterations: 2, MaxPairs: 5})
	require.NoError(t, err)
	assert.Len(t, pairs, 5)
}

func TestGeneratePairsErrors(t *testing.T) {
	tests := []struct {
		name     string
		examples []dataset.Example
		opts     PairOptions
		msg      string
	}{
		{"no examples", nil, PairOptions{}, "no examples"},
		{"empty label", []dataset.Example{{Text: "x", Label: "A"}, {Text: "y"}}, PairOptions{}, "example 1 has an empty label"},
		{"one label", sizedSet(map[string]int{"A": 3}), PairOptions{}, `all 3 examples have label "A"`},
		{"unknown strategy", smallSet(), PairOptions{Strategy: "random"}, `unknown strategy "random"`},
		{"negative iterations", smallSet(), PairOptions{NumIterations: -1}, "NumIterations"},
		{"max pairs 1", smallSet(), PairOptions{MaxPairs: 1}, "MaxPairs"},
		{"singletons without self pairs", sizedSet(map[string]int{"A": 1, "B": 1}), PairOptions{ExcludeSelfPairs: true}, "no positive pairs"},
		{"singleton anchor without self pairs", smallSet(), PairOptions{NumIterations: 1, ExcludeSelfPairs: true}, `label "C" has a single example`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := GeneratePairs(tc.examples, tc.opts)
			assert.ErrorContains(t, err, tc.msg)
		})
	}
}

func TestGenerateTriplets(t *testing.T) {
	tr, err := GenerateTriplets(smallSet(), TripletOptions{PerAnchor: 2, Seed: 1})
	require.NoError(t, err)
	// Anchors: a1 b1 a2 a3 b2 (c1 is alone), twice.
	require.Len(t, tr, 10)
	anchors := map[string]int{}
	for _, x := range tr {
		anchors[x.Anchor]++
		assert.NotEqual(t, x.Anchor, x.Positive)
		assert.Equal(t, x.Anchor[0], x.Positive[0])
		assert.NotEqual(t, x.Anchor[0], x.Negative[0])
	}
	assert.Equal(t, map[string]int{"a1": 2, "b1": 2, "a2": 2, "a3": 2, "b2": 2}, anchors)
	again, err := GenerateTriplets(smallSet(), TripletOptions{PerAnchor: 2, Seed: 1})
	require.NoError(t, err)
	assert.Equal(t, tr, again)

	// Many rounds: c1 shows up as a negative, and b1's positive is always b2.
	tr, err = GenerateTriplets(smallSet(), TripletOptions{PerAnchor: 100, Seed: 2})
	require.NoError(t, err)
	negC := 0
	for _, x := range tr {
		if x.Negative == "c1" {
			negC++
		}
		if x.Anchor == "b1" {
			assert.Equal(t, "b2", x.Positive)
		}
	}
	assert.Greater(t, negC, 0)

	_, err = GenerateTriplets(sizedSet(map[string]int{"A": 4}), TripletOptions{})
	assert.ErrorContains(t, err, "no negatives")
	_, err = GenerateTriplets(sizedSet(map[string]int{"A": 1, "B": 1}), TripletOptions{})
	assert.ErrorContains(t, err, "no positives")
	_, err = GenerateTriplets(smallSet(), TripletOptions{PerAnchor: -1})
	assert.ErrorContains(t, err, "PerAnchor")
	_, err = GenerateTriplets(nil, TripletOptions{})
	assert.ErrorContains(t, err, "no examples")
}
