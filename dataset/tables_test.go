package dataset

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// writeFile writes content to a new file called name in a temporary folder and returns its path.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
	return path
}

func TestReadExamplesSmallFiles(t *testing.T) {
	cases := []struct {
		name, file, content string
		opt                 Options
		format              string // DetectFormat's answer
		want                []Example
	}{
		{
			name: "jsonl text label, CRLF, blank line", file: "d.jsonl", format: "jsonl",
			content: "{\"text\": \" hi there \", \"label\": \"greet\"}\r\n\r\n{\"label\":\"bye\",\"text\":\"see you\",\"extra\":[1]}\r\n",
			want:    []Example{{"hi there", "greet"}, {"see you", "bye"}},
		},
		{
			name: "jsonl sentence and intent", file: "d.jsonl", format: "jsonl",
			content: `{"sentence":"book a table","intent":"restaurant"}` + "\n" + `{"sentence":"play jazz","intent":"music"}`,
			want:    []Example{{"book a table", "restaurant"}, {"play jazz", "music"}},
		},
		{
			name: "jsonl numeric labels keep their text", file: "d.jsonl", format: "jsonl",
			content: `{"text":"a","label":3}` + "\n" + `{"text":"b","label":1.5}` + "\n" + `{"text":"c","label":true}`,
			want:    []Example{{"a", "3"}, {"b", "1.5"}, {"c", "true"}},
		},
		{
			name: "jsonl label_text preferred to label", file: "d.jsonl", format: "jsonl",
			content: `{"text":"i am sad","label":0,"label_text":"sadness"}`,
			want:    []Example{{"i am sad", "sadness"}},
		},
		{
			name: "jsonl keys in another case", file: "d.jsonl", format: "jsonl",
			content: `{"Text":"x","Category":"c1"}`,
			want:    []Example{{"x", "c1"}},
		},
		{
			name: "jsonl explicit keys", file: "d.jsonl", format: "jsonl", opt: Options{TextCol: "utt", LabelCol: "y"},
			content: `{"text":"not this","utt":"this one","label":"no","y":"yes"}`,
			want:    []Example{{"this one", "yes"}},
		},
		{
			name: "json array", file: "d.json", format: "json",
			content: "[\n  {\"text\": \"a\", \"label\": \"x\"},\n  {\"text\": \"b\", \"label\": \"y\"}\n]\n",
			want:    []Example{{"a", "x"}, {"b", "y"}},
		},
		{
			name: "jsonl with .json extension", file: "d.json", format: "jsonl",
			content: `{"text":"a","label":"x"}` + "\n" + `{"text":"b","label":"y"}` + "\n",
			want:    []Example{{"a", "x"}, {"b", "y"}},
		},
		{
			name: "clinc150 on one line", file: "d.json", format: "clinc150", opt: Options{Split: "test,train"},
			content: `{"train": [["t1", "i1"], ["t2", "i2"]], "test": [["q1", "i1"]]}`,
			want:    []Example{{"q1", "i1"}, {"t1", "i1"}, {"t2", "i2"}},
		},
		{
			name: "csv quoted comma and newline", file: "d.csv", format: "csv",
			content: "id,text,label\r\n1,\"hello, world\",greet\r\n2,\"\nline one\nline two\n\",multi\r\n",
			want:    []Example{{"hello, world", "greet"}, {"line one\nline two", "multi"}},
		},
		{
			name: "csv with BOM", file: "d.csv", format: "csv",
			content: "\ufefftext,label\nabc,x\n",
			want:    []Example{{"abc", "x"}},
		},
		{
			name: "csv utterance and class with spaces in header", file: "d.csv", format: "csv",
			content: " Utterance , Class \nwake me at 7,alarm\n",
			want:    []Example{{"wake me at 7", "alarm"}},
		},
		{
			name: "csv no header", file: "d.csv", format: "csv", opt: Options{NoHeader: true},
			content: "hello,greet\nbye,leave\n",
			want:    []Example{{"hello", "greet"}, {"bye", "leave"}},
		},
		{
			name: "banking77 format", file: "d.csv", format: "csv", opt: Options{Format: "banking77"},
			content: "text,label,category\nmy card,wrong,card_arrival\n",
			want:    []Example{{"my card", "card_arrival"}},
		},
		{
			name: "tsv quotes are literal", file: "d.tsv", format: "tsv",
			content: "label\ttext\ngreet\the said \"hi\n\nbye\t\"so long\"\n",
			want:    []Example{{"he said \"hi", "greet"}, {"\"so long\"", "bye"}},
		},
		{
			name: "tsv no header with column numbers", file: "d.tsv", format: "tsv", opt: Options{NoHeader: true, TextCol: "1", LabelCol: "0"},
			content: "pos\tgreat film\tignored\nneg\tdull\n",
			want:    []Example{{"great film", "pos"}, {"dull", "neg"}},
		},
		{
			name: "txt detected as tsv by header", file: "d.txt", format: "tsv",
			content: "text\tlabel\nx y\tz\n",
			want:    []Example{{"x y", "z"}},
		},
		{
			name: "txt detected as csv by header", file: "d", format: "csv",
			content: "question,topic\nwhat is it,misc\n",
			want:    []Example{{"what is it", "misc"}},
		},
		{
			name: "txt detected as emotion", file: "d.txt", format: "emotion",
			content: "i feel fine; really;joy\ni am scared;fear\n",
			want:    []Example{{"i feel fine; really", "joy"}, {"i am scared", "fear"}},
		},
		{
			name: "txt detected as trec", file: "q.txt", format: "trec",
			content: "NUM:date When was it ?\nLOC:city Where is Rome ?\n",
			want:    []Example{{"When was it ?", "NUM"}, {"Where is Rome ?", "LOC"}},
		},
		{
			name: "trec fine", file: "q.txt", format: "trec", opt: Options{Format: "trec-fine"},
			content: "NUM:date When was it ?\n",
			want:    []Example{{"When was it ?", "NUM:date"}},
		},
		{
			name: "trec latin1 line and utf8 line", file: "TREC.test", format: "trec",
			content: "LOC:city Where is Malm\xf6 ?\nLOC:city Where is Malm\xc3\xb6 ?\n",
			want:    []Example{{"Where is Malmö ?", "LOC"}, {"Where is Malmö ?", "LOC"}},
		},
		{
			name: "txt detected as sst, label-only line skipped", file: "reviews", format: "sst",
			content: "1 good stuff\n0 \n0 bad stuff\n",
			want:    []Example{{"good stuff", "1"}, {"bad stuff", "0"}},
		},
		{
			name: "latin1 encoding", file: "d.csv", format: "csv", opt: Options{Encoding: "latin1"},
			content: "text,label\ncaf\xe9,food\n",
			want:    []Example{{"café", "food"}},
		},
		{
			name: "windows-1252 encoding", file: "d.csv", format: "csv", opt: Options{Encoding: "windows-1252"},
			content: "text,label\n\x93quoted\x94 \x80,money\n",
			want:    []Example{{"\u201cquoted\u201d \u20ac", "money"}},
		},
		{
			name: "format alias ndjson with odd extension", file: "d.dat", format: "jsonl", opt: Options{Format: "NDJSON"},
			content: `{"text":"a","label":"b"}`,
			want:    []Example{{"a", "b"}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := writeFile(t, tc.file, tc.content)
			f, err := DetectFormat(path)
			require.NoError(t, err)
			assert.Equal(t, tc.format, f)
			ex, err := ReadExamples(path, tc.opt)
			require.NoError(t, err)
			assert.Equal(t, tc.want, ex)

			// The stream reader gives the same result.
			ex, err = ReadExamplesFrom(strings.NewReader(tc.content), path, tc.opt)
			require.NoError(t, err)
			assert.Equal(t, tc.want, ex)
		})
	}
}

func TestReadExamplesFromDetectsByContent(t *testing.T) {
	ex, err := ReadExamplesFrom(strings.NewReader(`{"text":"a","label":"b"}`+"\n"), "-", Options{})
	require.NoError(t, err)
	assert.Equal(t, []Example{{"a", "b"}}, ex)
}

func TestReadSnipsSmallFolder(t *testing.T) {
	dir := t.TempDir()
	for split, files := range map[string][2]string{
		"train": {"play jazz \nwhat is the weather\n\n", "PlayMusic\nGetWeather\n\n"},
		"valid": {"rate it 5\n", "RateBook\n"},
	} {
		require.NoError(t, os.MkdirAll(filepath.Join(dir, split), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, split, "seq.in"), []byte(files[0]), 0o644))
		require.NoError(t, os.WriteFile(filepath.Join(dir, split, "label"), []byte(files[1]), 0o644))
	}
	ex, err := ReadExamples(dir, Options{Split: "train"})
	require.NoError(t, err)
	assert.Equal(t, []Example{{"play jazz", "PlayMusic"}, {"what is the weather", "GetWeather"}}, ex)
	ex, err = ReadExamples(dir, Options{Split: "val"})
	require.NoError(t, err)
	assert.Equal(t, []Example{{"rate it 5", "RateBook"}}, ex)
	ex, err = ReadExamples(filepath.Join(dir, "valid", "label"), Options{})
	require.NoError(t, err)
	assert.Equal(t, []Example{{"rate it 5", "RateBook"}}, ex)
}

func TestReadPairsSmallFiles(t *testing.T) {
	cases := []struct {
		name, file, content string
		opt                 Options
		want                []Pair
	}{
		{
			name: "jsonl sentence1 sentence2 score", file: "p.jsonl",
			content: `{"sentence1":"a cat","sentence2":"a kitten","score":0.8}` + "\n" + `{"sentence1":"x","sentence2":"y","score":"0.25"}`,
			want:    []Pair{{"a cat", "a kitten", 0.8}, {"x", "y", 0.25}},
		},
		{
			name: "jsonl labelled pairs", file: "p.jsonl",
			content: `{"premise":"p1","hypothesis":"h1","label":1}` + "\n" + `{"premise":"p2","hypothesis":"h2","label":false}`,
			want:    []Pair{{"p1", "h1", 1}, {"p2", "h2", 0}},
		},
		{
			name: "quora style csv", file: "q.csv",
			content: "id,question1,question2,is_duplicate\n1,\"How, why?\",Why?,1\n2,a,b,0\n",
			want:    []Pair{{"How, why?", "Why?", 1}, {"a", "b", 0}},
		},
		{
			name: "explicit columns", file: "p.csv", opt: Options{TextCol: "left, right", LabelCol: "sim"},
			content: "sim,right,left,sentence1\n4.5,r1,l1,unused\n",
			want:    []Pair{{"l1", "r1", 4.5}},
		},
		{
			name: "glue sts-b tsv with header", file: "train.tsv",
			content: "index\tgenre\tfilename\tyear\told_index\tsource1\tsource2\tsentence1\tsentence2\tscore\n" +
				"0\tmain-captions\tMSRvid\t2012test\t0001\tnone\tnone\tA plane is taking off.\tAn air plane is taking off.\t5.000\n",
			want: []Pair{{"A plane is taking off.", "An air plane is taking off.", 5}},
		},
		{
			name: "csv no header", file: "p.csv", opt: Options{NoHeader: true},
			content: "a,b,0.3\nc,d,1\n",
			want:    []Pair{{"a", "b", 0.3}, {"c", "d", 1}},
		},
		{
			name: "stsb detected by content", file: "pairs.txt",
			content: "g\tf\t2012\t0001\t3.5\tA \"quoted\t\"s2\textra\n\ng\tf\t2012\t0002\t0\ts3\ts4\n",
			want:    []Pair{{`A "quoted`, `"s2`, 3.5}, {"s3", "s4", 0}},
		},
		{
			name: "sick by name", file: "SICK_small.txt", opt: Options{Split: "trial"},
			content: "pair_ID\tsentence_A\tsentence_B\tentailment_label\trelatedness_score\tSemEval_set\r\n" +
				"1\tA\tB\tNEUTRAL\t4.5\tTRAIN\r\n2\tC\tD\tNEUTRAL\t1\tTRIAL\r\n3\tE\tF\tNEUTRAL\t5\tTRIAL",
			want: []Pair{{"C", "D", 1}, {"E", "F", 5}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := writeFile(t, tc.file, tc.content)
			p, err := ReadPairs(path, tc.opt)
			require.NoError(t, err)
			assert.Equal(t, tc.want, p)
			p, err = ReadPairsFrom(strings.NewReader(tc.content), path, tc.opt)
			require.NoError(t, err)
			assert.Equal(t, tc.want, p)
		})
	}
}

func TestReadTripletsSmallFiles(t *testing.T) {
	cases := []struct {
		name, file, content string
		opt                 Options
		want                []Triplet
	}{
		{
			name: "jsonl", file: "t.jsonl",
			content: `{"anchor":"a","positive":"p","negative":"n"}` + "\n" + `{"negative":"n2","anchor":"a2","positive":"p2"}`,
			want:    []Triplet{{"a", "p", "n"}, {"a2", "p2", "n2"}},
		},
		{
			name: "csv query pos neg", file: "t.csv",
			content: "query,pos,neg\n\"q, 1\",p1,n1\n",
			want:    []Triplet{{"q, 1", "p1", "n1"}},
		},
		{
			name: "explicit columns", file: "t.tsv", opt: Options{TextCol: "c,b,a"},
			content: "a\tb\tc\nneg\tpos\tanc\n",
			want:    []Triplet{{"anc", "pos", "neg"}},
		},
		{
			name: "tsv no header", file: "t.tsv", opt: Options{NoHeader: true},
			content: "a\tp\tn\n",
			want:    []Triplet{{"a", "p", "n"}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := writeFile(t, tc.file, tc.content)
			tr, err := ReadTriplets(path, tc.opt)
			require.NoError(t, err)
			assert.Equal(t, tc.want, tr)
			tr, err = ReadTripletsFrom(strings.NewReader(tc.content), path, tc.opt)
			require.NoError(t, err)
			assert.Equal(t, tc.want, tr)
		})
	}
}

func TestDetectFormatByName(t *testing.T) {
	cases := []struct{ file, content, want string }{
		{"stsa.binary.test", "1 x\n", "sst"},
		{"stsa.fine.train", "4 x\n", "sst"},
		{"custrev.all", "1 x\n", "sst"},
		{"TREC_10.label", "NUM:date x y\n", "trec"},
		{"train_5500.label", "NUM:date x y\n", "trec"},
		{"sts-test.csv", "a\tb\tc\td\t1\ts\tt\n", "stsb"},
		{"sts.csv", "a\tb\tc\td\t1\ts\tt\n", "stsb"},
		{"data.tsv", "pair_ID\tsentence_A\tsentence_B\tx\n", "sick"},
		{"seq.in", "x\n", "snips"},
		{"d.ndjson", "{}\n", "jsonl"},
		{"d.json", "[]", "json"},
		{"d.json", "{\n \"train\": []\n}\n", "clinc150"},
		{"d.csv", "x,y\n", "csv"},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			got, err := DetectFormat(writeFile(t, tc.file, tc.content))
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
	dir := t.TempDir()
	got, err := DetectFormat(dir)
	require.NoError(t, err)
	assert.Equal(t, "snips", got)
}

func TestLabelsCountLabels(t *testing.T) {
	ex := []Example{{"a", "z"}, {"b", "y"}, {"c", "z"}, {"d", "A"}}
	assert.Equal(t, []string{"A", "y", "z"}, Labels(ex))
	assert.Equal(t, map[string]int{"z": 2, "y": 1, "A": 1}, CountLabels(ex))
	assert.Empty(t, Labels(nil))
}

func TestValidate(t *testing.T) {
	cases := []struct {
		name string
		ex   []Example
		want string // "" = valid
	}{
		{"ok", []Example{{"a", "b"}}, ""},
		{"empty set", nil, "set.csv: no examples"},
		{"empty text", []Example{{"a", "b"}, {"", "lab"}}, `set.csv: example 2 (label "lab") has an empty text`},
		{"empty label", []Example{{"some text", ""}}, `set.csv: example 1 ("some text") has an empty label`},
		{"invalid utf8 text", []Example{{"caf\xe9", "x"}}, "set.csv: example 1 has a text that is not valid UTF-8"},
		{"invalid utf8 label", []Example{{"x", "\xff"}}, "set.csv: example 1 has a label that is not valid UTF-8"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := Validate(tc.ex, "set.csv")
			if tc.want == "" {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Equal(t, tc.want, err.Error())
		})
	}
}

func TestNormalizeScores(t *testing.T) {
	p := []Pair{{"a", "b", 0}, {"c", "d", 2.5}, {"e", "f", 5}}
	require.NoError(t, NormalizeScores(p, 0, 5))
	assert.Equal(t, []float64{0, 0.5, 1}, []float64{p[0].Score, p[1].Score, p[2].Score})

	q := []Pair{{"a", "b", 1}, {"c", "d", 4}}
	require.NoError(t, NormalizeScores(q, 1, 5))
	assert.Equal(t, []float64{0, 0.75}, []float64{q[0].Score, q[1].Score})

	r := []Pair{{"a", "b", 1}, {"c", "d", 6}}
	err := NormalizeScores(r, 0, 5)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "pair 2 has score 6 outside [0, 5]")
	assert.Equal(t, 1.0, r[0].Score, "nothing changes on error")
	assert.Error(t, NormalizeScores(r, 5, 5))
}
