// Package eval measures how well embeddings classify and compare texts:
// episodic k-way n-shot evaluation (SampleEpisodes, EvaluateEpisodes), the
// SetFit paper's few-shot protocol (SamplePerLabel, EvaluateSetFit), STS
// correlation (EvaluateSTS), and the metrics they report (Accuracy, MacroF1,
// Pearson, Spearman, MeanCI95). Heads come from package classify.
package eval
