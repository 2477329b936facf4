package tokenizer

import (
	"path/filepath"
	"testing"
)

// BenchmarkEncodeSTSB encodes every STS-B sentence (about 14,500) one by one
// with bert-base-uncased (all-MiniLM-L6-v2's vocabulary), MaxLength 256.
func BenchmarkEncodeSTSB(b *testing.B) {
	sentences := stsbSentences(b)
	tk, err := Load(filepath.Join(sharedData(b), "tokenizers", "all-MiniLM-L6-v2"), Options{MaxLength: 256})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, s := range sentences {
			if _, err := tk.Encode(s); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.N*len(sentences))/b.Elapsed().Seconds(), "texts/s")
}

// BenchmarkEncodeBatchSTSB is the same through EncodeBatch with GOMAXPROCS
// workers.
func BenchmarkEncodeBatchSTSB(b *testing.B) {
	sentences := stsbSentences(b)
	tk, err := Load(filepath.Join(sharedData(b), "tokenizers", "all-MiniLM-L6-v2"), Options{MaxLength: 256})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := tk.EncodeBatch(sentences, 0); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*len(sentences))/b.Elapsed().Seconds(), "texts/s")
}
