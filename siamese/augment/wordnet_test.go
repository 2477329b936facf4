package augment

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// loadTestWordNet loads the hand-written database in testdata/wn.
func loadTestWordNet(t *testing.T) *WordNet {
	t.Helper()
	wn, err := LoadWordNet(filepath.Join("testdata", "wn"))
	require.NoError(t, err)
	return wn
}

// loadSystemWordNet loads Debian's WordNet, or skips when wordnet-base is not installed.
func loadSystemWordNet(t *testing.T) *WordNet {
	t.Helper()
	if _, err := os.Stat(filepath.Join(DefaultWordNetDir, "data.noun")); err != nil {
		t.Skipf("WordNet not found in %s (install the Debian package wordnet-base): %v", DefaultWordNetDir, err)
	}
	wn, err := LoadWordNet("")
	require.NoError(t, err)
	return wn
}

func TestWordNetTestdataSynonyms(t *testing.T) {
	wn := loadTestWordNet(t)
	require.Equal(t, 12, wn.Len(), "6 noun + 2 verb + 3 adjective + 1 adverb synsets in testdata/wn")
	tests := []struct {
		word string
		want []string
	}{
		// dog is in noun synsets 1, 3 and 4 and verb synset 1; "Domestic Dog" in synset 4
		// repeats "domestic dog" from synset 1 and is dropped; dog itself is excluded.
		{"dog", []string{"domestic dog", "Canis familiaris", "pooch", "chase"}},
		{"DOG", []string{"domestic dog", "Canis familiaris", "pooch", "chase"}},
		{"domestic dog", []string{"dog", "pooch"}},
		{"domestic_dog", []string{"dog", "pooch"}},
		{"canis familiaris", []string{"dog"}},
		// happy(a) and glad(p) lose their syntactic markers.
		{"happy", []string{"glad", "felicitous"}},
		{"glad", []string{"happy"}},
		{"speedy", []string{"quick"}},
		{"rapidly", []string{"quickly"}},
		{"run", nil},      // the only lemma of its synset
		{"cat", nil},      // not in the database
		{"happy(a)", nil}, // markers are not part of the lemma
		{"", nil},
	}
	for _, tt := range tests {
		t.Run(tt.word, func(t *testing.T) {
			assert.Equal(t, tt.want, wn.Synonyms(tt.word))
		})
	}
	assert.True(t, wn.HasWord("Canis Familiaris"))
	assert.False(t, wn.HasWord("cat"))
}

func TestWordNetTestdataSynsets(t *testing.T) {
	wn := loadTestWordNet(t)
	all := wn.Synsets()
	require.Len(t, all, 12)
	// Storage order: data.noun, data.verb, data.adj, data.adv; offsets as written in the files.
	car := all[1]
	assert.Equal(t, Synset{
		Offset:     247,
		POS:        'n',
		Words:      []string{"car", "auto", "automobile"},
		Gloss:      `a motor vehicle with four wheels; "he needs a car to get to work"; "she parked the auto"`,
		Definition: "a motor vehicle with four wheels",
		Examples:   []string{"he needs a car to get to work", "she parked the auto"},
	}, car)
	canis := all[2]
	assert.Equal(t, []string{"Canis familiaris", "dog"}, canis.Words)
	assert.Equal(t, "the domestic dog as a species", canis.Definition)
	assert.Empty(t, canis.Examples)
	chase := all[6] // verb with pointers and frames before the gloss
	assert.Equal(t, byte('v'), chase.POS)
	assert.Equal(t, int64(127), chase.Offset)
	assert.Equal(t, []string{"chase", "dog"}, chase.Words)
	assert.Equal(t, []string{"The policeman chased the mugger"}, chase.Examples)
	assert.Equal(t, "move fast by using one's feet", all[7].Gloss)
	assert.Equal(t, []string{"happy", "glad"}, all[8].Words)
	assert.Equal(t, byte('s'), all[9].POS)
	assert.Equal(t, []string{"quick", "speedy"}, all[10].Words)
	assert.Equal(t, byte('r'), all[11].POS)

	// Synsets hands out a copy of the list.
	all[1].Gloss = "changed"
	assert.NotEqual(t, "changed", wn.Synsets()[1].Gloss)
	of := wn.SynsetsOf("Happy")
	require.Len(t, of, 2)
	assert.Equal(t, "marked by good fortune", of[1].Definition)
}

func TestSplitGloss(t *testing.T) {
	tests := []struct {
		name, gloss, def string
		ex               []string
	}{
		{"definition only", "facing or on the side toward the base", "facing or on the side toward the base", nil},
		{"two examples", `a motor vehicle; "he needs a car"; "a fast car"`, "a motor vehicle", []string{"he needs a car", "a fast car"}},
		{"example only", `"glad to help"`, "", []string{"glad to help"}},
		{"quote inside the definition", `a so-called "word" here; "an example"`, `a so-called "word" here`, []string{"an example"}},
		{"semicolon inside an example", `def; "one; two"`, "def", []string{"one; two"}},
		{"inner quotes", `def; "he said "hi" to me"`, "def", []string{`he said "hi" to me`}},
		// Damaged glosses of WordNet 3.0 (data.adj "toed", data.adj "faulty", data.verb "drop").
		{"missing closing quote", `having toes; "long-toed; "five-toed"`, "having toes", []string{"long-toed", "five-toed"}},
		{"missing opening quote", `with errors; "a faulty report"; the wrong side of the road"`, "with errors", []string{"a faulty report", "the wrong side of the road"}},
		{"unquoted text after examples", `def; "ex one"; more definition; "ex two"`, "def", []string{"ex one", "ex two"}},
		{"unterminated last example", `def; "an open example`, "def", []string{"an open example"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			def, ex := splitGloss(tt.gloss)
			assert.Equal(t, tt.def, def)
			assert.Equal(t, tt.ex, ex)
		})
	}
}

func TestLoadWordNetErrors(t *testing.T) {
	t.Run("missing directory", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "nowhere")
		_, err := LoadWordNet(dir)
		require.Error(t, err)
		assert.Contains(t, err.Error(), filepath.Join(dir, "data.noun"))
		assert.Contains(t, err.Error(), "wordnet-base")
		assert.ErrorIs(t, err, os.ErrNotExist)
	})
	t.Run("one file missing", func(t *testing.T) {
		dir := copyTestdata(t)
		require.NoError(t, os.Remove(filepath.Join(dir, "data.adv")))
		_, err := LoadWordNet(dir)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "data.adv")
		assert.NotContains(t, err.Error(), "data.noun")
	})

	const hdr = "  1 header  \n"
	first := len(hdr) // byte offset of the first synset line
	tests := []struct {
		name, line, wantErr string
	}{
		{"offset mismatch", "00000999 05 n 01 dog 0 000 | x", "does not match the line's byte offset 13"},
		{"bad ss_type", "00000013 05 x 01 dog 0 000 | x", `bad ss_type "x"`},
		{"bad w_cnt", "00000013 05 n zz dog 0 000 | x", `bad w_cnt "zz"`},
		{"zero w_cnt", "00000013 05 n 00 000 | x", "w_cnt is 0"},
		{"too few words", "00000013 05 n 03 dog 0", "line ends before word 2 of 3"},
		{"bad lex_id", "00000013 05 n 01 dog q 000 | x", `bad lex_id "q"`},
		{"short pointer list", "00000013 05 n 01 dog 0 002 @ 00000013 n 0000 | x", "line ends inside pointer 2 of 2"},
		{"no gloss bar", "00000013 05 n 01 dog 0 000 gloss", `found "gloss" where the gloss separator | belongs`},
		{"truncated", "00000013 05 n 01 dog 0 000", "line ends before gloss separator |"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, 13, first)
			dir := copyTestdata(t)
			path := filepath.Join(dir, "data.noun")
			require.NoError(t, os.WriteFile(path, []byte(hdr+tt.line+"\n"), 0o644))
			_, err := LoadWordNet(dir)
			require.Error(t, err)
			assert.Contains(t, err.Error(), path+" line 2: ")
			assert.Contains(t, err.Error(), tt.wantErr)
		})
	}
	t.Run("verb frames miscounted", func(t *testing.T) {
		dir := copyTestdata(t)
		path := filepath.Join(dir, "data.verb")
		require.NoError(t, os.WriteFile(path, []byte(hdr+"00000013 41 v 01 run 0 000 02 + 02 00 | x\n"), 0o644))
		_, err := LoadWordNet(dir)
		require.Error(t, err)
		assert.Contains(t, err.Error(), path+" line 2: line ends before verb frame")
	})
	t.Run("empty file", func(t *testing.T) {
		dir := copyTestdata(t)
		path := filepath.Join(dir, "data.adj")
		require.NoError(t, os.WriteFile(path, []byte(hdr), 0o644))
		_, err := LoadWordNet(dir)
		require.Error(t, err)
		assert.Contains(t, err.Error(), path+" holds no synsets")
	})
	t.Run("CRLF line ends shift the offsets", func(t *testing.T) {
		dir := copyTestdata(t)
		path := filepath.Join(dir, "data.noun")
		b, err := os.ReadFile(path)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(path, []byte(strings.ReplaceAll(string(b), "\n", "\r\n")), 0o644))
		_, err = LoadWordNet(dir)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "does not match the line's byte offset")
	})
}

// copyTestdata copies testdata/wn to a temporary directory the test may damage.
func copyTestdata(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, name := range []string{"data.noun", "data.verb", "data.adj", "data.adv"} {
		b, err := os.ReadFile(filepath.Join("testdata", "wn", name))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), b, 0o644))
	}
	return dir
}

// Facts below were checked with grep on Debian's wordnet-base 3.0 files.
func TestSystemWordNet(t *testing.T) {
	wn := loadSystemWordNet(t)
	// grep -c '^[0-9]' data.noun data.verb data.adj data.adv: 82115 + 13767 + 18156 + 3621.
	require.Equal(t, 117659, wn.Len())
	counts := map[byte]int{}
	for _, s := range wn.Synsets() {
		counts[s.POS]++
	}
	assert.Equal(t, 82115, counts['n'])
	assert.Equal(t, 13767, counts['v'])
	assert.Equal(t, 18156, counts['a']+counts['s'])
	assert.Equal(t, 3621, counts['r'])

	// "happy" is a lemma of exactly four synsets, all in data.adj: 01000442 (happy,
	// well-chosen), 01048406 (felicitous, happy), 01148283 (happy) and 02565584 (glad, happy).
	assert.Equal(t, []string{"well-chosen", "felicitous", "glad"}, wn.Synonyms("happy"))
	assert.Equal(t, []string{"well-chosen", "felicitous", "glad"}, wn.Synonyms("Happy"))
	// 00078463 s: afeard(p) afeared(p); 00024619 s: used_to(p) wont_to(p); each lemma only there.
	assert.Equal(t, []string{"afeared"}, wn.Synonyms("afeard"))
	assert.Equal(t, []string{"wont to"}, wn.Synonyms("used to"))
	assert.True(t, wn.HasWord("afraid"), "afraid(p) 00077645 loses its marker")
	assert.Subset(t, wn.Synonyms("car"), []string{"auto", "automobile", "machine", "motorcar", "railcar"})
	assert.Subset(t, wn.Synonyms("dog"), []string{"domestic dog", "Canis familiaris", "chase"})

	var car, breathe *Synset
	for _, s := range wn.SynsetsOf("car") {
		if s.POS == 'n' && s.Offset == 2958343 {
			car = &s
		}
	}
	require.NotNil(t, car, "noun synset 02958343")
	assert.Equal(t, []string{"car", "auto", "automobile", "machine", "motorcar"}, car.Words)
	assert.Equal(t, "a motor vehicle with four wheels; usually propelled by an internal combustion engine", car.Definition)
	assert.Equal(t, []string{"he needs a car to get to work"}, car.Examples)
	for _, s := range wn.SynsetsOf("respire") {
		if s.POS == 'v' && s.Offset == 1740 {
			breathe = &s
		}
	}
	require.NotNil(t, breathe, "verb synset 00001740")
	assert.Equal(t, []string{"breathe", "take a breath", "respire", "suspire"}, breathe.Words)
	assert.Equal(t, []string{"I can breathe better when the air is clean", "The patient is respiring"}, breathe.Examples)
}
