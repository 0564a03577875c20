package legacyxml

import (
	"bytes"
	"encoding/binary"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/transform"

	"github.com/provgate/provgate/settlement"
)

// charset is the character set a message came in, and its reply goes out in.
type charset uint8

const (
	csUTF8 charset = iota
	csGBK
	csGB2312
	csGB18030
)

var charsetNames = [...]string{csUTF8: "UTF-8", csGBK: "GBK", csGB2312: "GB2312", csGB18030: "GB18030"}

func (c charset) String() string { return charsetNames[c] }

// defaultCharset answers a message whose charset could not be told: most
// HIS of the pre-national provincial interfaces are Windows programs
// speaking GBK (code page 936), and the reply declares it in any case.
const defaultCharset = csGBK

func charsetByName(name string) (charset, bool) {
	switch strings.ToUpper(name) {
	case "UTF-8", "UTF8":
		return csUTF8, true
	case "GBK", "CP936":
		return csGBK, true
	case "GB2312":
		return csGB2312, true
	case "GB18030":
		return csGB18030, true
	}
	return 0, false
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// text decodes a message body to UTF-8 text. The XML declaration decides
// the charset; without one, a UTF-8 byte-order mark or valid UTF-8 means
// UTF-8, anything else GB18030 (of which GBK and GB2312 are subsets).
func text(body []byte) (string, charset, error) {
	src, cs, _, err := source(body, false)
	return src, cs, err
}

// source is text, except that with inPlace a GBK or GB2312 body is
// returned as it is, copied, and gbk reports so: its markup is ASCII
// either way, and the parser checks and decodes the few stretches with
// other characters as it meets them (see parser.gbk).
func source(body []byte, inPlace bool) (src string, cs charset, gbk bool, err error) {
	off := 0
	bom := bytes.HasPrefix(body, utf8BOM)
	if bom {
		off = len(utf8BOM)
	}
	if bytes.HasPrefix(body, []byte{0xFE, 0xFF}) || bytes.HasPrefix(body, []byte{0xFF, 0xFE}) {
		return "", defaultCharset, false, settlement.Errorf(settlement.CodeBadCharset, settlement.Bi(
			"不支持 UTF-16，请使用 GBK、GB18030 或 UTF-8", "UTF-16 is not supported; send GBK, GB18030 or UTF-8"))
	}
	b := body[off:]
	name, declared, err := declaredEncoding(b)
	if err != nil {
		return "", defaultCharset, false, err
	}
	cs = csUTF8
	switch {
	case declared:
		c, ok := charsetByName(name)
		if !ok {
			return "", defaultCharset, false, settlement.Errorf(settlement.CodeBadCharset, settlement.Bi(
				"不支持声明的字符集 "+quote(name)+"（可用：GBK、GB2312、GB18030、UTF-8）",
				"the declared encoding "+quote(name)+" is not supported (use GBK, GB2312, GB18030 or UTF-8)"))
		}
		if bom && c != csUTF8 {
			return "", c, false, settlement.Errorf(settlement.CodeBadCharset, settlement.Bi(
				"报文以 UTF-8 字节序标记开头，却声明为 "+c.String(),
				"the message starts with a UTF-8 byte-order mark but declares "+c.String()))
		}
		cs = c
	case !bom && !utf8.Valid(b):
		cs = csGB18030
	}
	if cs == csUTF8 {
		if !utf8.Valid(b) {
			return "", cs, false, badBytes(off+invalidUTF8(b), cs, declared)
		}
		return string(b), cs, false, nil
	}
	if inPlace && (cs == csGBK || cs == csGB2312) {
		return string(b), cs, true, nil
	}
	out, err := transcodeString(decoder(cs), b, cs)
	if err != nil {
		return "", cs, false, badBytes(off, cs, declared)
	}
	if at := invalidAt(out, b, cs); at >= 0 {
		return "", cs, false, badBytes(off+at, cs, declared)
	}
	return out, cs, false, nil
}

// gbkInTable reports whether every non-ASCII byte of b is the lead of a
// two-byte character gbkTable holds. Characters are paired from the left
// as transcodeStringWith pairs them, so the text then decodes, character
// for character, to what the table says.
func gbkInTable(b []byte) bool {
	var t *[126 * 190]uint16
	for i := 0; i < len(b); {
		i += asciiRun(b[i:])
		if i == len(b) {
			return true
		}
		if i+1 >= len(b) {
			return false
		}
		if t == nil {
			t = gbkTable()
		}
		j, ok := gbkIndex(b[i], b[i+1])
		if !ok || t[j] == 0 {
			return false
		}
		i += 2
	}
	return true
}

// gbkSpan is gbkInTable for a stretch of the message that starts after
// an ASCII byte: short, and read byte by byte.
func gbkSpan(s string) bool {
	var t *[126 * 190]uint16
	for i := 0; i < len(s); {
		if s[i] < utf8.RuneSelf {
			i++
			continue
		}
		if i+1 >= len(s) {
			return false
		}
		if t == nil {
			t = gbkTable()
		}
		j, ok := gbkIndex(s[i], s[i+1])
		if !ok || t[j] == 0 {
			return false
		}
		i += 2
	}
	return true
}

// gbkString decodes a value of GBK text that gbkSpan accepted.
func gbkString(s string) string {
	t := gbkTable()
	b := make([]byte, 0, len(s)+len(s)/2)
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			b = append(b, c)
			i++
			continue
		}
		j, _ := gbkIndex(s[i], s[i+1])
		b = utf8.AppendRune(b, rune(t[j]))
		i += 2
	}
	return string(b)
}

func badBytes(at int, cs charset, declared bool) error {
	n := strconv.Itoa(at)
	if !declared && cs == csGB18030 {
		return settlement.Errorf(settlement.CodeBadCharset, settlement.Bi(
			"报文未声明字符集，既不是有效的 UTF-8，也不是有效的 GB18030（第 "+n+" 字节起）",
			"the message declares no encoding and is neither valid UTF-8 nor valid GB18030 (from byte "+n+")"))
	}
	return settlement.Errorf(settlement.CodeBadCharset, settlement.Bi(
		"第 "+n+" 字节起不是有效的 "+cs.String()+" 编码（与声明不符）",
		"the bytes from offset "+n+" are not valid "+cs.String()+", the declared encoding"))
}

// declaredEncoding reads encoding="..." from the XML declaration at the
// start of b. Every accepted charset writes the declaration in ASCII, so
// it can be read before the charset is known.
func declaredEncoding(b []byte) (string, bool, error) {
	i := 0
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	b = b[i:]
	if !bytes.HasPrefix(b, []byte("<?xml")) || len(b) < 6 || !isSpace(b[5]) {
		return "", false, nil
	}
	end := bytes.Index(b, []byte("?>"))
	if end < 0 || end > 512 {
		return "", false, settlement.Errorf(settlement.CodeBadMessage, format, settlement.Bi("第 1 行", "line 1"),
			settlement.Bi("XML 声明没有以“?>”结束", "the XML declaration does not end with '?>'"))
	}
	decl := b[5:end]
	k := bytes.Index(decl, []byte("encoding"))
	if k < 0 {
		return "", false, nil
	}
	rest := bytes.TrimLeft(decl[k+len("encoding"):], " \t\r\n")
	if len(rest) > 0 && rest[0] == '=' {
		rest = bytes.TrimLeft(rest[1:], " \t\r\n")
		if len(rest) > 1 && (rest[0] == '"' || rest[0] == '\'') {
			if j := bytes.IndexByte(rest[1:], rest[0]); j >= 0 {
				return string(rest[1 : 1+j]), true, nil
			}
		}
	}
	return "", false, settlement.Errorf(settlement.CodeBadMessage, format, settlement.Bi("第 1 行", "line 1"),
		settlement.Bi("XML 声明中的 encoding 应写作 encoding=\"GBK\"", "the XML declaration should write encoding=\"GBK\""))
}

func invalidUTF8(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 {
			return i
		}
		i += n
	}
	return len(b)
}

func encodingOf(cs charset) encoding.Encoding {
	if cs == csGB18030 {
		return simplifiedchinese.GB18030
	}
	return simplifiedchinese.GBK // GB2312 is read and written as its superset GBK
}

func decoder(cs charset) *encoding.Decoder { return encodingOf(cs).NewDecoder() }

// gb18030Replacement is U+FFFD itself, written in GB18030.
var gb18030Replacement = []byte{0x84, 0x31, 0xA4, 0x37}

// invalidAt finds where src, decoded to out, was not valid in cs, or
// returns -1. The decoder writes U+FFFD for what it cannot read; only
// GB18030 can also carry U+FFFD legitimately, so the U+FFFD that are not
// accounted for by its encoding mark the bad bytes. The offset is found by
// encoding back, piece by piece, the text before the first bad one.
func invalidAt(out string, src []byte, cs charset) int {
	n := strings.Count(out, "\uFFFD")
	legit := 0
	if cs == csGB18030 {
		legit = bytes.Count(src, gb18030Replacement)
	}
	if n <= legit {
		return -1
	}
	enc := encodingOf(cs).NewEncoder()
	o := 0 // bytes of src before out[from:]
	for from := 0; ; {
		i := strings.Index(out[from:], "\uFFFD")
		if i < 0 {
			return min(o, len(src))
		}
		piece, err := enc.String(out[from : from+i])
		if err != nil {
			return min(o, len(src))
		}
		o += len(piece)
		if o >= len(src) || !(cs == csGB18030 && bytes.HasPrefix(src[o:], gb18030Replacement)) {
			return min(o, len(src))
		}
		o += len(gb18030Replacement)
		from += i + len("\uFFFD")
	}
}

// encodeText writes a reply's UTF-8 text in cs. A character the charset
// cannot hold (a rare ideograph in a GBK reply) becomes an XML character
// reference, so the reply stays well formed and loses nothing.
func encodeText(b []byte, cs charset) []byte {
	if cs == csUTF8 {
		return b
	}
	var t transform.Transformer = simplifiedchinese.GB18030.NewEncoder()
	if cs != csGB18030 {
		t = encoding.HTMLEscapeUnsupported(simplifiedchinese.GBK.NewEncoder())
	}
	out, err := transcode(t, b, csUTF8)
	if err != nil {
		return b // cannot happen: the writer only writes valid UTF-8
	}
	if cs == csGB2312 {
		out = toGB2312(out)
	}
	return out
}

// transcode converts src, written in from, with t. Every charset here is
// ASCII-compatible and a message is mostly ASCII markup, so ASCII runs are
// copied as they are and only the runs of other characters go through t,
// which costs per byte. A run ends only at a character boundary: in GBK and
// GB18030 a trail byte may be ASCII, so a run steps over whole characters.
func transcode(t transform.Transformer, src []byte, from charset) ([]byte, error) {
	dst := make([]byte, 0, len(src)+len(src)/4+16)
	for i := 0; i < len(src); {
		j := i + asciiRun(src[i:])
		dst = append(dst, src[i:j]...)
		k := j
		for k < len(src) && src[k] >= utf8.RuneSelf {
			k += charLen(src[k:], from)
		}
		k = min(k, len(src))
		if k > j {
			t.Reset()
			var err error
			if dst, _, err = transform.Append(t, dst, src[j:k]); err != nil {
				return nil, err
			}
		}
		i = k
	}
	return dst, nil
}

// transcodeString is transcode writing a string: the decoded message is
// built once, where transcode and a conversion to string would copy it a
// second time.
func transcodeString(t transform.Transformer, src []byte, from charset) (string, error) {
	return transcodeStringWith(t, src, from, from == csGBK || from == csGB2312)
}

// transcodeStringWith is transcodeString, reading the usual GBK
// characters from gbkTable when gbk is set.
func transcodeStringWith(t transform.Transformer, src []byte, from charset, gbk bool) (string, error) {
	var out strings.Builder
	out.Grow(len(src) + len(src)/4 + 16)
	for i := 0; i < len(src); {
		j := i + asciiRun(src[i:])
		out.Write(src[i:j])
		k := j
		for k < len(src) && src[k] >= utf8.RuneSelf {
			k += charLen(src[k:], from)
		}
		k = min(k, len(src))
		if k > j && !(gbk && appendGBK(&out, src[j:k])) {
			// As transform.Append does: one run, reset, at its end.
			var buf [512]byte
			t.Reset()
			for run := src[j:k]; ; {
				nDst, nSrc, err := t.Transform(buf[:], run, true)
				out.Write(buf[:nDst])
				run = run[nSrc:]
				if err == nil {
					break
				}
				if err != transform.ErrShortDst {
					return "", err
				}
			}
		}
		i = k
	}
	return out.String(), nil
}

// asciiRun is the length of the ASCII prefix of b, read 32 and then
// eight bytes at a time.
func asciiRun(b []byte) int {
	i := 0
	for ; i+32 <= len(b); i += 32 {
		w := b[i : i+32]
		if (binary.LittleEndian.Uint64(w)|binary.LittleEndian.Uint64(w[8:])|
			binary.LittleEndian.Uint64(w[16:])|binary.LittleEndian.Uint64(w[24:]))&0x8080808080808080 != 0 {
			break
		}
	}
	for ; i+8 <= len(b); i += 8 {
		if binary.LittleEndian.Uint64(b[i:])&0x8080808080808080 != 0 {
			break
		}
	}
	for i < len(b) && b[i] < utf8.RuneSelf {
		i++
	}
	return i
}

// gbkTable holds what the GBK decoder makes of each two-byte character
// (lead 81–FE, trail 40–7E or 80–FE), or 0 where it does not make one
// character of the Basic Multilingual Plane. It is read from the decoder
// itself, once, the first time a GBK message comes.
var gbkTable = sync.OnceValue(func() *[126 * 190]uint16 {
	var t [126 * 190]uint16
	dec := simplifiedchinese.GBK.NewDecoder()
	var out [8]byte
	for lead := 0x81; lead <= 0xFE; lead++ {
		for trail := 0x40; trail <= 0xFE; trail++ {
			i, ok := gbkIndex(byte(lead), byte(trail))
			if !ok {
				continue
			}
			dec.Reset()
			n, _, err := dec.Transform(out[:], []byte{byte(lead), byte(trail)}, true)
			r, size := utf8.DecodeRune(out[:n])
			if err == nil && size == n && r != utf8.RuneError && r <= 0xFFFF {
				t[i] = uint16(r)
			}
		}
	}
	return &t
})

// gbkIndex is a two-byte character's place in gbkTable.
func gbkIndex(lead, trail byte) (int, bool) {
	if lead < 0x81 || lead > 0xFE {
		return 0, false
	}
	switch {
	case 0x40 <= trail && trail <= 0x7E:
		return int(lead-0x81)*190 + int(trail-0x40), true
	case 0x80 <= trail && trail <= 0xFE:
		return int(lead-0x81)*190 + int(trail-0x41), true
	}
	return 0, false
}

// appendGBK writes a run of two-byte GBK characters, decoded, to out and
// reports true; for a run with anything else (a single byte, a character
// the table does not have) it writes nothing and reports false, and the
// decoder reads the run.
func appendGBK(out *strings.Builder, run []byte) bool {
	if len(run)%2 != 0 {
		return false
	}
	t := gbkTable()
	for i := 0; i < len(run); i += 2 {
		if j, ok := gbkIndex(run[i], run[i+1]); !ok || t[j] == 0 {
			return false
		}
	}
	for i := 0; i < len(run); i += 2 {
		j, _ := gbkIndex(run[i], run[i+1])
		out.WriteRune(rune(t[j]))
	}
	return true
}

// charLen is the length of the character starting with the non-ASCII
// byte b[0]: a UTF-8 byte is stepped over one at a time (no UTF-8 byte of
// a multi-byte character is ASCII); a GBK lead takes its trail, a GB18030
// four-byte sequence all four. Invalid bytes are left for the decoder to
// report.
func charLen(b []byte, cs charset) int {
	if cs == csUTF8 || b[0] == 0x80 || b[0] == 0xFF || len(b) < 2 {
		return 1
	}
	if cs == csGB18030 && b[1] >= '0' && b[1] <= '9' {
		return 4
	}
	return 2
}

// toGB2312 replaces, in GBK bytes, every character outside GB2312 (whose
// two bytes both lie in A1–FE, the lead at most F7) by a character
// reference: a reply declared GB2312 must not need GBK to be read.
func toGB2312(b []byte) []byte {
	var out []byte
	last := 0
	for i := 0; i < len(b); {
		c := b[i]
		if c < 0x80 {
			i++
			continue
		}
		n := 2
		if c == 0x80 || i+1 >= len(b) {
			n = 1
		}
		if n == 2 && c >= 0xA1 && c <= 0xF7 && b[i+1] >= 0xA1 && b[i+1] <= 0xFE {
			i += 2
			continue
		}
		r := '\uFFFD'
		if dec, err := simplifiedchinese.GBK.NewDecoder().Bytes(b[i : i+n]); err == nil {
			r, _ = utf8.DecodeRune(dec)
		}
		if out == nil {
			out = make([]byte, 0, len(b)+16)
		}
		out = append(out, b[last:i]...)
		out = append(out, "&#"...)
		out = strconv.AppendInt(out, int64(r), 10)
		out = append(out, ';')
		i += n
		last = i
	}
	if out == nil {
		return b
	}
	return append(out, b[last:]...)
}
