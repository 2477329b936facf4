package siamese

import (
	"errors"
	"fmt"
	"sort"

	"github.com/fewshot-go/fewshot/internal/seeded"
)

// BatchOrder names how the trainer cuts an epoch into batches.
type BatchOrder string

// The batch orders (sentence-transformers' batch samplers).
const (
	// OrderShuffle shuffles the rows and cuts them into batches (the last one may be short).
	OrderShuffle BatchOrder = "shuffle"
	// OrderGroupByLabel fills each batch with SamplesPerLabel rows of each of BatchSize/SamplesPerLabel
	// labels (GroupByLabelBatches), as batch triplet losses need.
	OrderGroupByLabel BatchOrder = "group-by-label"
	// OrderNoDuplicates keeps any text from occurring twice in a batch (NoDuplicatesBatches), as losses
	// with in-batch negatives need.
	OrderNoDuplicates BatchOrder = "no-duplicates"
)

// DefaultBatchOrder picks the batch order a loss needs: group-by-label for losses on class labels,
// the order the registered loss of that name asks for (no-duplicates for "mnrl", whose in-batch
// negatives must not repeat a text), plain shuffling otherwise. A loss of your own that needs
// another order sets TrainConfig.Order.
func DefaultBatchOrder(l Loss) BatchOrder {
	if l.Labels() == LabelsClass {
		return OrderGroupByLabel
	}
	for _, s := range lossSpecs() {
		if s.name == l.Name() && s.order != "" {
			return s.order
		}
	}
	return OrderShuffle
}

// prepareBatching collects what the batch orders need and checks that an epoch has a batch.
func (t *trainer) prepareBatching() error {
	switch t.order {
	case OrderShuffle:
	case OrderGroupByLabel:
		if t.data.Labels != LabelsClass {
			return fmt.Errorf("batch order %s needs class-labelled rows", t.order)
		}
		if t.cfg.BatchSize%t.cfg.SamplesPerLabel != 0 || t.cfg.BatchSize/t.cfg.SamplesPerLabel < 2 {
			return fmt.Errorf("batch order %s: batch size %d must be a multiple of %d samples per label, with at least 2 labels per batch", t.order, t.cfg.BatchSize, t.cfg.SamplesPerLabel)
		}
		t.labels = make([]string, len(t.data.Rows))
		for i, r := range t.data.Rows {
			t.labels[i] = t.data.Classes[r.Class]
		}
	case OrderNoDuplicates:
		t.texts = make([][]string, len(t.data.Rows))
		for i, r := range t.data.Rows {
			t.texts[i] = r.Texts
		}
	default:
		return fmt.Errorf("unknown batch order %q (want %s, %s or %s)", t.order, OrderShuffle, OrderGroupByLabel, OrderNoDuplicates)
	}
	b, err := t.batches(0)
	if err != nil {
		return err
	}
	if len(b) == 0 {
		return fmt.Errorf("%s: no batch can be formed from %d rows with batch order %s", t.data.Source, len(t.data.Rows), t.order)
	}
	return nil
}

// batches returns epoch e's batch order (row indices), computed from the data seed and e.
func (t *trainer) batches(e int) ([][]int, error) {
	if e == t.epochCache {
		return t.epochBatches, nil
	}
	seed := t.st.DataSeed + uint64(e)*0x9e3779b97f4a7c15
	var out [][]int
	var err error
	switch t.order {
	case OrderGroupByLabel:
		out, err = GroupByLabelBatches(t.labels, t.cfg.BatchSize/t.cfg.SamplesPerLabel, t.cfg.SamplesPerLabel, seed)
		if err != nil {
			err = fmt.Errorf("%w (a batch of %d holds %d labels x %d samples; lower the batch size or the samples per label)",
				err, t.cfg.BatchSize, t.cfg.BatchSize/t.cfg.SamplesPerLabel, t.cfg.SamplesPerLabel)
		}
	case OrderNoDuplicates:
		out, err = NoDuplicatesBatches(t.texts, t.cfg.BatchSize, seed, false)
	default:
		r := seeded.New(seed)
		perm := r.Perm(len(t.data.Rows))
		for s := 0; s < len(perm); s += t.cfg.BatchSize {
			out = append(out, perm[s:min(s+t.cfg.BatchSize, len(perm))])
		}
	}
	if err != nil {
		return nil, fmt.Errorf("epoch %d batches: %w", e+1, err)
	}
	t.epochCache, t.epochBatches = e, out
	return out, nil
}

// countSteps is the number of optimizer steps of cfg.Epochs epochs.
func (t *trainer) countSteps() (int, error) {
	n := 0
	for e := 0; e < t.cfg.Epochs; e++ {
		b, err := t.batches(e)
		if err != nil {
			return 0, err
		}
		n += (len(b) + t.cfg.GradAccum - 1) / t.cfg.GradAccum
	}
	return n, nil
}

// GroupByLabelBatches orders a labelled set for batch-hard triplet losses:
// every batch holds K examples of each of P distinct labels (P·K indices,
// label after label). Each label's examples are shuffled and cut into groups
// of K (a remainder under K is left out); each batch takes one group from
// the P labels that have the most groups left (ties broken at random), so
// as many batches as possible are formed; the batches are then shuffled.
// Seeded (math/rand/v2 PCG) and deterministic. It fails when fewer than P
// labels have K examples.
func GroupByLabelBatches(labels []string, p, k int, seed uint64) ([][]int, error) {
	if p < 1 || k < 1 {
		return nil, fmt.Errorf("group-by-label batches: P and K must be at least 1, got P %d K %d", p, k)
	}
	if len(labels) == 0 {
		return nil, errors.New("group-by-label batches: no examples")
	}
	_, byClass, err := groupLabels(labels)
	if err != nil {
		return nil, fmt.Errorf("group-by-label batches: %w", err)
	}
	rng := seeded.New(seed)
	groups := make([][][]int, len(byClass))
	eligible := 0
	for c, members := range byClass {
		m := append([]int(nil), members...)
		rng.Shuffle(len(m), func(a, b int) { m[a], m[b] = m[b], m[a] })
		for s := 0; s+k <= len(m); s += k {
			groups[c] = append(groups[c], m[s:s+k])
		}
		if len(groups[c]) > 0 {
			eligible++
		}
	}
	if eligible < p {
		return nil, fmt.Errorf("group-by-label batches: only %d of %d labels have at least K = %d examples, need P = %d", eligible, len(byClass), k, p)
	}
	var batches [][]int
	for {
		var live []int
		for c := range groups {
			if len(groups[c]) > 0 {
				live = append(live, c)
			}
		}
		if len(live) < p {
			break
		}
		rng.Shuffle(len(live), func(a, b int) { live[a], live[b] = live[b], live[a] })
		sort.SliceStable(live, func(a, b int) bool { return len(groups[live[a]]) > len(groups[live[b]]) })
		batch := make([]int, 0, p*k)
		for _, c := range live[:p] {
			last := len(groups[c]) - 1
			batch = append(batch, groups[c][last]...)
			groups[c] = groups[c][:last]
		}
		batches = append(batches, batch)
	}
	rng.Shuffle(len(batches), func(a, b int) { batches[a], batches[b] = batches[b], batches[a] })
	return batches, nil
}

// NoDuplicatesBatches orders items for losses with in-batch negatives
// (MultipleNegativesRankingLoss): no text occurs twice in a batch, since a
// duplicate would be a false negative. items[i] lists the texts of item i
// (for a pair, both texts). The items are shuffled with the seed; each batch
// then takes, in order, the remaining items that share no text with the
// batch so far, until it holds batchSize items; skipped items wait for a
// later batch. A batch that cannot be filled is kept, or dropped with
// dropLast, as sentence-transformers' NO_DUPLICATES batch sampler does.
func NoDuplicatesBatches(items [][]string, batchSize int, seed uint64, dropLast bool) ([][]int, error) {
	if batchSize < 1 {
		return nil, fmt.Errorf("no-duplicates batches: batch size must be at least 1, got %d", batchSize)
	}
	if len(items) == 0 {
		return nil, errors.New("no-duplicates batches: no items")
	}
	order := make([]int, len(items))
	for i := range order {
		order[i] = i
	}
	rng := seeded.New(seed)
	rng.Shuffle(len(order), func(a, b int) { order[a], order[b] = order[b], order[a] })
	used := make([]bool, len(order))
	start, left := 0, len(order)
	var batches [][]int
	for left > 0 {
		for used[start] {
			start++
		}
		inBatch := map[string]bool{}
		batch := make([]int, 0, batchSize)
		for pos := start; pos < len(order) && len(batch) < batchSize; pos++ {
			if used[pos] {
				continue
			}
			clash := false
			for _, t := range items[order[pos]] {
				if inBatch[t] {
					clash = true
					break
				}
			}
			if clash {
				continue
			}
			for _, t := range items[order[pos]] {
				inBatch[t] = true
			}
			used[pos] = true
			left--
			batch = append(batch, order[pos])
		}
		if len(batch) == batchSize || !dropLast {
			batches = append(batches, batch)
		}
	}
	return batches, nil
}
