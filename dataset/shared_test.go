package dataset

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sharedData returns the folder of the project's public data sets, or skips the test.
func sharedData(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("FEWSHOT_SHARED_DATA")
	if dir == "" {
		dir = filepath.Join("..", "..", "shared", "data")
	}
	if _, err := os.Stat(filepath.Join(dir, "README.md")); err != nil {
		t.Skipf("shared data sets not found at %s (set FEWSHOT_SHARED_DATA to the data folder): %v", dir, err)
	}
	return dir
}

// The expected counts, labels and first/last rows below come from the data README and from reading
// the files with head, tail, sort | uniq -c and Python's csv and json modules.

func TestSharedExamples(t *testing.T) {
	dir := sharedData(t)
	snipsLabels := []string{"AddToPlaylist", "BookRestaurant", "GetWeather", "PlayMusic", "RateBook", "SearchCreativeWork", "SearchScreeningEvent"}
	cases := []struct {
		name        string
		path        string
		opt         Options
		format      string // what DetectFormat says
		rows        int
		labels      []string // all labels, when short
		nLabels     int
		first, last Example
		counts      map[string]int
	}{
		{
			name: "banking77", path: "classification/banking77/train.csv", format: "csv", rows: 10003, nLabels: 77,
			first:  Example{"I am still waiting on my card?", "card_arrival"},
			last:   Example{"Which countries are represented?", "country_support"},
			counts: map[string]int{"card_arrival": 153, "country_support": 129},
		},
		{
			name: "banking77 named", path: "classification/banking77/train.csv", opt: Options{Format: "banking77"}, format: "csv", rows: 10003, nLabels: 77,
			first: Example{"I am still waiting on my card?", "card_arrival"},
			last:  Example{"Which countries are represented?", "country_support"},
		},
		{
			name: "clinc150 train", path: "classification/clinc150/data_full.json", opt: Options{Split: "train"}, format: "clinc150", rows: 15000, nLabels: 150,
			first: Example{"what expression would i use to say i love you if i were an italian", "translate"},
			last:  Example{"why was my card declined at safeway", "card_declined"},
		},
		{
			name: "clinc150 val", path: "classification/clinc150/data_full.json", opt: Options{Split: "val"}, format: "clinc150", rows: 3000, nLabels: 150,
			first: Example{"in spanish, meet me tomorrow is said how", "translate"},
		},
		{
			name: "clinc150 test and oos_test", path: "classification/clinc150/data_full.json", opt: Options{Split: "test, oos_test"}, format: "clinc150", rows: 5500, nLabels: 151,
			last:   Example{"let me know where jim is right now", "oos"},
			counts: map[string]int{"oos": 1000},
		},
		{
			name: "clinc150 oos_train", path: "classification/clinc150/data_full.json", opt: Options{Split: "OOS_TRAIN"}, format: "clinc150", rows: 100, labels: []string{"oos"},
			first: Example{"how much is an overdraft fee for bank", "oos"},
		},
		{
			name: "clinc150 small", path: "classification/clinc150/data_small.json", opt: Options{Split: "train"}, format: "clinc150", rows: 7500, nLabels: 150,
			first: Example{"can you walk me through setting up direct deposits to my bank of internet savings account", "direct_deposit"},
			last:  Example{"can i increase my credit limit to 700 dollars", "credit_limit_change"},
		},
		{
			name: "snips train by split", path: "classification/snips", opt: Options{Split: "train"}, format: "snips", rows: 13084, labels: snipsLabels,
			first:  Example{"listen to westbam alumb allergic on google music", "PlayMusic"},
			last:   Example{"rate richard carvel 4 out of 6", "RateBook"},
			counts: map[string]int{"AddToPlaylist": 1818, "PlayMusic": 1914},
		},
		{
			name: "snips valid as val", path: "classification/snips", opt: Options{Split: "val"}, format: "snips", rows: 700, labels: snipsLabels,
			first:  Example{"i d like to have this track onto my classical relaxations playlist", "AddToPlaylist"},
			last:   Example{"i want to see married to the enemy 2 at a cinema", "SearchScreeningEvent"},
			counts: map[string]int{"RateBook": 100},
		},
		{
			name: "snips test folder", path: "classification/snips/test", format: "snips", rows: 700, labels: snipsLabels,
			counts: map[string]int{"AddToPlaylist": 124, "BookRestaurant": 92, "RateBook": 80},
		},
		{
			name: "snips by seq.in", path: "classification/snips/valid/seq.in", format: "snips", rows: 700, labels: snipsLabels,
		},
		{
			name: "trec coarse", path: "classification/trec/TREC.train", format: "trec", rows: 5452,
			labels: []string{"ABBR", "DESC", "ENTY", "HUM", "LOC", "NUM"},
			first:  Example{"How did serfdom develop in and then leave Russia ?", "DESC"},
			last:   Example{"What currency is used in Australia ?", "ENTY"},
			counts: map[string]int{"ABBR": 86, "DESC": 1162, "ENTY": 1250, "HUM": 1223, "LOC": 835, "NUM": 896},
		},
		{
			name: "trec fine", path: "classification/trec/TREC.train", opt: Options{Format: "trec-fine"}, format: "trec", rows: 5452, nLabels: 50,
			first: Example{"How did serfdom develop in and then leave Russia ?", "DESC:manner"},
			last:  Example{"What currency is used in Australia ?", "ENTY:currency"},
		},
		{
			name: "sst2 train", path: "classification/sst2/stsa.binary.train", format: "sst", rows: 6920, labels: []string{"0", "1"},
			first:  Example{"a stirring , funny and finally transporting re-imagining of beauty and the beast and 1930s horror films", "1"},
			last:   Example{"a deliciously nonsensical comedy about a city coming apart at its seams .", "1"},
			counts: map[string]int{"1": 3610},
		},
		{
			name: "sst2 dev", path: "classification/sst2/stsa.binary.dev", format: "sst", rows: 872, labels: []string{"0", "1"},
			first:  Example{"one long string of cliches .", "0"},
			counts: map[string]int{"1": 444},
		},
		{
			// 3775 lines; lines 769, 1368, 3691 and 3775 hold a label and no sentence.
			name: "cr", path: "classification/cr/custrev.all", format: "sst", rows: 3771, labels: []string{"0", "1"},
			last:   Example{"their products have been great and have saved my bacon on numerous occasions .", "1"},
			counts: map[string]int{"0": 1366, "1": 2405},
		},
		{
			name: "emotion train", path: "classification/emotion/train.txt", format: "emotion", rows: 16000,
			labels: []string{"anger", "fear", "joy", "love", "sadness", "surprise"},
			first:  Example{"i didnt feel humiliated", "sadness"},
			last:   Example{"i know a lot but i feel so stupid because i can not portray it", "sadness"},
			counts: map[string]int{"anger": 2159, "fear": 1937, "joy": 5362, "love": 1304, "sadness": 4666, "surprise": 572},
		},
		{
			name: "emotion val", path: "classification/emotion/val.txt", format: "emotion", rows: 2000, nLabels: 6,
			first: Example{"im feeling quite sad and sorry for myself but ill snap out of it soon", "sadness"},
			last:  Example{"i feel like i just wanna buy any cute make up i see online or even the one", "joy"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, tc.path)
			f, err := DetectFormat(path)
			require.NoError(t, err)
			assert.Equal(t, tc.format, f)

			ex, err := ReadExamples(path, tc.opt)
			require.NoError(t, err)
			require.NoError(t, Validate(ex, path))
			assert.Len(t, ex, tc.rows)
			labels := Labels(ex)
			if tc.labels != nil {
				assert.Equal(t, tc.labels, labels)
			}
			if tc.nLabels > 0 {
				assert.Len(t, labels, tc.nLabels)
			}
			if tc.first != (Example{}) {
				assert.Equal(t, tc.first, ex[0])
			}
			if tc.last != (Example{}) {
				assert.Equal(t, tc.last, ex[len(ex)-1])
			}
			counts := CountLabels(ex)
			for l, n := range tc.counts {
				assert.Equal(t, n, counts[l], "label %s", l)
			}
		})
	}
}

func TestSharedBanking77LabelsMatchCategories(t *testing.T) {
	dir := sharedData(t)
	var cats []string
	data, err := os.ReadFile(filepath.Join(dir, "classification/banking77/categories.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, &cats))
	sort.Strings(cats)
	ex, err := ReadExamples(filepath.Join(dir, "classification/banking77/train.csv"), Options{})
	require.NoError(t, err)
	assert.Equal(t, cats, Labels(ex))
	// Row 1291 of the CSV (1-based, after the header) is a quoted field "\nI can't ... card\n\n\n".
	assert.Equal(t, Example{"I can't seem to be able to use my card", "card_not_working"}, ex[1290])
}

func TestSharedCLINCLabelsMatchDomains(t *testing.T) {
	dir := sharedData(t)
	var domains map[string][]string
	data, err := os.ReadFile(filepath.Join(dir, "classification/clinc150/domains.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, &domains))
	var intents []string
	for _, v := range domains {
		intents = append(intents, v...)
	}
	sort.Strings(intents)
	ex, err := ReadExamples(filepath.Join(dir, "classification/clinc150/data_full.json"), Options{Split: "test"})
	require.NoError(t, err)
	assert.Len(t, ex, 4500)
	assert.Equal(t, intents, Labels(ex))
}

func TestSharedSplitErrors(t *testing.T) {
	dir := sharedData(t)
	clinc := filepath.Join(dir, "classification/clinc150/data_full.json")
	snips := filepath.Join(dir, "classification/snips")
	cases := []struct {
		name, path string
		opt        Options
		want       []string
	}{
		{"clinc without split", clinc, Options{}, []string{"read " + clinc + ": ", "choose one", `"oos_test"`, `"train"`, `"val"`}},
		{"clinc unknown split", clinc, Options{Split: "dev"}, []string{"read " + clinc + ": ", `no split "dev"`, `"test"`}},
		{"snips root without split", snips, Options{}, []string{"read " + snips + ": ", `"test"`, `"train"`, `"valid"`}},
		{"snips unknown split", snips, Options{Split: "dev"}, []string{`no split "dev"`, `"valid"`}},
		{"snips split of a split", filepath.Join(snips, "test"), Options{Split: "train"}, []string{"holds one split"}},
		{"split on a format without", filepath.Join(dir, "classification/emotion/train.txt"), Options{Split: "train"}, []string{"format emotion has no splits"}},
		{"pairs file as examples", filepath.Join(dir, "similarity/stsbenchmark/sts-dev.csv"), Options{}, []string{"format stsb holds sentence pairs, not labelled texts"}},
		{"not detectable", filepath.Join(dir, "classification/cr/custrev.pos"), Options{}, []string{"cannot tell the format", "jsonl, json, csv"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadExamples(tc.path, tc.opt)
			require.Error(t, err)
			for _, w := range tc.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}

func TestSharedTRECLatin1(t *testing.T) {
	dir := sharedData(t)
	ex, err := ReadExamples(filepath.Join(dir, "classification/trec/TREC.train"), Options{})
	require.NoError(t, err)
	// Line 66 has byte 0xF0 between "sister" and "city": ISO-8859-1 "ð".
	assert.Equal(t, Example{"Which city has the oldest relationship as a sister\u00f0city with Los Angeles ?", "LOC"}, ex[65])
}

func TestSharedSnipsUTF8AndTrim(t *testing.T) {
	dir := sharedData(t)
	ex, err := ReadExamples(filepath.Join(dir, "classification/snips/train"), Options{})
	require.NoError(t, err)
	// Line 2 of seq.in is "add step to me to the 50 cl\xc3\xa1sicos playlist " (UTF-8, trailing space).
	assert.Equal(t, Example{"add step to me to the 50 cl\u00e1sicos playlist", "AddToPlaylist"}, ex[1])
}

func TestSharedPairs(t *testing.T) {
	dir := sharedData(t)
	cases := []struct {
		name, path  string
		opt         Options
		format      string
		rows        int
		first, last Pair
		at          int // index of a further row to check
		atPair      Pair
		lo, hi      float64
	}{
		{
			name: "stsb train", path: "similarity/stsbenchmark/sts-train.csv", format: "stsb", rows: 5749, lo: 0, hi: 5,
			first: Pair{"A plane is taking off.", "An air plane is taking off.", 5},
			last:  Pair{"Putin spokesman: Doping charges appear unfounded", "The Latest on Severe Weather: 1 Dead in Texas After Tornado", 0},
			// Line 5553 has 9 fields; line 1524 has quotes inside an unquoted field.
			at: 5552, atPair: Pair{"Driver backs into stroller with child, drives off", "Driver backs into mom, stroller with child then drives off", 4},
		},
		{
			name: "stsb quotes", path: "similarity/stsbenchmark/sts-train.csv", format: "stsb", rows: 5749, lo: 0, hi: 5,
			at: 1523, atPair: Pair{`A dog in a "superman" shirt sleeps on a blanket.`, "A brown dog in a Superman shirt is laying on a blue blanket.", 4},
		},
		{
			name: "stsb dev", path: "similarity/stsbenchmark/sts-dev.csv", format: "stsb", rows: 1500, lo: 0, hi: 5,
			first: Pair{"A man with a hard hat is dancing.", "A man wearing a hard hat is dancing.", 5},
			last:  Pair{"New video shows US police officers beating mentally-ill man", "New York police officer critically wounded in hatchet attack", 0},
			at:    1, atPair: Pair{"A young child is riding a horse.", "A child is riding a horse.", 4.75},
		},
		{
			name: "sick all", path: "similarity/sick/SICK.txt", format: "sick", rows: 9840, lo: 1, hi: 5,
			first: Pair{"A group of kids is playing in a yard and an old man is standing in the background", "A group of boys in a yard is playing and a man is standing in the background", 4.5},
			last:  Pair{"Three dogs are resting on a sidewalk", "The woman with a knife is slicing a pepper", 1},
			at:    1, atPair: Pair{"A group of children is playing in the house and there is no man standing in the background", "A group of kids is playing in a yard and an old man is standing in the background", 3.2},
		},
		// SemEval_set counts from cut -f12 | sort | uniq -c: TRAIN 4439 (one without CR), TRIAL 495, TEST 4906.
		{name: "sick train", path: "similarity/sick/SICK.txt", opt: Options{Split: "TRAIN"}, format: "sick", rows: 4439, lo: 1, hi: 5,
			first: Pair{"A group of kids is playing in a yard and an old man is standing in the background", "A group of boys in a yard is playing and a man is standing in the background", 4.5},
			last:  Pair{"Three dogs are resting on a sidewalk", "The woman with a knife is slicing a pepper", 1}},
		{name: "sick trial", path: "similarity/sick/SICK.txt", opt: Options{Split: "trial"}, format: "sick", rows: 495, lo: 1, hi: 5},
		{name: "sick test", path: "similarity/sick/SICK.txt", opt: Options{Split: "Test"}, format: "sick", rows: 4906, lo: 1, hi: 5},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, tc.path)
			f, err := DetectFormat(path)
			require.NoError(t, err)
			assert.Equal(t, tc.format, f)
			p, err := ReadPairs(path, tc.opt)
			require.NoError(t, err)
			require.Len(t, p, tc.rows)
			if tc.first != (Pair{}) {
				assert.Equal(t, tc.first, p[0])
				assert.Equal(t, tc.last, p[len(p)-1])
			}
			if tc.atPair != (Pair{}) {
				assert.Equal(t, tc.atPair, p[tc.at])
			}
			for i, q := range p {
				if q.Score < tc.lo || q.Score > tc.hi || q.A == "" || q.B == "" {
					t.Fatalf("pair %d out of range or empty: %+v", i, q)
				}
			}
		})
	}
}

func TestSharedSICKUnknownSplit(t *testing.T) {
	dir := sharedData(t)
	path := filepath.Join(dir, "similarity/sick/SICK.txt")
	_, err := ReadPairs(path, Options{Split: "dev"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "read "+path+": ")
	assert.Contains(t, err.Error(), `no rows with SemEval_set "dev" (values: "TEST", "TRAIN", "TRIAL")`)
}
