package tokenizer

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// validUTF8 returns s with every byte that is not part of a valid UTF-8
// sequence replaced by U+FFFD.
func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b.WriteRune(utf8.RuneError)
		} else {
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// isPySpace reports whether Python's str.isspace is true for r: the Unicode
// White_Space characters plus the information separators U+001C..U+001F.
func isPySpace(r rune) bool {
	return unicode.IsSpace(r) || (r >= 0x1c && r <= 0x1f)
}

// pyStrip removes leading and trailing whitespace as Python's str.strip().
func pyStrip(s string) string {
	return strings.TrimFunc(s, isPySpace)
}

// isCased reports the Unicode Cased property (Lu, Ll, Lt, Other_Lowercase,
// Other_Uppercase), used by the final-sigma rule.
func isCased(r rune) bool {
	return unicode.In(r, unicode.Lu, unicode.Ll, unicode.Lt, unicode.Other_Lowercase, unicode.Other_Uppercase)
}

// isCaseIgnorable reports the Unicode Case_Ignorable property: Mn, Me, Cf, Lm,
// Sk and the Word_Break classes MidLetter, MidNumLet and Single_Quote.
func isCaseIgnorable(r rune) bool {
	switch r {
	case '\'', '.', ':', 0xb7, 0x387, 0x55f, 0x5f4, 0x2018, 0x2019, 0x2024, 0x2027,
		0xfe13, 0xfe52, 0xfe55, 0xff07, 0xff0e, 0xff1a:
		return true
	}
	return unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf, unicode.Lm, unicode.Sk)
}

// pyLower lower-cases s as Python's str.lower(): full case mapping (İ becomes
// "i̇") and Σ becomes ς at the end of a word.
func pyLower(s string) string {
	runes := []rune(s)
	var b strings.Builder
	b.Grow(len(s))
	for i, r := range runes {
		switch r {
		case 0x130:
			b.WriteString("i\u0307")
		case 0x3a3:
			if finalSigma(runes, i) {
				b.WriteRune(0x3c2)
			} else {
				b.WriteRune(0x3c3)
			}
		default:
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// finalSigma reports whether the capital sigma at runes[i] is preceded by a
// cased letter and not followed by one (case-ignorable characters skipped).
func finalSigma(runes []rune, i int) bool {
	j := i - 1
	for j >= 0 && isCaseIgnorable(runes[j]) {
		j--
	}
	if j < 0 || !isCased(runes[j]) {
		return false
	}
	j = i + 1
	for j < len(runes) && isCaseIgnorable(runes[j]) {
		j++
	}
	return j == len(runes) || !isCased(runes[j])
}

// rustLower lower-cases s one character at a time as Rust's char::to_lowercase
// (full mapping, no context): İ becomes "i̇", Σ always becomes σ.
func rustLower(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if r == 0x130 {
			b.WriteString("i\u0307")
			continue
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// isBertWhitespace is the Hugging Face BertNormalizer whitespace test.
func isBertWhitespace(r rune) bool {
	return unicode.IsSpace(r)
}

// isBertControl is the Hugging Face BertNormalizer control test: categories
// Cc, Cf and Co, except tab, newline and carriage return.
func isBertControl(r rune) bool {
	if r == '\t' || r == '\n' || r == '\r' {
		return false
	}
	return unicode.In(r, unicode.Cc, unicode.Cf, unicode.Co)
}

// isChineseChar reports whether r is in one of the CJK ideograph blocks that
// BERT surrounds with spaces (the ranges of the Rust BertNormalizer).
func isChineseChar(r rune) bool {
	switch {
	case r >= 0x4e00 && r <= 0x9fff,
		r >= 0x3400 && r <= 0x4dbf,
		r >= 0x20000 && r <= 0x2a6df,
		r >= 0x2a700 && r <= 0x2b73f,
		r >= 0x2b740 && r <= 0x2b81f,
		r >= 0x2b920 && r <= 0x2ceaf,
		r >= 0xf900 && r <= 0xfaff,
		r >= 0x2f800 && r <= 0x2fa1f:
		return true
	}
	return false
}

// isBertPunct is the BertPreTokenizer punctuation test: ASCII punctuation or
// a Unicode P* category.
func isBertPunct(r rune) bool {
	if r < 0x80 {
		return (r >= 0x21 && r <= 0x2f) || (r >= 0x3a && r <= 0x40) || (r >= 0x5b && r <= 0x60) || (r >= 0x7b && r <= 0x7e)
	}
	return unicode.IsPunct(r)
}

// isWordChar is the Unicode \w of the Rust regex crate: alphabetic, marks,
// decimal digits, connector punctuation and the joiners.
func isWordChar(r rune) bool {
	if r < 0x80 {
		return r == '_' || (r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z')
	}
	return unicode.IsLetter(r) || unicode.In(r, unicode.M, unicode.Nd, unicode.Pc, unicode.Nl, unicode.Other_Alphabetic) ||
		r == 0x200c || r == 0x200d
}
