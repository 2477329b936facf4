package tokenizer

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzEncode: no input makes Encode fail or panic; ids are inside the
// vocabulary; the length respects MaxLength; the first and last tokens are
// the special tokens. Runs on the hand-made BPE and Unigram tokenizers, and
// on bert-base-uncased when the shared data is present. Each run costs a
// few encodings of every input, so keep minimization short:
//
//	go test -run XXX -fuzz FuzzEncode -fuzzminimizetime 200x ./model/tokenizer/
func FuzzEncode(f *testing.F) {
	for _, s := range []string{"", " ", "Hello world", "İstanbul ΟΔΟΣ", "a\r\nb", "\x00\xff\xfe", "[MASK]<mask><s>",
		"日本語 한국어", "👩‍👩‍👧‍👦", "a                                                       b", "ﬁ 𝔾 e\u0301"} {
		f.Add(s)
	}
	const maxLen = 16
	type target struct {
		name        string
		tk          *Tokenizer
		first, last int64
	}
	var targets []target
	opt := Options{MaxLength: maxLen}
	if data, err := os.ReadFile(filepath.Join("testdata", "bpe-bytelevel.json")); err == nil {
		if tk, err := FromTokenizerJSON(data, opt); err == nil {
			targets = append(targets, target{"bpe", tk, 0, 2})
		}
	}
	targets = append(targets, target{"unigram", loadUnigramFixture(f, opt), 0, 2})
	lowered := Options{MaxLength: maxLen, DoLowerCase: true}
	targets = append(targets, target{"unigram-lower", loadUnigramFixture(f, lowered), 0, 2})
	if dir, ok := sharedDataDir(); !ok {
		f.Logf("shared data absent: fuzzing without bert-base-uncased")
	} else if tk, err := Load(filepath.Join(dir, "tokenizers", "bert-base-uncased"), opt); err == nil {
		targets = append(targets, target{"bert", tk, idCLS, idSEP})
	}
	if len(targets) < 3 {
		f.Fatalf("only %d tokenizers loaded", len(targets))
	}
	f.Fuzz(func(t *testing.T, text string) {
		for _, tg := range targets {
			enc, err := tg.tk.Encode(text)
			if err != nil {
				t.Fatalf("%s: Encode(%q): %v", tg.name, text, err)
			}
			n := len(enc.IDs)
			if n < 2 || n > maxLen {
				t.Fatalf("%s: Encode(%q) has %d tokens, want 2..%d", tg.name, text, n, maxLen)
			}
			if enc.IDs[0] != tg.first || enc.IDs[n-1] != tg.last {
				t.Fatalf("%s: Encode(%q) = %v, want %d ... %d", tg.name, text, enc.IDs, tg.first, tg.last)
			}
			if len(enc.TypeIDs) != n || len(enc.Mask) != n || len(enc.Tokens) != n {
				t.Fatalf("%s: Encode(%q): lengths %d/%d/%d/%d differ", tg.name, text, n, len(enc.TypeIDs), len(enc.Mask), len(enc.Tokens))
			}
			for i, id := range enc.IDs {
				if id < 0 || id >= int64(tg.tk.VocabSize()) {
					t.Fatalf("%s: Encode(%q): id %d at %d is outside the vocabulary of %d", tg.name, text, id, i, tg.tk.VocabSize())
				}
				if enc.Mask[i] != 1 {
					t.Fatalf("%s: Encode(%q): mask %v", tg.name, text, enc.Mask)
				}
			}
		}
	})
}
