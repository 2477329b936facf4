package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/fewshot-go/fewshot/classify"
)

// zeroshotFlags are fewshot zeroshot's flags.
type zeroshotFlags struct {
	modelFlags
	labels        string
	labelFile     string
	templates     []string
	multiLabel    bool
	threshold     float64
	topK          int
	probabilities bool
	input         string
	json          bool
}

func newZeroshotCmd() *cobra.Command {
	f := &zeroshotFlags{}
	cmd := &cobra.Command{
		Use:   "zeroshot [--model M] (--labels L1,L2,... | --label-file F) [--template T]... [--multi-label --threshold X] [--top-k K] [--json] (TEXT... | --input FILE)",
		Short: "Rank labels for texts by embedding similarity, with no labelled examples",
		Long: `Rank candidate labels for each text by the cosine similarity between the text's embedding and the
label's embedding.

Labels come from --labels (comma-separated) or --label-file (one label a line, or "label<TAB>description"
to embed the description in the label's place; blank lines and lines starting with # are skipped).
Each --template (repeatable) must contain {}, which is replaced by the label; several templates are
averaged. Without one the bare label is embedded.

--multi-label selects every label whose similarity reaches --threshold (possibly none); --top-k keeps
the K best labels in the output; --probabilities reports softmax(cosine/0.05) instead of cosines.

Texts come as arguments or from --input (one per line, - for stdin, JSONL {"text"} for *.jsonl).
Output is a ranking per text, or with --json one {"text", "labels": [{"label", "score"}, ...]} object
per line, best first (with "selected": [...] in multi-label mode).`,
		RunE: func(cmd *cobra.Command, args []string) error { return runZeroshot(cmd, f, args) },
	}
	addModelFlags(cmd, &f.modelFlags)
	fl := cmd.Flags()
	fl.StringVar(&f.labels, "labels", "", "candidate labels, comma-separated")
	fl.StringVar(&f.labelFile, "label-file", "", "file with one candidate label a line (optionally label<TAB>description)")
	fl.StringArrayVar(&f.templates, "template", nil, "sentence template with {} for the label, such as \"This text is about {}.\" (repeatable)")
	fl.BoolVar(&f.multiLabel, "multi-label", false, "select every label whose cosine similarity reaches --threshold")
	fl.Float64Var(&f.threshold, "threshold", 0.5, "cosine similarity a label needs in --multi-label mode")
	fl.IntVar(&f.topK, "top-k", 0, "keep only the K best labels per text (0: all)")
	fl.BoolVar(&f.probabilities, "probabilities", false, "report softmax probabilities (temperature 0.05) instead of cosine similarities")
	fl.StringVar(&f.input, "input", "", "read the texts from this file (one per line; - for stdin) instead of the arguments")
	fl.BoolVar(&f.json, "json", false, "write one JSON object per text")
	return cmd
}

// checkTemplates refuses a --template without {} for the label.
func checkTemplates(templates []string) error {
	for i, t := range templates {
		if !strings.Contains(t, "{}") {
			return usageError{fmt.Errorf("--template %q (number %d) has no {} for the label", t, i+1)}
		}
	}
	return nil
}

// zeroshotRecord is one line of fewshot zeroshot --json.
type zeroshotRecord struct {
	Text     string                `json:"text"`
	Labels   []classify.LabelScore `json:"labels"`
	Selected *[]string             `json:"selected,omitempty"`
}

// parseLabelList splits --labels.
func parseLabelList(s string) ([]string, error) {
	parts := strings.Split(s, ",")
	out := make([]string, 0, len(parts))
	seen := map[string]bool{}
	for i, p := range parts {
		p = strings.TrimSpace(p)
		if p == "" {
			return nil, usageError{fmt.Errorf("--labels %q: label %d is empty", s, i+1)}
		}
		if seen[p] {
			return nil, usageError{fmt.Errorf("--labels %q: label %q given twice", s, p)}
		}
		seen[p] = true
		out = append(out, p)
	}
	if len(out) < 2 {
		return nil, usageError{fmt.Errorf("--labels %q: need at least 2 labels", s)}
	}
	return out, nil
}

// readLabelFile reads one label a line, optionally "label<TAB>description".
func readLabelFile(path string) ([]string, map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("--label-file: %w", err)
	}
	defer f.Close()
	var labels []string
	desc := map[string]string{}
	line := map[string]int{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		text := strings.TrimSpace(strings.TrimPrefix(sc.Text(), "\ufeff"))
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		if !utf8.ValidString(text) {
			return nil, nil, fmt.Errorf("--label-file %s line %d: invalid UTF-8", path, n)
		}
		label, d, hasDesc := strings.Cut(text, "\t")
		label, d = strings.TrimSpace(label), strings.TrimSpace(d)
		if label == "" {
			return nil, nil, fmt.Errorf("--label-file %s line %d: empty label", path, n)
		}
		if prev, ok := line[label]; ok {
			return nil, nil, fmt.Errorf("--label-file %s line %d: label %q repeats line %d", path, n, label, prev)
		}
		if hasDesc {
			if d == "" {
				return nil, nil, fmt.Errorf("--label-file %s line %d: empty description after the tab", path, n)
			}
			desc[label] = d
		}
		line[label] = n
		labels = append(labels, label)
	}
	if err := sc.Err(); err != nil {
		return nil, nil, fmt.Errorf("--label-file %s: %w", path, err)
	}
	if len(labels) < 2 {
		return nil, nil, fmt.Errorf("--label-file %s: %d labels, need at least 2", path, len(labels))
	}
	return labels, desc, nil
}

func runZeroshot(cmd *cobra.Command, f *zeroshotFlags, args []string) error {
	ctx := commandContext(cmd)
	if (f.labels == "") == (f.labelFile == "") {
		return usageError{errors.New("give exactly one of --labels L1,L2,... and --label-file FILE")}
	}
	if f.topK < 0 {
		return usageError{fmt.Errorf("--top-k %d: must not be negative", f.topK)}
	}
	if cmd.Flags().Changed("threshold") && !f.multiLabel {
		return usageError{errors.New("--threshold applies only with --multi-label")}
	}
	if math.IsNaN(f.threshold) || math.IsInf(f.threshold, 0) {
		return usageError{fmt.Errorf("--threshold %v: must be a number", f.threshold)}
	}
	if err := checkTemplates(f.templates); err != nil {
		return err
	}
	if isTFIDF(f.model) {
		return usageError{errors.New("--model tfidf is only for the eval commands")}
	}
	var labels []string
	var desc map[string]string
	var err error
	if f.labels != "" {
		labels, err = parseLabelList(f.labels)
	} else {
		labels, desc, err = readLabelFile(f.labelFile)
	}
	if err != nil {
		return err
	}
	texts, err := readQueries(cmd, args, f.input, false)
	if err != nil {
		return err
	}
	m, err := f.load(ctx, cmd.ErrOrStderr())
	if err != nil {
		return err
	}
	defer m.Close()
	zs, err := classify.NewZeroShot(ctx, m, labels, classify.ZeroShotOptions{
		Templates:     f.templates,
		Descriptions:  desc,
		Probabilities: f.probabilities,
		TopK:          f.topK,
		MultiLabel:    f.multiLabel,
		Threshold:     f.threshold,
	})
	if err != nil {
		return err
	}
	preds, err := zs.Classify(ctx, texts)
	if err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	enc := newJSONEncoder(out)
	width := 0
	for _, l := range labels {
		width = max(width, utf8.RuneCountInString(l))
	}
	for i, p := range preds {
		if f.json {
			rec := zeroshotRecord{Text: texts[i], Labels: p.Scores}
			if f.multiLabel {
				sel := append([]string{}, p.Labels...)
				rec.Selected = &sel
			}
			if err := enc.Encode(rec); err != nil {
				return err
			}
			continue
		}
		if err := printRanking(out, texts[i], p, f.multiLabel, width); err != nil {
			return err
		}
	}
	return nil
}

// printRanking writes a text and its ranked labels, one a line; in multi-label mode the selected
// labels are marked with *.
func printRanking(w io.Writer, text string, p classify.Prediction, multi bool, width int) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n", oneLine(text))
	selected := map[string]bool{}
	for _, l := range p.Labels {
		selected[l] = true
	}
	for r, s := range p.Scores {
		mark := " "
		if multi && selected[s.Label] {
			mark = "*"
		}
		pad := width - utf8.RuneCountInString(s.Label)
		fmt.Fprintf(&b, " %s%2d. %s%s  %.4f\n", mark, r+1, s.Label, strings.Repeat(" ", max(pad, 0)), s.Score)
	}
	if multi && len(p.Labels) == 0 {
		b.WriteString("    (no label reaches the threshold)\n")
	}
	_, err := w.Write([]byte(b.String()))
	return err
}
