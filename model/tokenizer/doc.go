// Package tokenizer turns text into the token ids that a sentence-transformers
// model expects, giving the same ids as the Hugging Face tokenizers library
// (the Rust "fast" tokenizers that Python's sentence-transformers uses).
//
// A tokenizer is loaded offline from a model folder: tokenizer.json when
// present, otherwise a BERT vocab.txt (with tokenizer_config.json and
// special_tokens_map.json for lower-casing and special tokens). Nothing is
// ever downloaded.
//
// # Text preparation
//
// Encode prepares text the way sentence-transformers does before it calls the
// Hugging Face tokenizer: invalid UTF-8 is first replaced with U+FFFD (one per
// invalid byte; Python strings cannot hold invalid UTF-8, so this is our
// choice), then the text is stripped of leading and trailing whitespace as
// Python's str.strip does, and lower-cased as Python's str.lower does (with the
// final-sigma rule and İ -> i̇) when Options.DoLowerCase is set. The result is
// tokenized with special tokens added ([CLS] ... [SEP], <s> ... </s>) and
// truncated with the longest_first strategy to Options.MaxLength tokens,
// special tokens included. No padding is done inside Encode; Pad pads a batch
// to its longest member. The truncation and padding blocks of tokenizer.json
// are ignored on purpose: sentence-transformers overrides them.
//
// # What comes from github.com/sugarme/tokenizer
//
// The pipeline follows the Hugging Face tokenizer.json format, whose top
// level is read into sugarme/tokenizer's Config type, and SentencePiece
// "precompiled_charsmap" normalizers (XLM-R, T5, ...) use sugarme's spm
// package to decode the charsmap trie. The rest of sugarme v0.3.0's pipeline
// gives different ids from Hugging Face: on this package's reference strings
// (testdata/oracle-cases.jsonl, ids from the Rust library) it differs on 12 of
// 44 bert-base-uncased strings, 6 of 24 byte-level BPE strings and 2 of 22
// Unigram strings, and panics on 2 more ("a\r\nb", "a\u0301b"). Reading its
// source shows why:
//
//   - BertNormalizer: strip_accents null is read as false instead of "same as
//     lowercase"; accents are removed without NFD first; it lower-cases before
//     stripping accents; only ASCII whitespace is whitespace; "İ" can make it
//     panic (sugarme issue #77). BertPreTokenizer splits on the ASCII-only
//     regexp \s+. Added tokens such as "[MASK]" in the text are not matched.
//   - ByteLevel: its regexp lacks the \s+(?!\S) branch, so "\n\n" stays one
//     piece; BPE breaks ties between equal-rank merges in heap order, not left
//     to right ("aaaaa").
//   - Unigram adds a 0.1-per-byte length bonus to the Viterbi score and caps
//     pieces at 20 bytes; the Precompiled normalizer writes marks as "U+0301"
//     text and panics on "\r\n" (#84); the Replace normalizer ignores regex
//     patterns; Nmt panics; Metaspace replaces all ASCII whitespace, not " ".
//   - EncodeBatch starts one goroutine per input and calls log.Fatal on error.
//
// So the normalizers (BertNormalizer, Lowercase, NFC/NFD/NFKC/NFKD,
// StripAccents, Strip, Replace, Prepend, Nmt, Precompiled, Sequence), the
// pre-tokenizers (BertPreTokenizer, ByteLevel, Metaspace, Whitespace,
// WhitespaceSplit, Punctuation, Digits, CharDelimiterSplit, Split, Sequence),
// the models (WordPiece, BPE, Unigram, WordLevel), added-token matching
// (lstrip, rstrip, single_word, normalized), the post-processors
// (TemplateProcessing, BertProcessing, RobertaProcessing, ByteLevel, Sequence)
// and truncation are implemented in this package on plain strings, following
// the Rust library. Anything else in a tokenizer.json is refused at load time
// with an error that names it, rather than tokenized differently. MPNet's
// tokenizer.json (BertNormalizer + WordPiece) takes the same path as BERT.
//
// Known limits: BPE dropout is ignored (inference is deterministic);
// character classes come from Go's Unicode 15 tables, not the Rust crates'
// own, which matters only for recently assigned characters; Split and
// Replace regexps use Go's RE2 syntax (no look-around), and a pattern Go
// cannot compile is a load error; offsets are not computed; Encoding.Tokens
// holds vocabulary strings (an unknown piece shows as the unk token).
//
// A Tokenizer holds no mutable state after loading and is safe for concurrent
// use by several goroutines.
package tokenizer
