package delimited

import (
	"bytes"
	"encoding/binary"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/provgate/provgate/settlement"
)

// charset is how a message was encoded; the reply is written the same way.
type charset uint8

const (
	gb18030 charset = iota // the DLL era's GBK and its superset; the default
	utf8Set
)

func (c charset) String() string {
	if c == utf8Set {
		return "UTF-8"
	}
	return "GB18030"
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// decodeText detects the charset and returns the message as a Go string:
// a UTF-8 byte-order mark or valid UTF-8 is UTF-8, anything else is read as
// GB18030 (which decodes GBK unchanged). Bytes that are not valid GB18030
// either are refused, naming the line and byte where they start.
//
// Pure ASCII reads the same in both, so it says nothing about the charset
// the hospital reads the reply in. Settlements, cancellations and queries
// are pure ASCII; a GBK HIS would get its patients' names back in UTF-8 if
// ASCII counted as UTF-8. It is answered in GB18030, the DLL era's charset;
// a UTF-8 HIS marks its messages with a byte-order mark.
func decodeText(body []byte) (string, charset, error) {
	if rest, ok := bytes.CutPrefix(body, utf8BOM); ok {
		if !utf8.Valid(rest) {
			return "", utf8Set, badUTF8(rest, len(utf8BOM))
		}
		return string(rest), utf8Set, nil
	}
	if ascii(body) {
		return string(body), gb18030, nil
	}
	if utf8.Valid(body) {
		return string(body), utf8Set, nil
	}
	out, err := simplifiedchinese.GB18030.NewDecoder().Bytes(body)
	if err != nil {
		return "", gb18030, charsetError(body, 0, settlement.Bi("无法按 GB18030 解码", "not decodable as GB18030"))
	}
	// The decoder writes U+FFFD for bytes it cannot read; a message never
	// needs the replacement character itself, so any U+FFFD is an error.
	if bytes.Contains(out, []byte("\uFFFD")) {
		return "", gb18030, charsetError(body, firstBadGB18030(body), settlement.Bi(
			"既不是有效的 UTF-8，也不是有效的 GBK/GB18030", "neither valid UTF-8 nor valid GBK/GB18030"))
	}
	s := string(out)
	return strings.TrimPrefix(s, "\uFEFF"), gb18030, nil
}

// ascii reports whether b is pure ASCII, eight bytes at a time.
func ascii(b []byte) bool {
	for len(b) >= 8 {
		if binary.LittleEndian.Uint64(b)&0x8080808080808080 != 0 {
			return false
		}
		b = b[8:]
	}
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// badUTF8 refuses a body that declared UTF-8 with a byte-order mark.
func badUTF8(b []byte, offset int) error {
	i := 0
	for i < len(b) {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			break
		}
		i += n
	}
	return charsetError(b, i, settlement.Bi("有 UTF-8 字节序标记但内容不是有效的 UTF-8", "marked UTF-8 by its byte-order mark but not valid UTF-8"))
}

// charsetError names the line and byte of the first bad byte.
func charsetError(b []byte, at int, what settlement.Text) error {
	at = min(at, len(b))
	line := strconv.Itoa(bytes.Count(b[:at], []byte{'\n'}) + 1)
	off := strconv.Itoa(at)
	return settlement.Errorf(settlement.CodeBadCharset, settlement.Bi(
		what.ZH+"（第 "+line+" 行，第 "+off+" 字节）", what.EN+" (line "+line+", byte "+off+")"))
}

// firstBadGB18030 finds the offset of the first byte sequence GB18030 does
// not define: a lead byte 0xFF, a lead byte without a valid second byte, a
// four-byte sequence with a bad third or fourth byte, or a well-formed
// sequence that decodes to nothing.
func firstBadGB18030(b []byte) int {
	dec := simplifiedchinese.GB18030.NewDecoder()
	for i := 0; i < len(b); {
		n := gbSeqLen(b[i:])
		if n == 0 {
			return i
		}
		if n > 1 {
			out, err := dec.Bytes(b[i : i+n])
			if err != nil || bytes.Contains(out, []byte("\uFFFD")) {
				return i
			}
		}
		i += n
	}
	return len(b)
}

// gbSeqLen is the length of the GB18030 sequence at the start of b, or 0
// when it is malformed.
func gbSeqLen(b []byte) int {
	c0 := b[0]
	switch {
	case c0 <= 0x80: // 0x80 is the euro sign of code page 936
		return 1
	case c0 == 0xFF:
		return 0
	case len(b) < 2:
		return 0
	}
	c1 := b[1]
	switch {
	case c1 >= 0x40 && c1 <= 0xFE && c1 != 0x7F:
		return 2
	case c1 >= 0x30 && c1 <= 0x39 && len(b) >= 4 && b[2] >= 0x81 && b[2] <= 0xFE && b[3] >= 0x30 && b[3] <= 0x39:
		return 4
	}
	return 0
}

// encodeText writes a reply in the message's charset.
func encodeText(b []byte, cs charset) []byte {
	if cs == utf8Set {
		return b
	}
	out, err := simplifiedchinese.GB18030.NewEncoder().Bytes(b)
	if err != nil {
		return b // cannot happen: GB18030 encodes every Unicode character
	}
	return out
}
