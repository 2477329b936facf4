package siamese

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/fewshot-go/fewshot/dataset"
)

// DataKind names what a training file holds.
type DataKind string

// The training data kinds.
const (
	// DataAuto tries the kinds the loss can use, in the order it prefers them.
	DataAuto DataKind = "auto"
	// DataPairs is sentence pairs with a score or a 0/1 label.
	DataPairs DataKind = "pairs"
	// DataTriplets is (anchor, positive, negative) texts.
	DataTriplets DataKind = "triplets"
	// DataTexts is labelled texts, from which pairs, triplets or class-labelled rows are drawn.
	DataTexts DataKind = "texts"
)

// DataOptions say how LoadTrainData reads and converts a training file.
type DataOptions struct {
	// Kind is the file's kind; "" or DataAuto detects it.
	Kind DataKind
	// Read holds the dataset reader options (format, columns, split, ...).
	Read dataset.Options
	// ScoreLo and ScoreHi, when ScoreHi > ScoreLo, are the range pair scores are mapped from onto
	// [0, 1] (0 and 5 for STS-B). Without them, the stsb format is mapped from [0, 5] and sick from
	// [1, 5]; other scores outside [0, 1] are an error for losses that take scores.
	ScoreLo, ScoreHi float64
	// Pairs configures the pairs drawn from labelled texts for pair losses (SetFit's strategies);
	// its Seed is used as given.
	Pairs PairOptions
	// Triplets configures the triplets drawn from labelled texts for triplet losses.
	Triplets TripletOptions
}

// kindsFor lists the data kinds loss can train on, preferred first.
func kindsFor(loss Loss) []DataKind {
	lo, hi := loss.Columns()
	switch loss.Labels() {
	case LabelsClass:
		return []DataKind{DataTexts}
	case LabelsScore:
		return []DataKind{DataPairs, DataTexts}
	}
	var out []DataKind
	if lo <= 3 && hi >= 3 {
		out = append(out, DataTriplets)
	}
	if lo <= 2 && hi >= 2 {
		out = append(out, DataPairs)
	}
	return append(out, DataTexts)
}

// LoadTrainData reads a training file for loss. With DataAuto it tries each kind the loss can use
// (for a pair loss: pairs, then labelled texts) and keeps the first that reads; when none does, it
// reports the error of the reader whose columns matched (the one that got furthest into the file),
// so a malformed record is reported with its line number. Labelled texts become SetFit pairs for
// pair losses, triplets for triplet losses, and class-labelled rows for batch triplet losses.
func LoadTrainData(path string, loss Loss, opt DataOptions) (TrainData, error) {
	kinds := kindsFor(loss)
	if opt.Kind != "" && opt.Kind != DataAuto {
		ok := false
		for _, k := range kinds {
			ok = ok || k == opt.Kind
		}
		if !ok {
			return TrainData{}, fmt.Errorf("training data %s: loss %s cannot train on %s (it takes %v)", path, loss.Name(), opt.Kind, kinds)
		}
		kinds = []DataKind{opt.Kind}
	}
	var errs []error
	for _, k := range kinds {
		d, err := loadKind(path, k, loss, opt)
		if err == nil {
			return d, nil
		}
		errs = append(errs, err)
		var de *dataset.Error
		if !errors.As(err, &de) {
			// Not a reading problem: the file read as this kind but does not suit the loss.
			return TrainData{}, err
		}
	}
	best, bestRank := errs[0], -1
	for _, err := range errs {
		if r := errorRank(err); r > bestRank {
			best, bestRank = err, r
		}
	}
	if len(errs) > 1 {
		return TrainData{}, fmt.Errorf("training data (read as %v): %w", kinds, best)
	}
	return TrainData{}, fmt.Errorf("training data: %w", best)
}

// errorRank orders reading errors by how much they say about the file: an error about a record (the
// higher its line, the further the reader got with matching columns) or about the whole file beats a
// header whose columns are not those of the kind tried.
func errorRank(err error) int {
	msg := err.Error()
	if strings.Contains(msg, " column (none of ") || strings.Contains(msg, "unknown column ") {
		return 0
	}
	var de *dataset.Error
	if errors.As(err, &de) {
		return 1 + de.Line
	}
	return 1
}

// loadKind reads path as one kind.
func loadKind(path string, k DataKind, loss Loss, opt DataOptions) (TrainData, error) {
	switch k {
	case DataPairs:
		pairs, err := dataset.ReadPairs(path, opt.Read)
		if err != nil {
			return TrainData{}, err
		}
		if err := scalePairs(path, pairs, opt, loss.Labels() == LabelsScore); err != nil {
			return TrainData{}, err
		}
		return PairsData(pairs, path), nil
	case DataTriplets:
		trips, err := dataset.ReadTriplets(path, opt.Read)
		if err != nil {
			return TrainData{}, err
		}
		return TripletsData(trips, path), nil
	case DataTexts:
		ex, err := dataset.ReadExamples(path, opt.Read)
		if err != nil {
			return TrainData{}, err
		}
		return ExamplesData(ex, loss, opt, path)
	}
	return TrainData{}, fmt.Errorf("unknown data kind %q (want auto, pairs, triplets or texts)", k)
}

// scalePairs maps scores onto [0, 1] as DataOptions says, and checks them when the loss uses them.
func scalePairs(path string, pairs []dataset.Pair, opt DataOptions, scored bool) error {
	lo, hi := opt.ScoreLo, opt.ScoreHi
	if !(hi > lo) {
		switch f, _ := detectFormat(path, opt.Read); f {
		case "stsb":
			lo, hi = 0, 5
		case "sick":
			lo, hi = 1, 5
		}
	}
	if hi > lo {
		if err := dataset.NormalizeScores(pairs, lo, hi); err != nil {
			return fmt.Errorf("training data %s: %w", path, err)
		}
		return nil
	}
	if !scored {
		return nil
	}
	for i, p := range pairs {
		if math.IsNaN(p.Score) || p.Score < 0 || p.Score > 1 {
			return fmt.Errorf("training data %s: pair %d (%q / %q) has score %g outside [0, 1]; give the scores' range (--score-range 0,5 for STS-B)", path, i+1, shorten(p.A), shorten(p.B), p.Score)
		}
	}
	return nil
}

func detectFormat(path string, opt dataset.Options) (string, error) {
	if opt.Format != "" {
		return opt.Format, nil
	}
	return dataset.DetectFormat(path)
}

// PairsData turns scored (or 0/1-labelled) pairs into training rows.
func PairsData(pairs []dataset.Pair, source string) TrainData {
	rows := make([]TrainExample, len(pairs))
	for i, p := range pairs {
		rows[i] = TrainExample{Texts: []string{p.A, p.B}, Score: float32(p.Score)}
	}
	return TrainData{Rows: rows, Labels: LabelsScore, Source: source}
}

// TripletsData turns triplets into training rows.
func TripletsData(trips []dataset.Triplet, source string) TrainData {
	rows := make([]TrainExample, len(trips))
	for i, t := range trips {
		rows[i] = TrainExample{Texts: []string{t.Anchor, t.Positive, t.Negative}}
	}
	return TrainData{Rows: rows, Labels: LabelsNone, Source: source}
}

// ClassData turns labelled texts into one-text rows with class ids (classes sorted by name).
func ClassData(ex []dataset.Example, source string) TrainData {
	classes := dataset.Labels(ex)
	id := make(map[string]int64, len(classes))
	for i, c := range classes {
		id[c] = int64(i)
	}
	rows := make([]TrainExample, len(ex))
	for i, e := range ex {
		rows[i] = TrainExample{Texts: []string{e.Text}, Class: id[e.Label]}
	}
	return TrainData{Rows: rows, Labels: LabelsClass, Classes: classes, Source: source}
}

// ExamplesData draws training rows for loss from labelled texts: class-labelled rows for losses on
// classes, SetFit pairs (GeneratePairs with opt.Pairs) for score losses, triplets (GenerateTriplets)
// for losses that take three texts, and positive pairs for losses that take two texts without labels.
func ExamplesData(ex []dataset.Example, loss Loss, opt DataOptions, source string) (TrainData, error) {
	if err := dataset.Validate(ex, source); err != nil {
		return TrainData{}, fmt.Errorf("training data: %w", err)
	}
	counts := dataset.CountLabels(ex)
	if len(counts) < 2 {
		return TrainData{}, fmt.Errorf("training data %s: all %d texts have the label %q; contrastive training needs at least two labels", source, len(ex), ex[0].Label)
	}
	lo, hi := loss.Columns()
	switch {
	case loss.Labels() == LabelsClass:
		d := ClassData(ex, source)
		multi := 0
		for _, c := range d.Classes {
			if counts[c] >= 2 {
				multi++
			}
		}
		if multi < 2 {
			return TrainData{}, fmt.Errorf("training data %s: batch triplet losses need at least two labels with two or more texts each", source)
		}
		return d, nil
	case loss.Labels() == LabelsScore:
		pairs, err := GeneratePairs(ex, opt.Pairs)
		if err != nil {
			return TrainData{}, fmt.Errorf("training data %s: %w", source, err)
		}
		return PairsData(pairs, source), nil
	case lo <= 3 && hi >= 3:
		trips, err := GenerateTriplets(ex, opt.Triplets)
		if err != nil {
			return TrainData{}, fmt.Errorf("training data %s: %w", source, err)
		}
		return TripletsData(trips, source), nil
	default:
		pairs, err := GeneratePairs(ex, opt.Pairs)
		if err != nil {
			return TrainData{}, fmt.Errorf("training data %s: %w", source, err)
		}
		var pos []dataset.Pair
		for _, p := range pairs {
			if p.Score > 0 {
				pos = append(pos, p)
			}
		}
		d := PairsData(pos, source)
		d.Labels = LabelsNone
		return d, nil
	}
}

// shorten cuts s to 40 runes for a message.
func shorten(s string) string {
	r := []rune(s)
	if len(r) <= 40 {
		return s
	}
	return string(r[:40]) + "..."
}

// TrainData is a training set in the form the trainer consumes: rows of texts with labels.
type TrainData struct {
	// Rows are the training rows; every row has the same number of texts.
	Rows []TrainExample
	// Labels is the kind of label the rows carry.
	Labels LabelKind
	// Classes names the class ids of LabelsClass rows (Class indexes it).
	Classes []string
	// Source names where the rows came from, for messages.
	Source string
}

// Columns is the number of texts per row (0 for no rows).
func (d TrainData) Columns() int {
	if len(d.Rows) == 0 {
		return 0
	}
	return len(d.Rows[0].Texts)
}

// check verifies that the rows suit loss.
func (d TrainData) check(loss Loss) error {
	src := d.Source
	if src == "" {
		src = "training data"
	}
	if len(d.Rows) == 0 {
		return fmt.Errorf("%s: no training rows", src)
	}
	cols := d.Columns()
	lo, hi := loss.Columns()
	if cols < lo || cols > hi {
		return fmt.Errorf("%s: rows have %d text columns, loss %s takes %d to %d", src, cols, loss.Name(), lo, hi)
	}
	for i, r := range d.Rows {
		if len(r.Texts) != cols {
			return fmt.Errorf("%s: row %d has %d texts, row 1 has %d", src, i+1, len(r.Texts), cols)
		}
		for c, t := range r.Texts {
			if t == "" {
				return fmt.Errorf("%s: row %d: text %d is empty", src, i+1, c+1)
			}
		}
		if d.Labels == LabelsScore && (math.IsNaN(float64(r.Score)) || math.IsInf(float64(r.Score), 0)) {
			return fmt.Errorf("%s: row %d: score is %v", src, i+1, r.Score)
		}
		if d.Labels == LabelsClass && (r.Class < 0 || int(r.Class) >= len(d.Classes)) {
			return fmt.Errorf("%s: row %d: class id %d outside the %d classes", src, i+1, r.Class, len(d.Classes))
		}
	}
	switch need := loss.Labels(); {
	case need == LabelsNone:
	case need != d.Labels:
		return fmt.Errorf("%s: loss %s needs %s, the data has %s", src, loss.Name(), labelKindName(need), labelKindName(d.Labels))
	}
	return nil
}

func labelKindName(k LabelKind) string {
	switch k {
	case LabelsScore:
		return "a score or 0/1 label per row"
	case LabelsClass:
		return "a class label per row"
	}
	return "no labels"
}
