package siamese

import (
	"github.com/fewshot-go/fewshot/torch"
)

// LabelKind says what a training batch's labels are.
type LabelKind int

// The label kinds losses take.
const (
	LabelsNone  LabelKind = iota // no labels (e.g. triplets, in-batch negatives)
	LabelsScore                  // one float32 per row: a similarity score or a 0/1 pair label
	LabelsClass                  // one int64 class id per row (batch triplet losses)
)

// TrainExample is one row of training data: one text per column and its label.
type TrainExample struct {
	Texts []string // one text per column (pair: 2; triplet: 3; labelled text: 1)
	Score float32  // for LabelsScore
	Class int64    // for LabelsClass
}

// Loss scores a batch of embeddings. The trainer embeds each text column of a batch through the same
// (shared-weight, Siamese) model and passes the column embeddings, each [B, D], with the labels: a float32
// [B] tensor for LabelsScore, an int64 [B] tensor for LabelsClass, nil for LabelsNone. Forward returns a
// scalar loss made through the scope (so autograd reaches the model's parameters).
type Loss interface {
	// Name is the loss's name as the CLI spells it (e.g. "cosine", "mnrl").
	Name() string
	// Columns is the range of text columns the loss accepts.
	Columns() (min, max int)
	// Labels is the kind of labels the loss needs.
	Labels() LabelKind
	// Forward computes the loss.
	Forward(s *torch.Scope, emb []*torch.Tensor, labels *torch.Tensor) *torch.Tensor
}
