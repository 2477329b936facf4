package siamese

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fewshot-go/fewshot/dataset"
)

func labelsFor(examples []dataset.Example) []string {
	out := make([]string, len(examples))
	for i, ex := range examples {
		out[i] = ex.Label
	}
	return out
}

func TestGroupByLabelBatches(t *testing.T) {
	// A×5, B×4, C×2, D×1 with P=2, K=2: groups A 2 (1 left over), B 2, C 1,
	// D 0: five groups, at most two batches of two labels.
	labels := labelsFor(sizedSet(map[string]int{"A": 5, "B": 4, "C": 2, "D": 1}))
	batches, err := GroupByLabelBatches(labels, 2, 2, 5)
	require.NoError(t, err)
	require.Len(t, batches, 2)
	used := map[int]bool{}
	for _, b := range batches {
		require.Len(t, b, 4)
		assert.Equal(t, labels[b[0]], labels[b[1]])
		assert.Equal(t, labels[b[2]], labels[b[3]])
		assert.NotEqual(t, labels[b[0]], labels[b[2]])
		for _, i := range b {
			assert.False(t, used[i], "index %d twice", i)
			used[i] = true
			assert.NotEqual(t, "D", labels[i])
		}
	}

	// A×6, B×2, C×2 with P=2, K=2: taking the labels with most groups left
	// first pairs A with B and A with C (2 batches); pairing B with C first
	// would leave A alone (1 batch).
	labels = labelsFor(sizedSet(map[string]int{"A": 6, "B": 2, "C": 2}))
	for seed := uint64(0); seed < 5; seed++ {
		batches, err = GroupByLabelBatches(labels, 2, 2, seed)
		require.NoError(t, err)
		require.Len(t, batches, 2, "seed %d", seed)
		for _, b := range batches {
			assert.True(t, hasLabel(labels, b, "A"), "seed %d batch %v has an A group", seed, b)
		}
	}

	again, err := GroupByLabelBatches(labels, 2, 2, 4)
	require.NoError(t, err)
	assert.Equal(t, batches, again)

	_, err = GroupByLabelBatches(labels, 3, 3, 0)
	assert.ErrorContains(t, err, "only 1 of 3 labels have at least K = 3 examples, need P = 3")
	_, err = GroupByLabelBatches(labels, 0, 2, 0)
	assert.ErrorContains(t, err, "at least 1")
	_, err = GroupByLabelBatches(nil, 2, 2, 0)
	assert.ErrorContains(t, err, "no examples")
}

// hasLabel reports whether batch b holds an example of label l.
func hasLabel(labels []string, b []int, l string) bool {
	for _, i := range b {
		if labels[i] == l {
			return true
		}
	}
	return false
}

func TestNoDuplicatesBatches(t *testing.T) {
	items := [][]string{{"x", "y"}, {"x", "z"}, {"u", "v"}, {"w", "y"}, {"p", "q"}, {"r", "s"}}
	batches, err := NoDuplicatesBatches(items, 2, 1, false)
	require.NoError(t, err)
	seen := map[int]int{}
	for _, b := range batches {
		assert.LessOrEqual(t, len(b), 2)
		texts := map[string]bool{}
		for _, i := range b {
			seen[i]++
			for _, s := range items[i] {
				assert.False(t, texts[s], "text %q twice in batch %v", s, b)
				texts[s] = true
			}
		}
	}
	assert.Len(t, seen, len(items), "every item once")
	for i, n := range seen {
		assert.Equal(t, 1, n, "item %d", i)
	}

	// Every item shares "x": one item per batch; dropLast drops them all.
	clash := [][]string{{"x", "1"}, {"x", "2"}, {"x", "3"}}
	batches, err = NoDuplicatesBatches(clash, 2, 0, false)
	require.NoError(t, err)
	assert.Len(t, batches, 3)
	for _, b := range batches {
		assert.Len(t, b, 1)
	}
	batches, err = NoDuplicatesBatches(clash, 2, 0, true)
	require.NoError(t, err)
	assert.Empty(t, batches)

	// No conflicts: 5 items, batch 2 -> 2, 2, 1; dropLast -> 2, 2.
	free := [][]string{{"a"}, {"b"}, {"c"}, {"d"}, {"e"}}
	batches, err = NoDuplicatesBatches(free, 2, 7, false)
	require.NoError(t, err)
	assert.Equal(t, []int{2, 2, 1}, []int{len(batches[0]), len(batches[1]), len(batches[2])})
	batches, err = NoDuplicatesBatches(free, 2, 7, true)
	require.NoError(t, err)
	assert.Len(t, batches, 2)
	// The order is a seeded shuffle.
	a, err := NoDuplicatesBatches(free, 5, 7, false)
	require.NoError(t, err)
	b, err := NoDuplicatesBatches(free, 5, 7, false)
	require.NoError(t, err)
	assert.Equal(t, a, b)
	var differs bool
	for seed := uint64(8); seed < 13; seed++ {
		c, err := NoDuplicatesBatches(free, 5, seed, false)
		require.NoError(t, err)
		differs = differs || fmt.Sprint(c) != fmt.Sprint(a)
	}
	assert.True(t, differs)

	_, err = NoDuplicatesBatches(free, 0, 0, false)
	assert.ErrorContains(t, err, "batch size")
	_, err = NoDuplicatesBatches(nil, 2, 0, false)
	assert.ErrorContains(t, err, "no items")
}

func TestDefaultBatchOrder(t *testing.T) {
	want := map[string]BatchOrder{
		"cosine": OrderShuffle, "contrastive": OrderShuffle, "online-contrastive": OrderShuffle,
		"mnrl": OrderNoDuplicates, "triplet": OrderShuffle, "cosent": OrderShuffle,
		"batch-hard": OrderGroupByLabel, "batch-semi-hard": OrderGroupByLabel, "batch-all": OrderGroupByLabel,
	}
	require.ElementsMatch(t, LossNames(), func() []string {
		var names []string
		for n := range want {
			names = append(names, n)
		}
		return names
	}(), "every registered loss has an expected order")
	for _, name := range LossNames() {
		l, err := LossByName(name, LossOptions{})
		require.NoError(t, err)
		assert.Equal(t, want[name], DefaultBatchOrder(l), name)
	}
	assert.Equal(t, OrderShuffle, DefaultBatchOrder(mseCosLoss{}), "a loss of one's own shuffles")
	assert.Equal(t, OrderShuffle, DefaultBatchOrder(noLabelLoss{}), "a loss of one's own shuffles")
}
