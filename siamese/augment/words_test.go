package augment

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestSplitWords(t *testing.T) {
	tests := []struct {
		text  string
		words []string
		seps  []string
	}{
		{"", nil, []string{""}},
		{"  ...  ", nil, []string{"  ...  "}},
		{"Hello, world!", []string{"Hello", "world"}, []string{"", ", ", "!"}},
		{"don't stop-me now, O'Neil!", []string{"don't", "stop-me", "now", "O'Neil"}, []string{"", " ", " ", ", ", "!"}},
		{"it\u2019s 42 km", []string{"it\u2019s", "42", "km"}, []string{"", " ", " ", ""}},
		{"'quoted' - dash -x y-", []string{"quoted", "dash", "x", "y"}, []string{"'", "' - ", " -", " ", "-"}},
		{"  two\tspaces\n", []string{"two", "spaces"}, []string{"  ", "\t", "\n"}},
		{"café naïve e\u0301t\u00e9", []string{"café", "naïve", "e\u0301t\u00e9"}, []string{"", " ", " ", ""}},
		{"\u0301x", []string{"x"}, []string{"\u0301", ""}}, // a word never starts with a combining mark
		{"Größe 東京", []string{"Größe", "東京"}, []string{"", " ", ""}},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			s := splitWords(tt.text)
			assert.Equal(t, tt.words, s.words)
			assert.Equal(t, tt.seps, s.seps)
			assert.Equal(t, tt.text, s.join(), "round trip")
		})
	}
}

func TestCase(t *testing.T) {
	tests := []struct {
		word, repl, want string
	}{
		{"happy", "glad", "glad"},
		{"happy", "Canis familiaris", "Canis familiaris"}, // WordNet's own capitals stay
		{"Happy", "glad", "Glad"},
		{"Happy", "in high spirits", "In high spirits"},
		{"HAPPY", "in high spirits", "IN HIGH SPIRITS"},
		{"A", "glad", "Glad"}, // one capital letter is Title, not UPPER
		{"iPhone", "glad", "glad"},
		{"McDonald", "glad", "Glad"},
		{"Happy", "éclair", "Éclair"},
		{"Happy", "3-D", "3-D"}, // first letter already upper case
		{"Happy", "2nd", "2nd"}, // the first rune is not a letter
		{"42", "forty-two", "forty-two"},
	}
	for _, tt := range tests {
		t.Run(tt.word+"->"+tt.repl, func(t *testing.T) {
			assert.Equal(t, tt.want, applyCase(caseOf(tt.word), tt.repl))
		})
	}
}

func TestStopWords(t *testing.T) {
	s := newStopSet(StopWords())
	for _, w := range []string{"the", "The", "THE", "don't", "Don\u2019t", "I", "it's", "would"} {
		assert.True(t, s.has(w), w)
	}
	for _, w := range []string{"dog", "happy", "quickly", "run", ""} {
		assert.False(t, s.has(w), w)
	}
	// StopWords hands out a copy.
	l := StopWords()
	l[0] = "dog"
	assert.NotContains(t, StopWords(), "dog")
}

func TestMergeSeps(t *testing.T) {
	seq := func(text string, keep ...bool) string { return joinKept(splitWords(text), keep) }
	tests := []struct {
		name, got, want string
	}{
		{"middle word", seq("a b c", true, false, true), "a c"},
		{"before a comma", seq("The cat, sat", true, false, true), "The, sat"},
		{"after a comma", seq("Yes, cat sat", true, false, true), "Yes, sat"},
		{"run of two", seq("one two three four", true, false, false, true), "one four"},
		{"first word", seq("Hello, big world!", false, true, true), "big world!"},
		{"last word", seq("Hello big world.", true, true, false), "Hello big."},
		{"leading quote kept", seq(`"Hi there," she said`, false, true, true, true), `"there," she said`},
		{"only one left", seq("Hello, big world!", false, true, false), "big!"},
		{"brackets", seq("a (b) c", true, false, true), "a () c"},
		{"tab and space", seq("a\tb c", true, false, true), "a\tc"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.got)
		})
	}
}
