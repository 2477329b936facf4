package classify

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"unicode"
)

// TFIDF is a bag-of-words baseline Embedder. Its vocabulary and inverse
// document frequencies are fitted on a corpus at construction; a text's
// embedding is its term counts times idf, L2-normalised, as a dense vector
// over the vocabulary (terms in sorted order). With scikit-learn's
// TfidfVectorizer defaults (smooth_idf, norm "l2", raw counts) the values
// agree, except for tokenisation: here a token is any maximal run of
// letters and digits, lower-cased, one character long included, while
// scikit-learn's default pattern keeps tokens of two or more word
// characters (underscore included).
type TFIDF struct {
	terms []string
	index map[string]int
	idf   []float64
	docs  int
}

// tokenize lower-cases text and splits it on every rune that is not a letter
// or a digit.
func tokenize(text string) []string {
	return strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
}

// NewTFIDF fits the vocabulary and the smoothed inverse document
// frequencies idf(t) = ln((1+N)/(1+df(t))) + 1 on corpus, where N is the
// number of documents and df(t) the number that contain t. It fails on an
// empty corpus or one without any token.
func NewTFIDF(corpus []string) (*TFIDF, error) {
	if len(corpus) == 0 {
		return nil, errors.New("tfidf: empty corpus")
	}
	df := map[string]int{}
	for _, doc := range corpus {
		seen := map[string]bool{}
		for _, tok := range tokenize(doc) {
			if !seen[tok] {
				seen[tok] = true
				df[tok]++
			}
		}
	}
	if len(df) == 0 {
		return nil, fmt.Errorf("tfidf: no tokens in %d documents", len(corpus))
	}
	t := &TFIDF{index: make(map[string]int, len(df)), docs: len(corpus)}
	for term := range df {
		t.terms = append(t.terms, term)
	}
	sort.Strings(t.terms)
	t.idf = make([]float64, len(t.terms))
	n := float64(len(corpus))
	for i, term := range t.terms {
		t.index[term] = i
		t.idf[i] = math.Log((1+n)/(1+float64(df[term]))) + 1
	}
	return t, nil
}

// ID returns "tfidf".
func (t *TFIDF) ID() string { return "tfidf" }

// Vocabulary returns the terms, in embedding dimension order.
func (t *TFIDF) Vocabulary() []string { return append([]string(nil), t.terms...) }

// IDF returns the inverse document frequency of term, and whether the term
// is in the vocabulary.
func (t *TFIDF) IDF(term string) (float64, bool) {
	i, ok := t.index[term]
	if !ok {
		return 0, false
	}
	return t.idf[i], true
}

// Embed returns the L2-normalised TF-IDF vector of each text. Terms outside
// the vocabulary are ignored; a text without known terms gets a zero vector.
func (t *TFIDF) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, len(texts))
	for i, text := range texts {
		if i%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, fmt.Errorf("tfidf embed text %d: %w", i, err)
			}
		}
		w := map[int]float64{}
		var touched []int
		for _, tok := range tokenize(text) {
			if j, ok := t.index[tok]; ok {
				if _, seen := w[j]; !seen {
					touched = append(touched, j)
				}
				w[j] += t.idf[j]
			}
		}
		sort.Ints(touched) // fixed summation order: deterministic bits
		norm := 0.0
		for _, j := range touched {
			norm += w[j] * w[j]
		}
		row := make([]float32, len(t.terms))
		if norm > 0 {
			norm = math.Sqrt(norm)
			for _, j := range touched {
				row[j] = float32(w[j] / norm)
			}
		}
		out[i] = row
	}
	return out, nil
}
