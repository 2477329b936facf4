// Package siamese fine-tunes sentence encoders as Siamese networks: the
// losses (LossByName), pair and triplet generation from labelled examples,
// batch orders and samplers, the trainer (Train) with checkpoints and exact
// resume, the evaluators it runs during training, and SetFit training
// (TrainSetFit: a contrastive fine-tune, then a classification head).
// Text augmentation lives in siamese/augment.
package siamese
