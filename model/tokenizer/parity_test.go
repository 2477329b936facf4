package tokenizer

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/sugarme/tokenizer/spm"
)

// sharedData returns the shared data folder (FEWSHOT_SHARED_DATA, else
// ../../../shared/data) or skips the test when it is absent.
func sharedData(t testing.TB) string {
	t.Helper()
	dir, ok := sharedDataDir()
	if !ok {
		t.Skipf("shared data not found at %s (set FEWSHOT_SHARED_DATA)", dir)
	}
	return dir
}

// sharedDataDir returns the shared data folder and whether it has the
// tokenizer files.
func sharedDataDir() (string, bool) {
	dir := os.Getenv("FEWSHOT_SHARED_DATA")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared", "data")
	}
	_, err := os.Stat(filepath.Join(dir, "tokenizers"))
	return dir, err == nil
}

// loadJSONFile loads a tokenizer.json file.
func loadJSONFile(t testing.TB, path string, opt Options) *Tokenizer {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	tk, err := FromTokenizerJSON(data, opt)
	require.NoError(t, err, path)
	return tk
}

// loadUnigramFixture loads testdata/unigram-metaspace.json with sugarme's
// nmt_nfkc precompiled charsmap put in place of its placeholder.
func loadUnigramFixture(t testing.TB, opt Options) *Tokenizer {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "unigram-metaspace.json"))
	require.NoError(t, err)
	data = []byte(strings.Replace(string(data), "@NMT_NFKC@", base64.StdEncoding.EncodeToString(spm.NmtNfkc()), 1))
	tk, err := FromTokenizerJSON(data, opt)
	require.NoError(t, err)
	return tk
}

// bertTokenizers returns bert-base-uncased loaded from tokenizer.json and
// from vocab.txt alone (the fallback path, through Load on a folder that
// holds only a link to vocab.txt).
func bertTokenizers(t testing.TB, opt Options) map[string]*Tokenizer {
	t.Helper()
	dir := filepath.Join(sharedData(t), "tokenizers", "bert-base-uncased")
	vocabDir := t.TempDir()
	abs, err := filepath.Abs(filepath.Join(dir, "vocab.txt"))
	require.NoError(t, err)
	require.NoError(t, os.Symlink(abs, filepath.Join(vocabDir, "vocab.txt")))
	fromVocab, err := Load(vocabDir, opt)
	require.NoError(t, err)
	fromJSON, err := Load(dir, opt)
	require.NoError(t, err)
	return map[string]*Tokenizer{"tokenizer.json": fromJSON, "vocab.txt": fromVocab}
}

type jsCase struct {
	Name   string  `json:"name"`
	Text   string  `json:"text"`
	IDs    []int64 `json:"ids"`
	Tokens []string
}

func readJSONL[T any](t testing.TB, path string) []T {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	var out []T
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 1<<16), 1<<22)
	for n := 1; sc.Scan(); n++ {
		var v T
		require.NoError(t, json.Unmarshal(sc.Bytes(), &v), "%s line %d", path, n)
		out = append(out, v)
	}
	require.NoError(t, sc.Err())
	return out
}

// TestTransformersJSCases checks the 30 bert-base-uncased cases of the
// transformers.js test suite (ids computed by Hugging Face's Python
// tokenizers), from tokenizer.json and from vocab.txt alone.
func TestTransformersJSCases(t *testing.T) {
	dir := sharedData(t)
	cases := readJSONL[jsCase](t, filepath.Join(dir, "tokenizers", "cases", "bert-base-uncased.transformersjs.jsonl"))
	require.Len(t, cases, 30)
	for src, tk := range bertTokenizers(t, Options{}) {
		for _, c := range cases {
			t.Run(src+"/"+c.Name, func(t *testing.T) {
				var enc Encoding
				var err error
				if c.Name == "TEXT_PAIR" { // the transformers.js case encodes the pair ("hello", "world")
					enc, err = tk.EncodePair(c.Text, "world")
				} else {
					enc, err = tk.Encode(c.Text)
				}
				require.NoError(t, err)
				assert.Equal(t, c.IDs, enc.IDs)
				assert.Len(t, enc.Mask, len(c.IDs))
				if c.Name != "TEXT_PAIR" {
					assert.Equal(t, c.Tokens, enc.Tokens[1:len(enc.Tokens)-1])
				}
			})
		}
	}
}

// TestAllMiniLMTokenizerJSON: the all-MiniLM-L6-v2 tokenizer.json (same vocab
// as bert-base-uncased) has truncation 256 and BatchLongest padding to a
// multiple of 8, both of which must be ignored in favour of Options.
func TestAllMiniLMTokenizerJSON(t *testing.T) {
	dir := sharedData(t)
	cases := readJSONL[jsCase](t, filepath.Join(dir, "tokenizers", "cases", "bert-base-uncased.transformersjs.jsonl"))
	tk := loadJSONFile(t, filepath.Join(dir, "tokenizers", "all-MiniLM-L6-v2", "tokenizer.json"), Options{MaxLength: 256})
	assert.Equal(t, 30522, tk.VocabSize())
	assert.Equal(t, int64(0), tk.PadID())
	assert.Equal(t, 256, tk.MaxLength())
	for _, c := range cases {
		if c.Name == "TEXT_PAIR" {
			continue
		}
		enc, err := tk.Encode(c.Text)
		require.NoError(t, err)
		assert.Equal(t, c.IDs, enc.IDs, c.Name) // no padding: lengths like 7 are not rounded up to 8
	}
	long, err := tk.Encode(strings.Repeat("hello ", 1000))
	require.NoError(t, err)
	require.Len(t, long.IDs, 256)
	assert.Equal(t, int64(101), long.IDs[0])
	assert.Equal(t, int64(7592), long.IDs[254])
	assert.Equal(t, int64(102), long.IDs[255])
}

type oracleCase struct {
	Group     string  `json:"group"`
	Text      string  `json:"text"`
	Pair      *string `json:"pair"`
	MaxLength int     `json:"max_length"`
	Lower     bool    `json:"lower"`
	IDs       []int64 `json:"ids"`
	TypeIDs   []int64 `json:"type_ids"`
}

// TestOracleCases checks ids computed by the Rust Hugging Face tokenizers
// (testdata/oracle/oracle.js) for hard strings on bert-base-uncased (both
// load paths), pairs and truncation, and on the hand-made byte-level BPE and
// Unigram tokenizers in testdata.
func TestOracleCases(t *testing.T) {
	cases := readJSONL[oracleCase](t, filepath.Join("testdata", "oracle-cases.jsonl"))
	require.NotEmpty(t, cases)
	type key struct {
		group string
		opt   Options
	}
	cache := map[key]map[string]*Tokenizer{}
	get := func(group string, opt Options) map[string]*Tokenizer {
		k := key{group, opt}
		if m, ok := cache[k]; ok {
			return m
		}
		var m map[string]*Tokenizer
		switch group {
		case "bert":
			m = bertTokenizers(t, opt)
		case "bpe":
			m = map[string]*Tokenizer{"json": loadJSONFile(t, filepath.Join("testdata", "bpe-bytelevel.json"), opt)}
		case "unigram":
			m = map[string]*Tokenizer{"json": loadUnigramFixture(t, opt)}
		default:
			t.Fatalf("unknown group %q", group)
		}
		cache[k] = m
		return m
	}
	_, shared := sharedDataDir()
	for i, c := range cases {
		opt := Options{MaxLength: c.MaxLength, DoLowerCase: c.Lower}
		if c.Group == "bert" && !shared {
			t.Logf("shared data absent: skipping bert case %d", i)
			continue
		}
		for src, tk := range get(c.Group, opt) {
			name := fmt.Sprintf("%s/%s/%d_%s", c.Group, src, i, strconv.QuoteToASCII(truncRunes(c.Text, 20)))
			t.Run(name, func(t *testing.T) {
				var enc Encoding
				var err error
				if c.Pair != nil {
					enc, err = tk.EncodePair(c.Text, *c.Pair)
				} else {
					enc, err = tk.Encode(c.Text)
				}
				require.NoError(t, err)
				assert.Equal(t, c.IDs, enc.IDs, "text %q", c.Text)
				assert.Equal(t, c.TypeIDs, enc.TypeIDs)
			})
		}
	}
}

func truncRunes(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		r = r[:n]
	}
	return string(r)
}

// stsbSentences returns every STS-B sentence (train then dev; sentence1
// then sentence2 of each row).
func stsbSentences(t testing.TB) []string {
	t.Helper()
	dir := filepath.Join(sharedData(t), "similarity", "stsbenchmark")
	var out []string
	for _, name := range []string{"sts-train.csv", "sts-dev.csv"} {
		path := filepath.Join(dir, name)
		data, err := os.ReadFile(path)
		require.NoError(t, err)
		for n, row := range strings.Split(string(data), "\n") {
			if row == "" {
				continue
			}
			cols := strings.Split(row, "\t")
			require.GreaterOrEqual(t, len(cols), 7, "%s line %d", path, n+1)
			out = append(out, cols[5], cols[6])
		}
	}
	return out
}

// TestSTSBParity compares every STS-B sentence with the Rust tokenizer's ids
// (one CRC-32 of the comma-joined ids per sentence, testdata).
func TestSTSBParity(t *testing.T) {
	sentences := stsbSentences(t)
	want := readLines(t, filepath.Join("testdata", "stsb-bert-base-uncased.crc32"))
	require.Len(t, want, len(sentences))
	for src, tk := range bertTokenizers(t, Options{}) {
		encs, err := tk.EncodeBatch(sentences, 0)
		require.NoError(t, err)
		bad := 0
		for i, e := range encs {
			parts := make([]string, len(e.IDs))
			for j, id := range e.IDs {
				parts[j] = strconv.FormatInt(id, 10)
			}
			got := fmt.Sprintf("%08x", crc32.ChecksumIEEE([]byte(strings.Join(parts, ","))))
			if got != want[i] {
				bad++
				if bad <= 5 {
					t.Errorf("%s: sentence %d %q: ids %v do not match the reference checksum", src, i, sentences[i], e.IDs)
				}
			}
		}
		assert.Zero(t, bad, "%s: %d of %d sentences differ", src, bad, len(sentences))
	}
}

func readLines(t testing.TB, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	return strings.Split(strings.TrimRight(string(data), "\n"), "\n")
}
