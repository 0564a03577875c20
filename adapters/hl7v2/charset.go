package hl7v2

import (
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// charset is one MSH-18 character set: how a message in it is read, and how
// a reply is written back in it.
type charset struct {
	iana string // for Content-Type
	// bilingual: the charset can carry the Chinese half of a refusal.
	bilingual bool
	// decode returns the text as UTF-8, or ok = false with the offset into
	// the text (or the raw bytes, for single-byte sets) of the first
	// character that is not valid in the charset.
	decode func([]byte) (text string, bad int, ok bool)
	// encode writes UTF-8 text in the charset; characters it cannot
	// represent become '?'.
	encode func([]byte) []byte
}

var (
	utf8Set = &charset{iana: "UTF-8", bilingual: true, decode: decodeUTF8, encode: func(b []byte) []byte { return b }}
	ascii   = &charset{iana: "US-ASCII", decode: decodeASCII, encode: func(b []byte) []byte { return narrow(b, 0x7f) }}
	latin1  = &charset{iana: "ISO-8859-1", decode: decodeLatin1, encode: func(b []byte) []byte { return narrow(b, 0xff) }}
	gb18030 = &charset{iana: "GB18030", bilingual: true, decode: decodeGB, encode: func(b []byte) []byte { return encodeGB(simplifiedchinese.GB18030, b) }}
	gbk     = &charset{iana: "GBK", bilingual: true, decode: decodeGB, encode: func(b []byte) []byte { return encodeGB(simplifiedchinese.GBK, b) }}
)

// charsets maps MSH-18 values, upper-cased and without spaces, hyphens,
// underscores or slashes, to the charset. The HL7 table 0211 names come
// first; the rest are spellings HIS vendors use.
var charsets = map[string]*charset{
	"ASCII": ascii, "USASCII": ascii,
	"88591": latin1, "ISO88591": latin1, "ISOIR100": latin1, "LATIN1": latin1,
	"UNICODEUTF8": utf8Set, "UTF8": utf8Set,
	"GB180302000": gb18030, "GB18030": gb18030, "GB180302005": gb18030,
	// GBK and GB 2312 are subsets of GB 18030: read with its decoder,
	// answered in GBK (GB 2312 HIS decode replies as code page 936).
	"GBK": gbk, "CP936": gbk, "GB2312": gbk, "GB231280": gbk, "ISOIR58": gbk, "EUCCN": gbk,
}

const knownCharsets = "ASCII, 8859/1, UNICODE UTF-8, GB 18030-2000, GBK, GB2312"

// lookupCharset returns the charset MSH-18 names. An empty MSH-18 means
// UTF-8: ASCII is a subset of it, and Chinese HIS that leave the field
// empty send UTF-8.
func lookupCharset(name string) (*charset, bool) {
	switch name { // the table 0211 spellings, without normalising
	case "", "UNICODE UTF-8":
		return utf8Set, true
	case "GB 18030-2000":
		return gb18030, true
	case "ASCII":
		return ascii, true
	case "8859/1":
		return latin1, true
	}
	if strings.TrimSpace(name) == "" {
		return utf8Set, true
	}
	key := strings.Map(func(r rune) rune {
		switch r {
		case ' ', '-', '_', '/', '.':
			return -1
		}
		if r >= 'a' && r <= 'z' {
			return r - 'a' + 'A'
		}
		return r
	}, name)
	cs, ok := charsets[key]
	return cs, ok
}

func decodeUTF8(b []byte) (string, int, bool) {
	if utf8.Valid(b) {
		return string(b), 0, true
	}
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			return "", i, false
		}
		i += n
	}
	return "", 0, false // not reached: utf8.Valid said otherwise
}

func decodeASCII(b []byte) (string, int, bool) {
	for i, c := range b {
		if c >= 0x80 {
			return "", i, false
		}
	}
	return string(b), 0, true
}

// decodeLatin1 maps each byte to the code point of the same value.
func decodeLatin1(b []byte) (string, int, bool) {
	n := 0
	for _, c := range b {
		if c >= 0x80 {
			n++
		}
	}
	if n == 0 {
		return string(b), 0, true
	}
	out := make([]byte, 0, len(b)+n)
	for _, c := range b {
		out = utf8.AppendRune(out, rune(c))
	}
	return string(out), 0, true
}

// decodeGB reads GB 18030 (and so GBK and GB 2312). The x/text decoder
// turns an invalid sequence into U+FFFD instead of failing, so the output
// is searched for it; the offset is then into the decoded text.
func decodeGB(b []byte) (string, int, bool) {
	ascii := true
	for _, c := range b {
		if c >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		return string(b), 0, true
	}
	out, err := simplifiedchinese.GB18030.NewDecoder().Bytes(b)
	if err != nil {
		return "", 0, false
	}
	text := string(out)
	if i := strings.IndexRune(text, utf8.RuneError); i >= 0 {
		return "", i, false
	}
	return text, 0, true
}

// narrow writes UTF-8 text in a single-byte charset whose code points are
// the first max+1 of Unicode (ASCII, ISO 8859-1).
func narrow(b []byte, max rune) []byte {
	wide := false
	for _, c := range b {
		if c >= 0x80 {
			wide = true
			break
		}
	}
	if !wide {
		return b
	}
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		i += n
		if r > max {
			r = '?'
		}
		out = append(out, byte(r))
	}
	return out
}

// encodeGB writes UTF-8 text in GBK or GB 18030. Runes GBK cannot hold
// (GB 18030 holds all) are replaced by '?' one at a time, on a slow path
// taken only when the whole text fails.
func encodeGB(e encoding.Encoding, b []byte) []byte {
	if out, err := e.NewEncoder().Bytes(b); err == nil {
		return out
	}
	enc := e.NewEncoder()
	out := make([]byte, 0, len(b))
	var one [utf8.UTFMax]byte
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		i += n
		if r < utf8.RuneSelf {
			out = append(out, byte(r))
			continue
		}
		got, err := enc.Bytes(one[:utf8.EncodeRune(one[:], r)])
		if err != nil {
			out = append(out, '?')
			continue
		}
		out = append(out, got...)
	}
	return out
}
