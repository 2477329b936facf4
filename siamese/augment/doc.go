// Package augment holds on-the-fly, seeded text augmentation for Siamese fine-tuning:
//
//   - a reader for the WordNet 3.0 database files (Debian package wordnet-base), giving
//     synonyms and synsets with their glosses and examples;
//   - EDA, Easy Data Augmentation (Wei & Zou 2019): synonym replacement, random insertion,
//     random swap and random deletion, keeping the text's case and punctuation;
//   - token cutoff and span cutoff (Shen et al. 2020) on tokenised id sequences;
//   - the Augmenter and TokenAugmenter interfaces the trainer calls per example, and ParseSpec
//     for the CLI flag that selects them.
//
// Every random choice comes from a *rand.Rand (math/rand/v2) the caller passes in, so a run is
// reproducible from its seed; nothing here holds global mutable state.
package augment
