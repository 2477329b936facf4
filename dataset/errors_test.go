package dataset

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// readAny reads path as examples, pairs or triplets and returns only the error.
func readAny(kind, path string, opt Options) error {
	var err error
	switch kind {
	case "examples":
		_, err = ReadExamples(path, opt)
	case "pairs":
		_, err = ReadPairs(path, opt)
	case "triplets":
		_, err = ReadTriplets(path, opt)
	default:
		panic(kind)
	}
	return err
}

func TestReadErrors(t *testing.T) {
	cases := []struct {
		name, kind, file, content string
		opt                       Options
		line                      int      // expected line; 0 = the whole file
		want                      []string // substrings of the message after "read PATH[ line N]: "
	}{
		// Whole-file problems.
		{name: "empty file", kind: "examples", file: "d.jsonl", content: "", want: []string{"empty file"}},
		{name: "empty file, format not detectable", kind: "examples", file: "d", content: "", want: []string{"empty file"}},
		{name: "BOM only", kind: "examples", file: "d.csv", content: "\ufeff", want: []string{"empty file"}},
		{name: "blank lines only", kind: "examples", file: "d.jsonl", content: "\n  \r\n\n", want: []string{"no records (blank lines only)"}},
		{name: "csv header only", kind: "examples", file: "d.csv", content: "text,label\n", want: []string{"no records (header only)"}},
		{name: "json empty array", kind: "examples", file: "d.json", content: "[ ]", want: []string{"no records (empty array)"}},
		{name: "UTF-16", kind: "examples", file: "d.csv", content: "\xff\xfet\x00e\x00", want: []string{"UTF-16", "convert it to UTF-8"}},
		{name: "unknown format", kind: "examples", file: "d.csv", content: "a", opt: Options{Format: "xml"}, want: []string{`unknown format "xml"`, "jsonl, json, csv"}},
		{name: "unknown encoding", kind: "examples", file: "d.csv", content: "text,label\na,b\n", opt: Options{Encoding: "ebcdic"}, want: []string{`unknown encoding "ebcdic"`}},
		{name: "wrong kind", kind: "triplets", file: "d.txt", content: "a;joy\n", want: []string{"format emotion holds labelled texts, not triplets"}},
		{name: "split on jsonl", kind: "examples", file: "d.jsonl", content: `{"text":"a","label":"b"}`, opt: Options{Split: "train"}, want: []string{`format jsonl has no splits (Split "train")`}},

		// JSONL.
		{name: "jsonl malformed", kind: "examples", file: "d.jsonl", content: "{\"text\":\"a\",\"label\":\"b\"}\n{\"text\": \"a\", \"label\"}\n", line: 2, want: []string{"malformed JSON"}},
		{name: "jsonl not an object", kind: "examples", file: "d.jsonl", content: "[\"a\", \"b\"]\n", line: 1, want: []string{"want a JSON object, got an array"}},
		{name: "jsonl no text key", kind: "examples", file: "d.jsonl", content: "{\"body\":\"a\",\"label\":\"b\"}\n", line: 1, want: []string{"no text column", `columns: "body", "label"`, "TextCol"}},
		{name: "jsonl unknown explicit key", kind: "examples", file: "d.jsonl", content: "{\"text\":\"a\",\"label\":\"b\"}\n", opt: Options{LabelCol: "tag"}, line: 1, want: []string{`unknown column "tag" for the label (LabelCol)`, `columns: "label", "text"`}},
		{name: "jsonl missing field later", kind: "examples", file: "d.jsonl", content: "{\"text\":\"a\",\"label\":\"b\"}\n\n{\"text\":\"c\"}\n", line: 3, want: []string{`missing field "label" (the label)`, `fields: "text"`}},
		{name: "jsonl label array", kind: "examples", file: "d.jsonl", content: "{\"text\":\"a\",\"label\":[\"x\",\"y\"]}\n", line: 1, want: []string{`field "label": is an array, want a string or a number`}},
		{name: "jsonl text null", kind: "examples", file: "d.jsonl", content: "{\"text\":null,\"label\":\"x\"}\n", line: 1, want: []string{`field "text": is null`}},
		{name: "jsonl empty text", kind: "examples", file: "d.jsonl", content: "{\"text\":\"a\",\"label\":\"x\"}\n{\"text\":\"  \",\"label\":\"x\"}\n", line: 2, want: []string{`empty text (column "text")`}},
		{name: "jsonl empty label", kind: "examples", file: "d.jsonl", content: "{\"text\":\"a\",\"label\":\"\"}\n", line: 1, want: []string{`empty label (column "label")`}},
		{name: "jsonl invalid UTF-8", kind: "examples", file: "d.jsonl", content: "{\"text\":\"a\",\"label\":\"x\"}\n{\"text\":\"caf\xe9\",\"label\":\"x\"}\n", line: 2, want: []string{"invalid UTF-8 (byte 0xE9 at column 13)"}},

		// JSON array.
		{name: "json malformed", kind: "examples", file: "d.json", content: "[\n{\"text\":\"a\",\"label\":\"b\"},\n{\"text\" \"c\"}\n]", line: 3, want: []string{"malformed JSON"}},
		{name: "json element not object", kind: "examples", file: "d.json", content: "[\n{\"text\":\"a\",\"label\":\"b\"},\n  \"c\"\n]", line: 3, want: []string{"want a JSON object, got a string"}},
		{name: "json unterminated", kind: "examples", file: "d.json", content: "[\n{\"text\":\"a\",\"label\":\"b\"}\n", line: 3, want: []string{"malformed JSON"}},
		{name: "json invalid UTF-8", kind: "examples", file: "d.json", content: "[\n{\"text\":\"a\",\n\"label\":\"\xc3\"}]", line: 3, want: []string{"invalid UTF-8"}},
		{name: "json missing field", kind: "examples", file: "d.json", content: "[{\"text\":\"a\",\"label\":\"b\"},\n\n {\"label\":\"c\"}]", line: 3, want: []string{`missing field "text"`}},

		// CSV and TSV.
		{name: "csv too few columns", kind: "examples", file: "d.csv", content: "text,label\na,b\nc\n", line: 3, want: []string{`1 column(s), need at least 2 (up to column "label")`}},
		{name: "csv bare quote", kind: "examples", file: "d.csv", content: "text,label\na,b\nsay \"hi\",c\n", line: 3, want: []string{"column 5", `bare "`}},
		{name: "csv unknown column", kind: "examples", file: "d.csv", content: "text,label\na,b\n", opt: Options{TextCol: "body"}, line: 1, want: []string{`unknown column "body" for the text (TextCol)`, `columns: "text", "label"`}},
		{name: "csv no label column", kind: "examples", file: "d.csv", content: "text,foo\na,b\n", line: 1, want: []string{"no label column", `columns: "text", "foo"`}},
		{name: "csv no header bad index", kind: "examples", file: "d.csv", content: "a,b\n", opt: Options{NoHeader: true, LabelCol: "2"}, line: 1, want: []string{`unknown column "2"`, "numbered from 0"}},
		{name: "csv invalid UTF-8 in a multi-line field", kind: "examples", file: "d.csv", content: "text,label\na,b\n\"x\ny\xff\",c\n", line: 3, want: []string{`column "text": invalid UTF-8 (byte 0xFF`}},
		{name: "csv empty label", kind: "examples", file: "d.csv", content: "text,label\na,b\nc,\n", line: 3, want: []string{`empty label (column "label")`}},
		{name: "tsv too few columns", kind: "examples", file: "d.tsv", content: "text\tlabel\n\na\n", line: 3, want: []string{"1 column(s), need at least 2"}},
		{name: "tsv invalid UTF-8", kind: "examples", file: "d.tsv", content: "text\tlabel\na\tb\xfe\n", line: 2, want: []string{"invalid UTF-8 (byte 0xFE at column 4)"}},

		// Line formats.
		{name: "emotion no semicolon", kind: "examples", file: "d.txt", content: "ok;joy\nnothing here\n", opt: Options{Format: "emotion"}, line: 2, want: []string{`no ';' between text and label in "nothing here"`}},
		{name: "emotion empty label", kind: "examples", file: "d.txt", content: "ok;joy\nsad;\n", opt: Options{Format: "emotion"}, line: 2, want: []string{"empty label after ';'"}},
		{name: "trec malformed", kind: "examples", file: "TREC.x", content: "NUM:date When ?\nWhat is this ?\n", line: 2, want: []string{`want "COARSE:fine question", got "What is this ?"`}},
		{name: "sst invalid UTF-8", kind: "examples", file: "stsa.binary.x", content: "1 good\n0 b\xe4d\n", line: 2, want: []string{"invalid UTF-8 (byte 0xE4 at column 4)"}},
		{name: "clinc item of three", kind: "examples", file: "c.json", content: "{\n\"train\": [\n  [\"a\", \"x\"],\n  [\"b\", \"y\", \"z\"]\n]\n}\n", opt: Options{Split: "train"}, line: 4, want: []string{`split "train" item 2: want [text, intent]`}},
		{name: "clinc intent number", kind: "examples", file: "c.json", content: "{\"train\": [[\"a\", 3]],\n \"test\": []}", opt: Options{Split: "train"}, line: 1, want: []string{"intent is a number, want a string"}},
		{name: "clinc split not an array", kind: "examples", file: "c.json", content: "{\n\"train\": [[\"a\", \"x\"]],\n\"test\": {}\n}", opt: Options{Split: "train"}, line: 3, want: []string{`split "test": want an array`}},
		{name: "clinc malformed", kind: "examples", file: "c.json", content: "{\n\"train\": [[\"a\", \"x\"],\n[\"b\" \"y\"]]}", opt: Options{Split: "train"}, line: 3, want: []string{"malformed JSON"}},

		// Pairs.
		{name: "pairs non-numeric score", kind: "pairs", file: "p.jsonl", content: "{\"sentence1\":\"a\",\"sentence2\":\"b\",\"score\":1}\n{\"sentence1\":\"a\",\"sentence2\":\"b\",\"score\":\"high\"}\n", line: 2, want: []string{`column "score": score "high" is not a finite number`}},
		{name: "pairs NaN score", kind: "pairs", file: "p.csv", content: "sentence1,sentence2,score\na,b,NaN\n", line: 2, want: []string{`score "NaN" is not a finite number`}},
		{name: "pairs empty score", kind: "pairs", file: "p.csv", content: "sentence1,sentence2,score\na,b,\n", line: 2, want: []string{"empty score"}},
		{name: "pairs empty second sentence", kind: "pairs", file: "p.tsv", content: "sentence1\tsentence2\tscore\na\t \t1\n", line: 2, want: []string{`empty second sentence (column "sentence2")`}},
		{name: "pairs no score column", kind: "pairs", file: "p.csv", content: "sentence1,sentence2\na,b\n", line: 1, want: []string{"no score column", "LabelCol"}},
		{name: "pairs one text column named", kind: "pairs", file: "p.csv", content: "a,b,score\nx,y,1\n", opt: Options{TextCol: "a"}, want: []string{`TextCol "a": pairs need two column names`}},
		{name: "stsb short row", kind: "pairs", file: "sts-dev.csv", content: "g\tf\t2012\t1\t5.0\ta\tb\ng\tf\t2012\t2\t4.0\ta\n", line: 2, want: []string{"6 tab-separated field(s); STS-B rows need at least 7"}},
		{name: "stsb score out of range", kind: "pairs", file: "sts-dev.csv", content: "g\tf\t2012\t1\t7\ta\tb\n", line: 1, want: []string{"score 7 outside [0, 5]"}},
		{name: "stsb non-numeric score", kind: "pairs", file: "sts-dev.csv", content: "g\tf\t2012\t1\t5.0\ta\tb\ng\tf\t2012\t1\tfive\ta\tb\n", line: 2, want: []string{`score "five" is not a finite number`}},
		{name: "sick missing column", kind: "pairs", file: "SICK.txt", content: "pair_ID\tsentence_A\tsentence_B\tscore\r\n1\ta\tb\t1\r\n", line: 1, want: []string{`unknown column "relatedness_score"`, `"sentence_B"`}},
		{name: "sick score out of range", kind: "pairs", file: "SICK.txt", content: "pair_ID\tsentence_A\tsentence_B\trelatedness_score\r\n1\ta\tb\t0.5\r\n", line: 2, want: []string{"score 0.5 outside [1, 5]"}},

		// Triplets.
		{name: "triplets no negative", kind: "triplets", file: "t.jsonl", content: "{\"anchor\":\"a\",\"positive\":\"p\"}\n", line: 1, want: []string{"no negative column", `columns: "anchor", "positive"`}},
		{name: "triplets label column", kind: "triplets", file: "t.jsonl", content: "{}", opt: Options{LabelCol: "x"}, want: []string{`LabelCol "x": triplets have no label column`}},
		{name: "triplets two names", kind: "triplets", file: "t.csv", content: "a,b\n", opt: Options{TextCol: "a,b"}, want: []string{"triplets need three column names"}},
		{name: "triplets empty positive", kind: "triplets", file: "t.csv", content: "anchor,positive,negative\na,,n\n", line: 2, want: []string{`empty positive (column "positive")`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := writeFile(t, tc.file, tc.content)
			err := readAny(tc.kind, path, tc.opt)
			require.Error(t, err)
			msg := err.Error()
			prefix := "read " + path + ": "
			if tc.line > 0 {
				prefix = "read " + path + " line " + itoa(tc.line) + ": "
			}
			assert.True(t, strings.HasPrefix(msg, prefix), "message %q should start with %q", msg, prefix)
			for _, w := range tc.want {
				assert.Contains(t, msg, w)
			}
			var de *Error
			require.True(t, errors.As(err, &de), "an *Error: %v", err)
			assert.Equal(t, path, de.Path)
			assert.Equal(t, tc.line, de.Line)
		})
	}
}

// itoa formats n without strconv, to keep the expected prefix independent of the code under test.
func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

func TestReadErrorsFiles(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "nope.jsonl")
	_, err := ReadExamples(missing, Options{})
	require.Error(t, err)
	assert.True(t, strings.HasPrefix(err.Error(), "read "+missing+": "), err.Error())
	assert.True(t, errors.Is(err, os.ErrNotExist))

	_, err = ReadExamples(dir, Options{Format: "csv"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "read "+dir+": is a folder; only the snips format reads folders")

	_, err = ReadExamplesFrom(strings.NewReader("x"), "-", Options{Format: "snips"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "read -: the snips format is a folder")

	_, err = ReadPairs(dir, Options{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "format snips holds labelled texts, not sentence pairs")
}

func TestReadSnipsErrors(t *testing.T) {
	cases := []struct {
		name, seq, label string
		bad              string // file the message names
		line             int
		want             string
	}{
		{"label file shorter", "a\nb\nc\n", "X\nY\n", "seq.in", 3, "has more lines than"},
		{"seq.in shorter", "a\n", "X\nY\n", "label", 2, "has more lines than"},
		{"empty label", "a\nb\n", "X\n\n", "label", 2, `empty label for "b"`},
		{"empty utterance", "a\n \n", "X\nY\n", "seq.in", 2, `empty utterance for label "Y"`},
		{"invalid UTF-8 label", "a\n", "\xff\n", "label", 1, "invalid UTF-8"},
		{"blank only", "\n\n", "\n\n", "seq.in", 0, "no records"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			require.NoError(t, os.WriteFile(filepath.Join(dir, "seq.in"), []byte(tc.seq), 0o644))
			require.NoError(t, os.WriteFile(filepath.Join(dir, "label"), []byte(tc.label), 0o644))
			_, err := ReadExamples(dir, Options{})
			require.Error(t, err)
			var de *Error
			require.True(t, errors.As(err, &de))
			assert.Equal(t, filepath.Join(dir, tc.bad), de.Path)
			assert.Equal(t, tc.line, de.Line)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "seq.in"), []byte("a\n"), 0o644))
	_, err := ReadExamples(dir, Options{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "read "+filepath.Join(dir, "label")+": open ")
}
