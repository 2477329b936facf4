package siamese

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fewshot-go/fewshot/dataset"
	"github.com/fewshot-go/fewshot/torch"
)

// noLabelLoss is a test loss that takes 2 or 3 columns and no labels.
type noLabelLoss struct{}

func (noLabelLoss) Name() string          { return "test-none" }
func (noLabelLoss) Columns() (lo, hi int) { return 2, 3 }
func (noLabelLoss) Labels() LabelKind     { return LabelsNone }
func (noLabelLoss) Forward(s *torch.Scope, emb []*torch.Tensor, _ *torch.Tensor) *torch.Tensor {
	return s.Mean(s.Square(emb[0]), false)
}

func writeTrainFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	return p
}

func TestLoadTrainDataErrors(t *testing.T) {
	cases := []struct {
		name, file, content string
		loss                Loss
		opt                 DataOptions
		want                []string
	}{
		{"empty file", "e.jsonl", "", mseCosLoss{}, DataOptions{}, []string{"e.jsonl", "empty file"}},
		{"header only", "h.csv", "sentence1,sentence2,score\n", mseCosLoss{}, DataOptions{}, []string{"no records"}},
		{"pair missing a field", "p.jsonl", `{"sentence1":"a","sentence2":"b","score":1}` + "\n" + `{"sentence1":"a","score":0}` + "\n",
			mseCosLoss{}, DataOptions{}, []string{"line 2", "sentence2"}},
		{"pair row short", "p.csv", "sentence1,sentence2,score\na,b,1\nc,d\n", mseCosLoss{}, DataOptions{}, []string{"line 3"}},
		{"text missing a label", "t.jsonl", `{"text":"a","label":"x"}` + "\n" + `{"text":"b"}` + "\n",
			mseCosLoss{}, DataOptions{}, []string{"line 2", "label"}},
		{"one class", "one.csv", "text,label\na,x\nb,x\nc,x\n", mseCosLoss{}, DataOptions{}, []string{"all 3 texts have the label \"x\""}},
		{"score out of range", "s.csv", "sentence1,sentence2,score\na,b,0.5\nc,d,3.8\n", mseCosLoss{}, DataOptions{},
			[]string{"pair 2", "3.8", "--score-range"}},
		{"score outside the given range", "s.csv", "sentence1,sentence2,score\na,b,0.5\nc,d,7\n", mseCosLoss{},
			DataOptions{ScoreLo: 0, ScoreHi: 5}, []string{"pair 2", "outside [0, 5]"}},
		{"kind the loss cannot use", "s.csv", "sentence1,sentence2,score\na,b,0.5\n", mseCosLoss{},
			DataOptions{Kind: DataTriplets}, []string{"cannot train on triplets"}},
		{"class loss on a single-text-per-label file", "c.csv", "text,label\na,x\nb,y\nc,z\n", classRecorder{},
			DataOptions{}, []string{"two labels with two or more texts"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := writeTrainFile(t, tc.file, tc.content)
			_, err := LoadTrainData(p, tc.loss, tc.opt)
			require.Error(t, err)
			for _, w := range tc.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}

func TestLoadTrainDataKinds(t *testing.T) {
	t.Run("pairs with a score range", func(t *testing.T) {
		p := writeTrainFile(t, "s.csv", "sentence1,sentence2,score\na,b,2.5\nc,d,5\n")
		d, err := LoadTrainData(p, mseCosLoss{}, DataOptions{ScoreLo: 0, ScoreHi: 5})
		require.NoError(t, err)
		require.Len(t, d.Rows, 2)
		assert.Equal(t, []string{"a", "b"}, d.Rows[0].Texts)
		assert.InDelta(t, 0.5, d.Rows[0].Score, 1e-7)
		assert.InDelta(t, 1.0, d.Rows[1].Score, 1e-7)
	})
	t.Run("STS benchmark scaled from 0-5 by default", func(t *testing.T) {
		p := writeTrainFile(t, "sts-train.csv", "main-captions\tMSRvid\t2012test\t0001\t3.8\tA man plays.\tA man is playing.\n"+
			"main-captions\tMSRvid\t2012test\t0002\t0.0\tA cat.\tThe stock fell.\n")
		d, err := LoadTrainData(p, mseCosLoss{}, DataOptions{})
		require.NoError(t, err)
		require.Len(t, d.Rows, 2)
		assert.InDelta(t, 0.76, d.Rows[0].Score, 1e-6)
		assert.InDelta(t, 0.0, d.Rows[1].Score, 1e-7)
	})
	t.Run("labelled texts become SetFit pairs", func(t *testing.T) {
		// Classes of 2 and 2: positives with self pairs 3+3 = 6, negatives 2*2 = 4; oversampling
		// yields 6 of each.
		p := writeTrainFile(t, "t.csv", "text,label\na,x\nb,x\nc,y\nd,y\n")
		d, err := LoadTrainData(p, mseCosLoss{}, DataOptions{Pairs: PairOptions{Seed: 3}})
		require.NoError(t, err)
		require.Len(t, d.Rows, 12)
		pos := 0
		for _, r := range d.Rows {
			if r.Score == 1 {
				pos++
			}
		}
		assert.Equal(t, 6, pos)
	})
	t.Run("triplets for a three-column loss", func(t *testing.T) {
		p := writeTrainFile(t, "tr.jsonl", `{"anchor":"a","positive":"b","negative":"c"}`+"\n")
		d, err := LoadTrainData(p, noLabelLoss{}, DataOptions{})
		require.NoError(t, err)
		require.Len(t, d.Rows, 1)
		assert.Equal(t, []string{"a", "b", "c"}, d.Rows[0].Texts)
		assert.Equal(t, LabelsNone, d.Labels)
	})
	t.Run("pairs for a loss without labels ignore the score range check", func(t *testing.T) {
		p := writeTrainFile(t, "s.csv", "sentence1,sentence2,score\na,b,4\n")
		d, err := LoadTrainData(p, noLabelLoss{}, DataOptions{})
		require.NoError(t, err)
		assert.Equal(t, 2, d.Columns())
	})
	t.Run("labelled texts become class rows for a class loss", func(t *testing.T) {
		p := writeTrainFile(t, "c.csv", "text,label\na,y\nb,x\nc,y\nd,x\n")
		d, err := LoadTrainData(p, classRecorder{}, DataOptions{})
		require.NoError(t, err)
		assert.Equal(t, []string{"x", "y"}, d.Classes)
		assert.EqualValues(t, []int64{1, 0, 1, 0}, []int64{d.Rows[0].Class, d.Rows[1].Class, d.Rows[2].Class, d.Rows[3].Class})
	})
}

func TestTrainDataCheck(t *testing.T) {
	rows := []TrainExample{{Texts: []string{"a", "b"}, Score: 1}, {Texts: []string{"c"}, Score: 0}}
	err := TrainData{Rows: rows, Labels: LabelsScore, Source: "mem"}.check(mseCosLoss{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "row 2 has 1 texts")
	err = TripletsData([]dataset.Triplet{{Anchor: "a", Positive: "b", Negative: "c"}}, "mem").check(mseCosLoss{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "3 text columns")
	err = TrainData{Rows: []TrainExample{{Texts: []string{"a", "b"}}}, Labels: LabelsNone, Source: "mem"}.check(mseCosLoss{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "needs a score")
}
