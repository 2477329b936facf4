package tokenizer

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Ids below are looked up in bert-base-uncased's vocab.txt (id = line - 1).
const (
	idPad, idUnk, idCLS, idSEP, idMask = 0, 100, 101, 102, 103
	idThe, idQuick, idBrown, idFox     = 1996, 4248, 2829, 4419
	idJumps, idOver, idLazy, idDog     = 14523, 2058, 13971, 3899
	idHello, idWorld, idCafe           = 7592, 2088, 7668
)

var foxText = "The quick brown fox jumps over the lazy dog"

func foxIDs() []int64 {
	return []int64{idThe, idQuick, idBrown, idFox, idJumps, idOver, idThe, idLazy, idDog}
}

func TestTruncation(t *testing.T) {
	for name, tk := range bertTokenizers(t, Options{MaxLength: 8}) {
		t.Run(name, func(t *testing.T) {
			enc, err := tk.Encode(foxText)
			require.NoError(t, err)
			want := append(append([]int64{idCLS}, foxIDs()[:6]...), idSEP)
			assert.Equal(t, want, enc.IDs)
			assert.Equal(t, []int64{0, 0, 0, 0, 0, 0, 0, 0}, enc.TypeIDs)
			assert.Equal(t, []int64{1, 1, 1, 1, 1, 1, 1, 1}, enc.Mask)
			assert.Equal(t, []string{"[CLS]", "the", "quick", "brown", "fox", "jumps", "over", "[SEP]"}, enc.Tokens)

			short, err := tk.Encode("hello world")
			require.NoError(t, err)
			assert.Equal(t, []int64{idCLS, idHello, idWorld, idSEP}, short.IDs, "short text is not padded")
		})
	}
}

func TestTruncationLimits(t *testing.T) {
	dir := filepath.Join(sharedData(t), "tokenizers", "bert-base-uncased")
	exact, err := Load(dir, Options{MaxLength: 2})
	require.NoError(t, err)
	enc, err := exact.Encode(foxText)
	require.NoError(t, err)
	assert.Equal(t, []int64{idCLS, idSEP}, enc.IDs)

	tooShort, err := Load(dir, Options{MaxLength: 1})
	require.NoError(t, err)
	_, err = tooShort.Encode(foxText)
	assert.ErrorContains(t, err, "special tokens")

	_, err = Load(dir, Options{MaxLength: -3})
	assert.Error(t, err)
}

func TestEmptyAndWhitespace(t *testing.T) {
	for name, tk := range bertTokenizers(t, Options{MaxLength: 16}) {
		for _, text := range []string{"", " ", "\t\n\r ", "\u00a0\u3000\u2003", "\u200b", "\x00\x01"} {
			enc, err := tk.Encode(text)
			require.NoError(t, err)
			assert.Equal(t, []int64{idCLS, idSEP}, enc.IDs, "%s %q", name, text)
		}
	}
}

func TestInvalidUTF8(t *testing.T) {
	for name, tk := range bertTokenizers(t, Options{}) {
		// U+FFFD is dropped by BERT's clean-up, so the pieces join up.
		enc, err := tk.Encode("caf\xff\xfee")
		require.NoError(t, err)
		assert.Equal(t, []int64{idCLS, idCafe, idSEP}, enc.IDs, name)
	}
	assert.Equal(t, "a\uFFFD\uFFFDb", validUTF8("a\xff\xfeb"))
	assert.Equal(t, "ok é", validUTF8("ok é"))
}

func TestPythonTextPreparation(t *testing.T) {
	tests := []struct{ in, strip, lower string }{
		{" \t\u00a0x y\u3000\u001f", "x y", "x y"},
		{"\u200bX\u200b", "\u200bX\u200b", "\u200bx\u200b"}, // ZWSP is not whitespace for Python
		{"ΟΔΟΣ ΣΑΣ. Σ", "ΟΔΟΣ ΣΑΣ. Σ", "οδος σας. σ"},
		{"İ", "İ", "i\u0307"},
		{"AΣ'", "AΣ'", "aς'"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.strip, pyStrip(tt.in), "strip %q", tt.in)
		assert.Equal(t, tt.lower, pyLower(pyStrip(tt.in)), "lower %q", tt.in)
	}
}

// TestLongText: 100,000 characters must tokenize quickly and truncate.
func TestLongText(t *testing.T) {
	tks := bertTokenizers(t, Options{MaxLength: 128})
	words := []string{"the", "quick", "brown", "fox", "jumps", "over", "lazy", "dog"}
	var b strings.Builder
	nWords := 0
	for i := 0; b.Len()+len(words[i%len(words)])+1 <= 100_000; i++ {
		b.WriteString(words[i%len(words)])
		b.WriteString(" ")
		nWords++
	}
	text := b.String() + strings.Repeat(" ", 100_000-b.Len())
	require.Len(t, text, 100_000)
	unbroken := strings.Repeat("é", 50_000) // 100,000 bytes, one word
	spaces := "a" + strings.Repeat(" ", 99_998) + "b"
	for name, tk := range tks {
		for _, in := range []string{text, unbroken, spaces} {
			start := time.Now()
			enc, err := tk.Encode(in)
			elapsed := time.Since(start)
			require.NoError(t, err)
			t.Logf("%s: %d bytes in %v", name, len(in), elapsed)
			assert.Less(t, elapsed, time.Second)
			assert.LessOrEqual(t, len(enc.IDs), 128)
			assert.Equal(t, int64(idCLS), enc.IDs[0])
			assert.Equal(t, int64(idSEP), enc.IDs[len(enc.IDs)-1])
		}
		enc, err := tk.Encode(text)
		require.NoError(t, err)
		require.Len(t, enc.IDs, 128)
		assert.Equal(t, []int64{idThe, idQuick, idBrown, idFox, idJumps, idOver, 13971, idDog, idThe}, enc.IDs[1:10])
		enc, err = tk.Encode(unbroken) // longer than 100 characters: one [UNK]
		require.NoError(t, err)
		assert.Equal(t, []int64{idCLS, idUnk, idSEP}, enc.IDs)
	}
	noLimit, err := Load(filepath.Join(sharedData(t), "tokenizers", "bert-base-uncased"), Options{})
	require.NoError(t, err)
	start := time.Now()
	enc, err := noLimit.Encode(text)
	require.NoError(t, err)
	t.Logf("no limit: %d bytes, %d tokens in %v", len(text), len(enc.IDs), time.Since(start))
	assert.Less(t, time.Since(start), time.Second)
	assert.Len(t, enc.IDs, nWords+2, "one token per word")
}

func TestConcurrentEncode(t *testing.T) {
	tk := bertTokenizers(t, Options{MaxLength: 32})["tokenizer.json"]
	inputs := map[string][]int64{
		foxText:              append(append([]int64{idCLS}, foxIDs()...), idSEP),
		"Hello World":        {idCLS, idHello, idWorld, idSEP},
		"café":               {idCLS, idCafe, idSEP},
		"[MASK] hello":       {idCLS, idMask, idHello, idSEP},
		"  HELLO\u00a0world": {idCLS, idHello, idWorld, idSEP},
	}
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				for text, want := range inputs {
					enc, err := tk.Encode(text)
					if err != nil || fmt.Sprint(enc.IDs) != fmt.Sprint(want) {
						errs <- fmt.Sprintf("%q: got %v, %v", text, enc.IDs, err)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

func TestEncodeBatchOrder(t *testing.T) {
	tk := bertTokenizers(t, Options{})["tokenizer.json"]
	texts := make([]string, 100)
	want := make([][]int64, 100)
	for i := range texts {
		switch i % 3 {
		case 0:
			texts[i], want[i] = "hello", []int64{idCLS, idHello, idSEP}
		case 1:
			texts[i], want[i] = "the dog", []int64{idCLS, idThe, idDog, idSEP}
		default:
			texts[i], want[i] = "world hello world", []int64{idCLS, idWorld, idHello, idWorld, idSEP}
		}
	}
	for _, workers := range []int{0, 1, 3, 200} {
		encs, err := tk.EncodeBatch(texts, workers)
		require.NoError(t, err)
		require.Len(t, encs, len(texts))
		for i, e := range encs {
			assert.Equal(t, want[i], e.IDs, "workers %d, input %d", workers, i)
		}
	}
	encs, err := tk.EncodeBatch(nil, 4)
	require.NoError(t, err)
	assert.Empty(t, encs)
}

// panicModel panics on the word "boom", as a library bug would.
type panicModel struct{}

func (panicModel) tokenize(word string, dst []int32) ([]int32, error) {
	if word == "boom" {
		panic("boom")
	}
	return append(dst, 5), nil
}

func TestEncodeBatchPanicBecomesError(t *testing.T) {
	tk := &Tokenizer{model: panicModel{}, pre: whitespacePreTokenizer{}, idToToken: make([]string, 10),
		single: []tmplItem{{seq: 0}}}
	_, err := tk.EncodeBatch([]string{"fine", "also fine", "it goes boom", "fine"}, 2)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "input 2")
	assert.Contains(t, err.Error(), "panic")
}

func TestPad(t *testing.T) {
	encs := []Encoding{
		{IDs: []int64{101, 7, 102}, TypeIDs: []int64{0, 0, 0}, Mask: []int64{1, 1, 1}},
		{IDs: []int64{101, 102}, TypeIDs: []int64{0, 0}, Mask: []int64{1, 1}},
		{IDs: []int64{101, 8, 9, 10, 102}, TypeIDs: []int64{0, 0, 1, 1, 1}, Mask: []int64{1, 1, 1, 1, 1}},
	}
	ids, typeIDs, mask, seqLen := Pad(encs, 99)
	assert.Equal(t, 5, seqLen)
	assert.Equal(t, []int64{
		101, 7, 102, 99, 99,
		101, 102, 99, 99, 99,
		101, 8, 9, 10, 102}, ids)
	assert.Equal(t, []int64{
		0, 0, 0, 0, 0,
		0, 0, 0, 0, 0,
		0, 0, 1, 1, 1}, typeIDs)
	assert.Equal(t, []int64{
		1, 1, 1, 0, 0,
		1, 1, 0, 0, 0,
		1, 1, 1, 1, 1}, mask)

	ids, typeIDs, mask, seqLen = Pad(nil, 0)
	assert.Zero(t, seqLen)
	assert.Empty(t, ids)
	assert.Empty(t, typeIDs)
	assert.Empty(t, mask)
}

func TestLoadErrors(t *testing.T) {
	_, err := Load(t.TempDir(), Options{})
	assert.ErrorContains(t, err, "vocab.txt")

	_, err = FromTokenizerJSON([]byte(`{"model": {"type": "WordPiece", "vocab": {"[UNK]": 0}}, "normalizer": {"type": "FancyNorm"}}`), Options{})
	assert.ErrorContains(t, err, "FancyNorm")
	_, err = FromTokenizerJSON([]byte(`{"model": {"type": "WordPiece", "vocab": {"[UNK]": 0}}, "pre_tokenizer": {"type": "UnicodeScripts"}}`), Options{})
	assert.ErrorContains(t, err, "UnicodeScripts")
	_, err = FromTokenizerJSON([]byte(`{"model": {"type": "WordPiece", "vocab": {"a": 0}}}`), Options{})
	assert.ErrorContains(t, err, "unk token")
	_, err = FromTokenizerJSON([]byte(`{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": ["a b"]}}`), Options{})
	assert.ErrorContains(t, err, "merge 0")
	_, err = FromTokenizerJSON([]byte(`{not json`), Options{})
	assert.Error(t, err)
	_, err = FromTokenizerJSON([]byte(`{"model": {"type": "Unigram", "vocab": [["a", -1]], "unk_id": 5}}`), Options{})
	assert.ErrorContains(t, err, "unk_id")

	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "tokenizer.json"), []byte(`{"model": {"type": "Weird"}}`), 0o644))
	_, err = Load(dir, Options{})
	assert.ErrorContains(t, err, filepath.Join(dir, "tokenizer.json"))
	assert.ErrorContains(t, err, "Weird")
}

// TestVocabTxtConfig: a vocab.txt folder with tokenizer_config.json and
// special_tokens_map.json (cased, MPNet-style specials). Expected ids are the
// line numbers of the hand-written vocabulary.
func TestVocabTxtConfig(t *testing.T) {
	dir := t.TempDir()
	vocab := []string{"<s>", "<pad>", "</s>", "[UNK]", "hello", "Hello", "world", "##s", "!", "café", "cafe", "<mask>"}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "vocab.txt"), []byte(strings.Join(vocab, "\n")+"\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "tokenizer_config.json"),
		[]byte(`{"tokenizer_class": "MPNetTokenizer", "do_lower_case": false, "model_max_length": 512}`), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "special_tokens_map.json"),
		[]byte(`{"pad_token": {"content": "<pad>"}, "unk_token": "[UNK]", "mask_token": {"content": "<mask>", "lstrip": true}}`), 0o644))
	tk, err := Load(dir, Options{})
	require.NoError(t, err)
	assert.Equal(t, int64(1), tk.PadID())
	assert.Equal(t, 12, tk.VocabSize())
	tests := []struct {
		text string
		want []int64
	}{
		{"Hello worlds!", []int64{0, 5, 6, 7, 8, 2}}, // cased: "Hello" keeps its capital
		{"hello café", []int64{0, 4, 9, 2}},          // no lower-casing, so accents are kept
		{"hello <mask>", []int64{0, 4, 11, 2}},       // the special token is matched in the raw text
		{"HELLO", []int64{0, 3, 2}},                  // not in the vocabulary
		{"", []int64{0, 2}},
	}
	for _, tt := range tests {
		enc, err := tk.Encode(tt.text)
		require.NoError(t, err)
		assert.Equal(t, tt.want, enc.IDs, tt.text)
	}
	pair, err := tk.EncodePair("hello", "world")
	require.NoError(t, err)
	assert.Equal(t, []int64{0, 4, 2, 2, 6, 2}, pair.IDs)
	assert.Equal(t, []int64{0, 0, 0, 0, 0, 0}, pair.TypeIDs)

	lower, err := Load(dir, Options{DoLowerCase: true})
	require.NoError(t, err)
	enc, err := lower.Encode("HELLO Café")
	require.NoError(t, err)
	assert.Equal(t, []int64{0, 4, 9, 2}, enc.IDs, "sentence-transformers lower-cases before the tokenizer")
}

func TestTruncateLongestFirst(t *testing.T) {
	mk := func(n int) []int32 { return make([]int32, n) }
	tests := []struct{ a, b, limit, wantA, wantB int }{
		{3, 4, 10, 3, 4},
		{9, 2, 6, 4, 2},
		{2, 9, 6, 2, 4},
		{9, 8, 7, 4, 3},
		{8, 9, 7, 3, 4},
		{9, 9, 6, 3, 3},
		{0, 9, 5, 0, 5},
	}
	for _, tt := range tests {
		a, b := truncateLongestFirst(mk(tt.a), mk(tt.b), tt.limit)
		assert.Equal(t, [2]int{tt.wantA, tt.wantB}, [2]int{len(a), len(b)}, "%+v", tt)
	}
}

func TestGPT2Split(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"Hello world", []string{"Hello", " world"}},
		{"a  b", []string{"a", " ", " b"}},
		{"a\n\nb", []string{"a", "\n", "\n", "b"}},
		{"x   ", []string{"x", "   "}},
		{"it's 12!?", []string{"it", "'s", " 12", "!?"}},
		{" 's", []string{" '", "s"}},
	}
	for _, tt := range tests {
		var got []string
		for _, r := range gpt2Split(tt.in) {
			got = append(got, tt.in[r[0]:r[1]])
		}
		assert.Equal(t, tt.want, got, "%q", tt.in)
	}
}

// TestConcurrentEncodeFixtures: several goroutines encode the BPE and
// Unigram reference strings at once (run with -race) and still get the Rust
// library's ids.
func TestConcurrentEncodeFixtures(t *testing.T) {
	cases := readJSONL[oracleCase](t, filepath.Join("testdata", "oracle-cases.jsonl"))
	bpeTk := loadJSONFile(t, filepath.Join("testdata", "bpe-bytelevel.json"), Options{})
	uniTk := loadUnigramFixture(t, Options{})
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for g := 0; g < 6; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for rep := 0; rep < 20; rep++ {
				for _, c := range cases {
					tk := bpeTk
					if c.Group == "unigram" {
						tk = uniTk
					}
					if c.Group == "bert" || c.Pair != nil || c.MaxLength > 0 || c.Lower {
						continue
					}
					enc, err := tk.Encode(c.Text)
					if err != nil || fmt.Sprint(enc.IDs) != fmt.Sprint(c.IDs) {
						errs <- fmt.Sprintf("%s %q: got %v, %v; want %v", c.Group, c.Text, enc.IDs, err, c.IDs)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}
