package nhsa

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"unicode/utf8"

	json "github.com/goccy/go-json"

	"github.com/provgate/provgate/settlement"
)

// The usual request read in one pass over its bytes: the header's values,
// the input's nodes located and a fee upload's lines read as the scanner
// goes, and the white space it stepped over remembered, so that the
// digest's compacted input is a few copies instead of a second parser.
// Like the fee-line scanner, it reads only what it reads exactly as the
// JSON package does, and otherwise steps aside for the general path.

// onePass is what the pass found.
type onePass struct {
	h          Header
	input      [2]int     // the input object's bytes, from '{' to after '}'
	nodes      []nodeSpan // the input's members
	fees       feeChecker // a feedetail array's lines
	feedetail  bool       // lines were read
	inputSeen  bool
	headerSeen uint32 // the header fields set, a bit each
}

// nodeSpan is a member of the input: its name and value's bytes.
type nodeSpan struct {
	name string
	i, j int
}

// decodeOnePass decodes body as Decode does, or reports handled false when
// the body holds anything the pass does not read exactly as the general
// path: a key with escapes or upper case, a key given twice, a header
// value that is an object or array, a string that needs decoding where the
// value is only checked, malformed JSON, a missing input or feedetail. The
// general path decides all of those.
func decodeOnePass(body []byte, pathInfno string) (m Message, handled bool, err error) {
	s := jsonScanner{b: body, src: string(body)}
	var e onePass
	if !s.envelope(&e) {
		return Message{}, false, nil
	}
	h, err := header(e.h, pathInfno)
	if err != nil {
		return Message{}, true, err
	}
	kind := settlement.Kind(h.Infno)
	fees := kind == settlement.KindUploadFees || kind == settlement.KindUploadInpFees
	if fees && !e.feedetail {
		return Message{}, false, nil
	}
	if fees && e.fees.inpatient != (kind == settlement.KindUploadInpFees) {
		return Message{}, false, nil // read for the other kind, before the infno: rare
	}
	req := request(h, compactDigest(string(h.Infno), body, e.input, s.gaps))
	if fees {
		req.Fees, err = e.fees.upload()
	} else {
		decode, ok := decoders[kind]
		if !ok {
			return Message{}, true, settlement.Errorf(settlement.CodeUnknownInfno, string(h.Infno))
		}
		nodes := make(map[string]json.RawMessage, len(e.nodes))
		for _, n := range e.nodes {
			nodes[n.name] = body[n.i:n.j]
		}
		err = decode(nodes, &req)
	}
	if err != nil {
		return Message{}, true, err
	}
	return Message{Header: h, Request: req}, true, nil
}

// envelope reads the request envelope: a flat object of header values and
// the input.
func (s *jsonScanner) envelope(e *onePass) bool {
	if !s.consume('{') {
		return false
	}
	for {
		key, ok := s.key()
		if !ok || !s.consume(':') {
			return false
		}
		switch p, n := e.h.field(key); {
		case string(key) == "input":
			if e.inputSeen || !s.input(e) {
				return false
			}
			e.inputSeen = true
		case p != nil:
			if e.headerSeen&(1<<n) != 0 {
				return false
			}
			e.headerSeen |= 1 << n
			v, ok := s.scalar()
			if !ok {
				return false
			}
			if *p, ok = s.text(v); !ok {
				return false
			}
		default: // ignored, as the decoder ignores it
			if !s.skip(0) {
				return false
			}
		}
		if s.consume(',') {
			continue
		}
		return s.consume('}') && e.inputSeen && s.end()
	}
}

// input reads the input object, remembering the white space inside it.
func (s *jsonScanner) input(e *onePass) bool {
	s.space()
	e.input[0] = s.i
	s.gaps = make([][2]int, 0, 16) // a compact body has none; a pretty one grows it
	defer func() { s.gapsOn = false }()
	s.gapsOn = true
	if !s.consume('{') {
		return false
	}
	if !s.consume('}') {
		for {
			key, ok := s.key()
			if !ok {
				return false
			}
			name := s.str(s.i-1-len(key), s.i-1)
			if !s.consume(':') {
				return false
			}
			if len(e.nodes) == maxNodes {
				return false // an input has a few nodes; the check below is quadratic
			}
			for _, n := range e.nodes {
				if n.name == name {
					return false // which one counts is the decoder's to say
				}
			}
			s.space()
			at := s.i
			if name == "feedetail" && at < len(s.b) && s.b[at] == '[' {
				e.fees.inpatient = e.h.Infno == text(settlement.KindUploadInpFees)
				e.fees.lines = make([]settlement.FeeLine, 0, min(maxFeeLines, 1+bytes.Count(s.b[at:], []byte("{"))))
				if !s.feeLines(&e.fees, nil) {
					return false
				}
				e.feedetail = true
			} else if !s.skip(0) {
				return false
			}
			e.nodes = append(e.nodes, nodeSpan{name: name, i: at, j: s.i})
			if s.consume(',') {
				continue
			}
			if !s.consume('}') {
				return false
			}
			break
		}
	}
	e.input[1] = s.i
	return true
}

// maxNodes bounds the input's members the pass reads.
const maxNodes = 16

// maxSkipDepth bounds the nesting skip follows; deeper is the decoder's.
const maxSkipDepth = 32

// skip steps over any JSON value, checking it. A string that is not plain
// must be valid UTF-8 and valid JSON.
func (s *jsonScanner) skip(depth int) bool {
	s.space()
	if s.i >= len(s.b) {
		return false
	}
	var closer byte
	switch s.b[s.i] {
	case '{':
		closer = '}'
	case '[':
		closer = ']'
	default:
		v, ok := s.scalar()
		return ok && (v[0] != '"' || s.plain || utf8.Valid(v) && json.Valid(v))
	}
	if depth == maxSkipDepth {
		return false
	}
	s.i++
	if s.consume(closer) {
		return true
	}
	for {
		if closer == '}' {
			s.space()
			if s.i >= len(s.b) || s.b[s.i] != '"' || !s.skip(depth+1) || !s.consume(':') {
				return false
			}
		}
		if !s.skip(depth + 1) {
			return false
		}
		if s.consume(',') {
			continue
		}
		return s.consume(closer)
	}
}

// field returns the header field a key names and its number, or nil.
func (h *Header) field(key []byte) (*string, uint) {
	switch string(key) {
	case "infno":
		return (*string)(&h.Infno), 0
	case "msgid":
		return (*string)(&h.MsgID), 1
	case "mdtrtarea_admvs":
		return (*string)(&h.MdtrtareaAdmv), 2
	case "insuplc_admdvs":
		return (*string)(&h.InsuplcAdmdvs), 3
	case "recer_sys_code":
		return (*string)(&h.RecerSysCode), 4
	case "dev_no":
		return (*string)(&h.DevNo), 5
	case "dev_safe_info":
		return (*string)(&h.DevSafeInfo), 6
	case "cainfo":
		return (*string)(&h.Cainfo), 7
	case "signtype":
		return (*string)(&h.Signtype), 8
	case "infver":
		return (*string)(&h.Infver), 9
	case "opter_type":
		return (*string)(&h.OpterType), 10
	case "opter":
		return (*string)(&h.Opter), 11
	case "opter_name":
		return (*string)(&h.OpterName), 12
	case "inf_time":
		return (*string)(&h.InfTime), 13
	case "fixmedins_code":
		return (*string)(&h.FixmedinsCode), 14
	case "fixmedins_name":
		return (*string)(&h.FixmedinsName), 15
	case "sign_no":
		return (*string)(&h.SignNo), 16
	}
	return nil, 0
}

// compactDigest is digestOf for the input body[span[0]:span[1]], which
// the pass has checked and whose white space between tokens is gaps: the
// compacted input is the bytes between them.
func compactDigest(infno string, body []byte, span [2]int, gaps [][2]int) string {
	h := sha256.New()
	h.Write([]byte(infno + "\n"))
	at := span[0]
	for _, g := range gaps {
		h.Write(body[at:g[0]])
		at = g[1]
	}
	h.Write(body[at:span[1]])
	var sum [sha256.Size]byte
	return hex.EncodeToString(h.Sum(sum[:0]))
}
