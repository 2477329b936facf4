package classify

import (
	"context"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fewshot-go/fewshot/dataset"
)

var _ Embedder = (*TFIDF)(nil)

func TestTFIDFByHand(t *testing.T) {
	// N = 3 documents. df: the 2, cat 2, dog 2, bird 1.
	// idf(df=2) = ln(4/3) + 1 = 1.2876820724517808
	// idf(df=1) = ln(4/2) + 1 = 1.6931471805599454
	corpus := []string{"The cat.", "the dog", "cat cat dog bird"}
	tf, err := NewTFIDF(corpus)
	require.NoError(t, err)
	assert.Equal(t, "tfidf", tf.ID())
	assert.Equal(t, []string{"bird", "cat", "dog", "the"}, tf.Vocabulary())
	idf, ok := tf.IDF("cat")
	require.True(t, ok)
	assert.InDelta(t, 1.2876820724517808, idf, 1e-15)
	idf, ok = tf.IDF("bird")
	require.True(t, ok)
	assert.InDelta(t, 1.6931471805599454, idf, 1e-15)
	_, ok = tf.IDF("zebra")
	assert.False(t, ok)

	emb, err := tf.Embed(context.Background(), []string{"cat cat dog bird", "The cat.", "zebra!", "CAT-dog"})
	require.NoError(t, err)
	require.Len(t, emb, 4)
	// Document 3: cat 2·1.28768 = 2.57536, dog 1.28768, bird 1.69315;
	// norm sqrt(6.63250 + 1.65813 + 2.86675) = 3.34027.
	// bird 0.50689, cat 0.77101, dog 0.38550, the 0.
	assert.InDeltaSlice(t, []float32{0.50689, 0.77101, 0.38550, 0}, emb[0], 1e-5)
	// "The cat.": the and cat with the same idf: 1/√2 each.
	r := float32(1 / math.Sqrt2)
	assert.InDeltaSlice(t, []float32{0, r, 0, r}, emb[1], 1e-7)
	// Unknown words only: zero vector.
	assert.Equal(t, []float32{0, 0, 0, 0}, emb[2])
	// Split on the hyphen, lower-cased.
	assert.InDeltaSlice(t, []float32{0, r, r, 0}, emb[3], 1e-7)
}

func TestTFIDFTokenize(t *testing.T) {
	assert.Equal(t, []string{"route", "66", "a", "b", "café", "x1"}, tokenize("Route 66: a/b, Café x1!"))
	assert.Empty(t, tokenize("?! -- "))
}

func TestTFIDFErrors(t *testing.T) {
	_, err := NewTFIDF(nil)
	assert.ErrorContains(t, err, "empty corpus")
	_, err = NewTFIDF([]string{"!!!", " "})
	assert.ErrorContains(t, err, "no tokens in 2 documents")
	tf, err := NewTFIDF([]string{"a b"})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = tf.Embed(ctx, []string{"a"})
	assert.ErrorIs(t, err, context.Canceled)
}

func TestTFIDFRunsTheEvaluators(t *testing.T) {
	corpus := []string{"goal match team", "vote election party", "team wins match", "party wins vote"}
	tf, err := NewTFIDF(corpus)
	require.NoError(t, err)
	ctx := context.Background()
	ss, err := NewSupportSet(ctx, tf, []dataset.Example{
		{Text: "goal match team", Label: "sport"}, {Text: "vote election party", Label: "politics"},
	})
	require.NoError(t, err)
	proto := &Prototype{}
	require.NoError(t, ss.Fit(proto))
	p, err := PredictTexts(ctx, tf, proto, []string{"team wins match", "party wins vote"})
	require.NoError(t, err)
	assert.Equal(t, []string{"sport", "politics"}, labelsOf(p))

	z, err := NewZeroShot(ctx, tf, []string{"team", "party"}, ZeroShotOptions{})
	require.NoError(t, err)
	p, err = z.Classify(ctx, []string{"team wins match", "party wins vote"})
	require.NoError(t, err)
	assert.Equal(t, []string{"team", "party"}, labelsOf(p))
}
