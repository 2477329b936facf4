package main

import (
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/fewshot-go/fewshot/classify"
	"github.com/fewshot-go/fewshot/dataset"
	"github.com/fewshot-go/fewshot/eval"
)

// evalZeroshotFlags are fewshot eval zeroshot's flags.
type evalZeroshotFlags struct {
	modelFlags
	data       datasetFlags
	path       string
	labelNames string
	templates  []string
	json       bool
}

func newEvalZeroshotCmd() *cobra.Command {
	f := &evalZeroshotFlags{}
	cmd := &cobra.Command{
		Use:   "zeroshot [--model M] --data FILE [--label-names GOLD=name,...] [--template T]... [--json]",
		Short: "Zero-shot accuracy on labelled data, with the label names as the only supervision",
		Long: `Classify every text of --data by the cosine similarity of its embedding to the embeddings of the
label names (through each --template, averaged, as fewshot zeroshot does) and score the predictions
against the gold labels: accuracy and macro-F1, beside the majority-class rate.

--label-names maps gold labels to the names that are embedded (TREC's coarse classes, for example:
ABBR=abbreviation,DESC=description,ENTY=entity,HUM=human,LOC=location,NUM=number); a gold label it
does not name is embedded as it is. With --model tfidf the baseline is fitted on the texts and the
label sentences; a text that shares no word with any label scores 0 everywhere and gets the first
label in sorted order.
--json writes {"model", "accuracy", "macro_f1", "majority", "texts", "labels"}.`,
		Args: noArgsUsage,
		RunE: func(cmd *cobra.Command, _ []string) error { return runEvalZeroshot(cmd, f) },
	}
	addModelFlags(cmd, &f.modelFlags)
	addDatasetFlags(cmd, &f.data)
	fl := cmd.Flags()
	fl.StringVar(&f.path, "data", "", "labelled texts")
	fl.StringVar(&f.labelNames, "label-names", "", "GOLD=name pairs, comma-separated: the text embedded for each gold label")
	fl.StringArrayVar(&f.templates, "template", nil, "sentence template with {} for the label name (repeatable)")
	fl.BoolVar(&f.json, "json", false, "write a JSON object")
	return cmd
}

// zeroshotEvalRecord is fewshot eval zeroshot --json.
type zeroshotEvalRecord struct {
	Model    string  `json:"model"`
	Accuracy float64 `json:"accuracy"`
	MacroF1  float64 `json:"macro_f1"`
	Majority float64 `json:"majority"`
	Texts    int     `json:"texts"`
	Labels   int     `json:"labels"`
}

// parseLabelNames reads --label-names: GOLD=name pairs, each gold label once.
func parseLabelNames(s string) (map[string]string, error) {
	out := map[string]string{}
	if strings.TrimSpace(s) == "" {
		return out, nil
	}
	for i, part := range strings.Split(s, ",") {
		gold, name, ok := strings.Cut(part, "=")
		gold, name = strings.TrimSpace(gold), strings.TrimSpace(name)
		if !ok || gold == "" || name == "" {
			return nil, usageError{fmt.Errorf("--label-names: entry %d %q is not GOLD=name", i+1, part)}
		}
		if _, dup := out[gold]; dup {
			return nil, usageError{fmt.Errorf("--label-names: gold label %q named twice", gold)}
		}
		out[gold] = name
	}
	return out, nil
}

func runEvalZeroshot(cmd *cobra.Command, f *evalZeroshotFlags) error {
	ctx := commandContext(cmd)
	names, err := parseLabelNames(f.labelNames)
	if err != nil {
		return err
	}
	if err := checkTemplates(f.templates); err != nil {
		return err
	}
	ex, err := readLabelled("data", f.path, f.data.options(f.data.split))
	if err != nil {
		return err
	}
	texts, gold := textsAndLabels(ex)
	labels := dataset.Labels(ex)
	if len(labels) < 2 {
		return fmt.Errorf("--data %s: one label (%q); zero-shot accuracy needs at least two", f.path, labels[0])
	}
	known := map[string]bool{}
	for _, l := range labels {
		known[l] = true
	}
	var unknown []string
	for g := range names {
		if !known[g] {
			unknown = append(unknown, g)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return usageError{fmt.Errorf("--label-names names %q, not a label of --data %s (labels: %s)", unknown, f.path, strings.Join(labels, ", "))}
	}
	zopt := classify.ZeroShotOptions{Templates: f.templates, Descriptions: names}
	corpus := append(append([]string(nil), texts...), classify.LabelSentences(labels, zopt)...)
	e, closeEmb, err := evalEmbedder(ctx, cmd, &f.modelFlags, corpus)
	if err != nil {
		return err
	}
	defer closeEmb()
	zs, err := classify.NewZeroShot(ctx, e, labels, zopt)
	if err != nil {
		return err
	}
	preds, err := zs.Classify(ctx, texts)
	if err != nil {
		return fmt.Errorf("--data %s: %w", f.path, err)
	}
	pred := make([]string, len(preds))
	for i, p := range preds {
		pred[i] = p.Label
	}
	acc, err := eval.Accuracy(gold, pred)
	if err != nil {
		return err
	}
	f1, err := eval.MacroF1(gold, pred)
	if err != nil {
		return err
	}
	counts := dataset.CountLabels(ex)
	most := 0
	for _, c := range counts {
		most = max(most, c)
	}
	rec := zeroshotEvalRecord{Model: e.ID(), Accuracy: acc, MacroF1: f1, Majority: float64(most) / float64(len(ex)), Texts: len(ex), Labels: len(labels)}
	out := cmd.OutOrStdout()
	if f.json {
		return newJSONEncoder(out).Encode(rec)
	}
	_, err = fmt.Fprintf(out, "%d texts, %d labels: accuracy %.4f, macro-F1 %.4f (majority class %.4f)\n", rec.Texts, rec.Labels, rec.Accuracy, rec.MacroF1, rec.Majority)
	return err
}
