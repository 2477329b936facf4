package dataset

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzReadExamplesJSONL checks that any input either fails with a message naming the file, or gives
// one trimmed, non-empty, valid example per non-blank line, each line being a JSON object.
func FuzzReadExamplesJSONL(f *testing.F) {
	for _, s := range []string{
		`{"text":"a","label":"b"}`,
		"{\"text\":\"a\",\"label\":1}\r\n\r\n{\"text\":\"c\",\"label\":\"d\"}",
		`{"sentence":"x","intent":"y","label_text":"z"}`,
		`{"text":["a"],"label":"b"}`,
		"\ufeff{\"text\":\"\u00e9\",\"label\":\"b\"}",
		`{"text":"a"}`,
		"[1,2]",
		"{\"text\":\"caf\xe9\",\"label\":\"x\"}",
		"",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ex, err := ReadExamplesFrom(bytes.NewReader(data), "fuzz.jsonl", Options{Format: "jsonl"})
		if err != nil {
			if !strings.HasPrefix(err.Error(), "read fuzz.jsonl") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		var lines []string
		for _, l := range strings.Split(string(bytes.TrimPrefix(data, utf8BOM)), "\n") {
			if strings.TrimSpace(l) != "" {
				lines = append(lines, l)
			}
		}
		if len(ex) != len(lines) {
			t.Fatalf("%d examples from %d non-blank lines", len(ex), len(lines))
		}
		for i, l := range lines {
			var obj map[string]any
			if json.Unmarshal([]byte(l), &obj) != nil {
				t.Fatalf("line %q accepted but is not a JSON object", l)
			}
			e := ex[i]
			if e.Text == "" || e.Label == "" || e.Text != strings.TrimSpace(e.Text) || e.Label != strings.TrimSpace(e.Label) {
				t.Fatalf("example %d not trimmed or empty: %+v", i, e)
			}
			if !utf8.ValidString(e.Text) || !utf8.ValidString(e.Label) {
				t.Fatalf("example %d not valid UTF-8: %+v", i, e)
			}
		}
		if Validate(ex, "fuzz.jsonl") != nil {
			t.Fatalf("read examples fail Validate")
		}
	})
}

// FuzzReadTexts checks that any input either fails with a message naming the stream, or, in plain
// mode, gives exactly the trimmed non-blank lines with their 0-based line numbers as ids.
func FuzzReadTexts(f *testing.F) {
	for _, s := range []string{"a\nb\n", "\ufeffx\r\n\r\ny", `{"text":"a","id":1}`, `{"text":"a","id":{"x":[1]}}`, "\xff", "  \n"} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, data []byte, jsonl bool) {
		var got []textCall
		err := ReadTexts(bytes.NewReader(data), "fuzz", jsonl, func(line int, id any, text string) error {
			if len(got) > 0 && line <= got[len(got)-1].line {
				t.Fatalf("line numbers not increasing: %d after %d", line, got[len(got)-1].line)
			}
			got = append(got, textCall{line, id, text})
			return nil
		})
		if err != nil {
			if !strings.HasPrefix(err.Error(), "read fuzz") {
				t.Fatalf("error does not name the stream: %v", err)
			}
			return
		}
		for _, c := range got {
			if c.text == "" || !utf8.ValidString(c.text) {
				t.Fatalf("bad text %q", c.text)
			}
		}
		if jsonl {
			return
		}
		var want []textCall
		for i, l := range strings.Split(string(bytes.TrimPrefix(data, utf8BOM)), "\n") {
			if s := strings.TrimSpace(l); s != "" {
				want = append(want, textCall{i + 1, i, s})
			}
		}
		if len(want) != len(got) {
			t.Fatalf("%d texts, want %d", len(got), len(want))
		}
		for i := range want {
			if want[i] != got[i] {
				t.Fatalf("text %d: got %+v, want %+v", i, got[i], want[i])
			}
		}
	})
}

// FuzzReadAnyFormat checks that no format panics on any input and that every error names the file.
func FuzzReadAnyFormat(f *testing.F) {
	for _, s := range []string{
		"text,label\n\"a\nb\",c\n",
		"pair_ID\tsentence_A\tsentence_B\trelatedness_score\tSemEval_set\r\n1\ta\tb\t2\tTRAIN\r\n",
		"g\tf\t2012\t1\t5.0\ta\tb\n",
		"{\"train\": [[\"a\", \"x\"]], \"test\": [[\"b\", \"y\"]]}",
		"[{\"anchor\":\"a\",\"positive\":\"p\",\"negative\":\"n\"}]",
		"NUM:date When ?\n", "1 good\n", "i am;joy\n",
	} {
		f.Add([]byte(s), uint8(0))
	}
	formats := append([]string{""}, Formats()...)
	f.Fuzz(func(t *testing.T, data []byte, pick uint8) {
		format := formats[int(pick)%len(formats)]
		if format == "snips" {
			return
		}
		opt := Options{Format: format, NoHeader: pick&0x80 != 0}
		if format == "clinc150" || format == "sick" {
			opt.Split = "train"
		}
		check := func(err error) {
			if err != nil && !strings.HasPrefix(err.Error(), "read fuzz.txt") {
				t.Fatalf("format %q: error does not name the file: %v", format, err)
			}
		}
		ex, err := ReadExamplesFrom(bytes.NewReader(data), "fuzz.txt", opt)
		check(err)
		if err == nil {
			if verr := Validate(ex, "fuzz.txt"); verr != nil {
				t.Fatalf("format %q: read examples fail Validate: %v", format, verr)
			}
		}
		_, err = ReadPairsFrom(bytes.NewReader(data), "fuzz.txt", opt)
		check(err)
		_, err = ReadTripletsFrom(bytes.NewReader(data), "fuzz.txt", opt)
		check(err)
	})
}
