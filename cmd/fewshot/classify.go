package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/fewshot-go/fewshot/classify"
	"github.com/fewshot-go/fewshot/dataset"
)

// datasetFlags are the dataset reader's options, shared by every command that reads labelled texts
// or sentence pairs.
type datasetFlags struct {
	format, textCol, labelCol, split string
	noHeader                         bool
}

func addDatasetFlags(cmd *cobra.Command, f *datasetFlags) {
	fl := cmd.Flags()
	fl.StringVar(&f.format, "format", "", "data format: "+strings.Join(dataset.Formats(), ", ")+" (default: detected from the file name and content)")
	fl.StringVar(&f.textCol, "text-col", "", "CSV/TSV column or JSON key of the text (default: text, sentence, utterance, ...); for pairs \"s1,s2\"")
	fl.StringVar(&f.labelCol, "label-col", "", "CSV/TSV column or JSON key of the label (default: label, category, intent, ...); for pairs the score")
	fl.StringVar(&f.split, "split", "", "part of a multi-split source: a CLINC150 split (train, val, test, ...), a SNIPS sub-folder, or SICK's TRAIN/TRIAL/TEST")
	fl.BoolVar(&f.noHeader, "no-header", false, "CSV/TSV files have no header row (columns are then numbers: 0 text, 1 label)")
}

// options returns the reader options, with split for the split.
func (f *datasetFlags) options(split string) dataset.Options {
	return dataset.Options{Format: f.format, TextCol: f.textCol, LabelCol: f.labelCol, Split: split, NoHeader: f.noHeader}
}

// readLabelled reads labelled texts from path (named by flag in messages).
func readLabelled(flag, path string, opt dataset.Options) ([]dataset.Example, error) {
	if path == "" {
		return nil, usageError{fmt.Errorf("--%s is required", flag)}
	}
	ex, err := dataset.ReadExamples(path, opt)
	if err != nil {
		return nil, fmt.Errorf("--%s: %w", flag, err)
	}
	if len(ex) == 0 {
		return nil, fmt.Errorf("--%s %s: no examples", flag, path)
	}
	return ex, nil
}

// textsAndLabels splits labelled texts into their texts and their labels, in order.
func textsAndLabels(ex []dataset.Example) (texts, labels []string) {
	texts, labels = make([]string, len(ex)), make([]string, len(ex))
	for i, e := range ex {
		texts[i], labels[i] = e.Text, e.Label
	}
	return texts, labels
}

// headFlags choose and configure the classification head fitted on support embeddings.
type headFlags struct {
	method string
	k      int
	metric string
	c      float64
}

func addHeadFlags(cmd *cobra.Command, h *headFlags, several bool) {
	fl := cmd.Flags()
	usage := "classifier: prototype (nearest class mean), knn (k nearest neighbours) or logreg (logistic regression)"
	if several {
		usage += "; a comma-separated list evaluates each on the same embeddings"
	}
	fl.StringVar(&h.method, "method", "prototype", usage)
	fl.IntVar(&h.k, "k", 1, "neighbours for --method knn")
	fl.StringVar(&h.metric, "metric", "cosine", "prototype similarity: cosine or euclidean")
	fl.Float64Var(&h.c, "c", classify.DefaultLogRegC, "inverse L2 regularisation strength for --method logreg (scikit-learn's C)")
}

// namedHead is one classification method and a factory of unfitted classifiers.
type namedHead struct {
	name string
	make func() classify.SaveableClassifier
}

// heads parses --method (a comma-separated list when several is set) and checks the options.
func (h *headFlags) heads(several bool) ([]namedHead, error) {
	if h.k < 1 {
		return nil, usageError{fmt.Errorf("--k %d: must be at least 1", h.k)}
	}
	metric := classify.Metric(strings.ToLower(h.metric))
	if metric != classify.MetricCosine && metric != classify.MetricEuclidean {
		return nil, usageError{fmt.Errorf("--metric %q: want cosine or euclidean", h.metric)}
	}
	if !(h.c > 0) {
		return nil, usageError{fmt.Errorf("--c %v: must be positive", h.c)}
	}
	var out []namedHead
	seen := map[string]bool{}
	for _, name := range strings.Split(h.method, ",") {
		name = strings.ToLower(strings.TrimSpace(name))
		if seen[name] {
			return nil, usageError{fmt.Errorf("--method %q: %s given twice", h.method, name)}
		}
		seen[name] = true
		newHead, err := classify.HeadFactory(name, classify.HeadOptions{K: h.k, Metric: metric, C: h.c})
		if err != nil {
			return nil, usageError{fmt.Errorf("--method %q: want prototype, knn or logreg", name)}
		}
		out = append(out, namedHead{name, newHead})
	}
	if len(out) > 1 && !several {
		return nil, usageError{fmt.Errorf("--method %q: give one method", h.method)}
	}
	return out, nil
}

// readQueries returns the texts to classify: the arguments, or the lines of --input (a file, or - for
// stdin; JSONL {"text": ...} lines when the name ends in .jsonl). Exactly one of the two is needed.
func readQueries(cmd *cobra.Command, args []string, input string, optional bool) ([]string, error) {
	if len(args) > 0 && input != "" {
		return nil, usageError{errors.New("give texts as arguments or with --input, not both")}
	}
	if input == "" {
		if len(args) == 0 && !optional {
			return nil, usageError{errors.New("no texts to classify: give them as arguments or with --input FILE")}
		}
		for i, a := range args {
			if strings.TrimSpace(a) == "" {
				return nil, usageError{fmt.Errorf("text argument %d is empty", i+1)}
			}
		}
		return args, nil
	}
	var r io.Reader
	name := input
	if input == "-" {
		r, name = cmd.InOrStdin(), "stdin"
	} else {
		f, err := os.Open(input)
		if err != nil {
			return nil, fmt.Errorf("--input: %w", err)
		}
		defer f.Close()
		r = f
	}
	var texts []string
	jsonl := strings.HasSuffix(strings.ToLower(input), ".jsonl")
	err := dataset.ReadTexts(r, name, jsonl, func(_ int, _ any, text string) error {
		texts = append(texts, text)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("--input: %w", err)
	}
	if len(texts) == 0 {
		return nil, fmt.Errorf("--input %s: no texts", name)
	}
	return texts, nil
}

// commandContext returns the command's context, or a background one.
func commandContext(cmd *cobra.Command) context.Context {
	if ctx := cmd.Context(); ctx != nil {
		return ctx
	}
	return context.Background()
}

// newJSONEncoder writes one JSON value a line, without escaping &, < and > (labels such as
// "art & culture" stay readable).
func newJSONEncoder(w io.Writer) *json.Encoder {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc
}

// topK keeps the k best scores (all when k is 0).
func topK(s []classify.LabelScore, k int) []classify.LabelScore {
	if k > 0 && k < len(s) {
		return s[:k]
	}
	return s
}

// classifyFlags are fewshot classify's flags.
type classifyFlags struct {
	modelFlags
	data       datasetFlags
	head       headFlags
	support    string
	classifier string
	save       string
	input      string
	topK       int
	json       bool
}

func newClassifyCmd() *cobra.Command {
	f := &classifyFlags{}
	cmd := &cobra.Command{
		Use:   "classify [--model M] (--support FILE | --classifier FILE) [--method prototype|knn|logreg] [--save-classifier FILE] [--json] (TEXT... | --input FILE)",
		Short: "Classify texts few-shot from a labelled support set, or with a saved classifier",
		Long: `Classify texts by their embeddings and a few labelled examples.

--support FILE holds labelled texts in any format the dataset reader knows (JSONL, JSON, CSV, TSV, or a
public set's layout; see --format, --text-col, --label-col, --split). Its texts are embedded once and a
classification head is fitted on them: prototype (the nearest class mean, by cosine similarity), knn
(the k nearest support texts) or logreg (multinomial logistic regression, as SetFit's head). The texts
to classify are then embedded in one pass.

--save-classifier FILE writes the fitted head (not the texts) as JSON, with the model's ID; --classifier
FILE loads such a file instead of a support set, and refuses a head fitted on another model.

Texts come as arguments or from --input (one per line, - for stdin, JSONL {"text"} for *.jsonl).
Output is "LABEL<TAB>SCORE<TAB>TEXT" per text, or with --json one {"text", "label", "scores"} object
per line, scores best first (probabilities for logreg, cosine similarities for prototype, neighbour
vote shares for knn).`,
		RunE: func(cmd *cobra.Command, args []string) error { return runClassify(cmd, f, args) },
	}
	addModelFlags(cmd, &f.modelFlags)
	addDatasetFlags(cmd, &f.data)
	addHeadFlags(cmd, &f.head, false)
	fl := cmd.Flags()
	fl.StringVar(&f.support, "support", "", "labelled support examples to fit the classifier on")
	fl.StringVar(&f.classifier, "classifier", "", "a classifier saved with --save-classifier, instead of --support")
	fl.StringVar(&f.save, "save-classifier", "", "write the fitted classifier to this JSON file")
	fl.StringVar(&f.input, "input", "", "read the texts from this file (one per line; - for stdin) instead of the arguments")
	fl.IntVar(&f.topK, "top-k", 0, "keep only the K best scores per text (0: all)")
	fl.BoolVar(&f.json, "json", false, "write one JSON object per text")
	return cmd
}

// classifyRecord is one line of fewshot classify --json.
type classifyRecord struct {
	Text   string                `json:"text"`
	Label  string                `json:"label"`
	Scores []classify.LabelScore `json:"scores"`
}

func runClassify(cmd *cobra.Command, f *classifyFlags, args []string) error {
	ctx := commandContext(cmd)
	if (f.support == "") == (f.classifier == "") {
		return usageError{errors.New("give exactly one of --support FILE (fit a classifier) and --classifier FILE (load one)")}
	}
	if f.classifier != "" {
		for _, name := range []string{"method", "k", "metric", "c", "save-classifier", "format", "text-col", "label-col", "split", "no-header"} {
			if cmd.Flags().Changed(name) {
				return usageError{fmt.Errorf("--%s applies to --support, not to --classifier", name)}
			}
		}
	}
	if f.topK < 0 {
		return usageError{fmt.Errorf("--top-k %d: must not be negative", f.topK)}
	}
	if isTFIDF(f.model) {
		return usageError{errors.New("--model tfidf is only for the eval commands (its vocabulary is fitted on the texts each run sees)")}
	}
	heads, err := f.head.heads(false)
	if err != nil {
		return err
	}
	texts, err := readQueries(cmd, args, f.input, f.save != "")
	if err != nil {
		return err
	}
	var support []dataset.Example
	if f.support != "" {
		if support, err = readLabelled("support", f.support, f.data.options(f.data.split)); err != nil {
			return err
		}
		if err := checkSupportLabels(support); err != nil {
			return fmt.Errorf("--support %s: %w", f.support, err)
		}
	}
	m, err := f.load(ctx, cmd.ErrOrStderr())
	if err != nil {
		return err
	}
	defer m.Close()

	var clf classify.Classifier
	if f.classifier != "" {
		if clf, err = classify.LoadClassifier(f.classifier, m.ID()); err != nil {
			return fmt.Errorf("--classifier: %w", err)
		}
	} else {
		set, err := classify.NewSupportSet(ctx, m, support)
		if err != nil {
			return fmt.Errorf("--support %s: %w", f.support, err)
		}
		head := heads[0].make()
		if err := set.Fit(head); err != nil {
			return fmt.Errorf("--support %s: %w", f.support, err)
		}
		if f.save != "" {
			if err := classify.SaveClassifier(f.save, head, m.ID()); err != nil {
				return fmt.Errorf("--save-classifier: %w", err)
			}
		}
		clf = head
	}
	preds, err := classify.PredictTexts(ctx, m, clf, texts)
	if err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	enc := newJSONEncoder(out)
	for i, p := range preds {
		if f.json {
			if err := enc.Encode(classifyRecord{Text: texts[i], Label: p.Label, Scores: topK(p.Scores, f.topK)}); err != nil {
				return err
			}
			continue
		}
		if _, err := fmt.Fprintf(out, "%s\t%.4f\t%s\n", p.Label, p.Scores[0].Score, oneLine(texts[i])); err != nil {
			return err
		}
	}
	return nil
}

// checkSupportLabels checks that a support set has at least two labels and reports which single
// label it has otherwise (the classifiers say so too, but only after the model ran).
func checkSupportLabels(ex []dataset.Example) error {
	labels := dataset.Labels(ex)
	if len(labels) < 2 {
		return fmt.Errorf("%d examples of one label (%q): a classifier needs at least 2 labels", len(ex), labels[0])
	}
	return nil
}

// oneLine replaces line breaks and tabs so a text fits on one output line.
func oneLine(s string) string {
	return strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ", "\t", " ").Replace(s)
}
