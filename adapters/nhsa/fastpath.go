package nhsa

import (
	"bytes"
	json "github.com/goccy/go-json"
	"strconv"
	"unicode/utf8"

	"github.com/provgate/provgate/internal/jsonnum"
	"github.com/provgate/provgate/settlement"
)

// Fast paths for the fee upload, the heaviest message: reading its lines
// and writing its answer without the reflection of the JSON package. Each
// handles the usual shape only and says so; anything else takes the
// general path, which therefore decides every refusal and every unusual
// spelling, as before.

// scanFeeLines reads input.feedetail, an array of flat objects, into fee
// lines as json.Unmarshal would. ok is false when the array holds anything
// the scanner does not read exactly as the decoder does: a value that is
// an object or array, a key with escapes, upper case or non-ASCII bytes
// (which the decoder matches to fields without regard to case), a value
// the field's own UnmarshalJSON refuses, or malformed JSON.
func scanFeeLines(raw []byte) (lines []feeLine, ok bool) {
	s := jsonScanner{b: raw}
	lines = make([]feeLine, 0, min(maxFeeLines+1, 1+bytes.Count(raw, []byte("{"))))
	ok = s.feeLines(nil, &lines)
	if !ok || !s.end() {
		return nil, false
	}
	return lines, true
}

// feeLines reads a feedetail array from where the scanner stands, adding
// each line to out or, when out is nil, to c as it is read.
//
// Hospitals write every line's keys in the same order: the first line's
// keys, each with its colon when nothing stands between them, are
// remembered, and a later line's key at the same place is matched with
// one comparison before it is read the long way.
func (s *jsonScanner) feeLines(c *feeChecker, out *[]feeLine) bool {
	if !s.consume('[') {
		return false
	}
	if s.consume(']') {
		return true
	}
	var known [24]struct {
		tok []byte // `"name":`
		n   int    // its field, or -1
	}
	nKnown := 0
	// The values go to a local array, indexed by field, and make a line at
	// its end: a store through a pointer to the line would cost a write
	// barrier each while the collector marks.
	var vals [feeFields]string
	for line := 0; ; line++ {
		if !s.consume('{') {
			return false
		}
		vals = [feeFields]string{}
		var seen uint32 // the fields set: a key given twice is the decoder's to judge
		if !s.consume('}') {
			for j := 0; ; j++ {
				var n int
				if j < nKnown && bytes.HasPrefix(s.b[s.i:], known[j].tok) {
					s.i += len(known[j].tok)
					n = known[j].n
				} else {
					at := s.i
					key, ok := s.key()
					if !ok || !s.consume(':') {
						return false
					}
					n = feeField(key)
					if line == 0 && j == nKnown && j < len(known) && s.i-at == len(key)+3 {
						known[j].tok, known[j].n = s.b[at:s.i], n
						nKnown++
					}
				}
				if v, ok := s.asciiValue(n, &seen); ok {
					vals[n] = v
				} else {
					v, ok := s.scalar()
					if !ok {
						return false
					}
					t, ok := s.setFee(n, v, &seen)
					if !ok {
						return false
					}
					if n >= 0 {
						vals[n] = t
					}
				}
				if s.consume(',') {
					continue
				}
				if !s.consume('}') {
					return false
				}
				break
			}
		}
		l := lineOf(&vals)
		if out != nil {
			*out = append(*out, l)
		} else {
			c.add(&l)
		}
		if s.consume(',') {
			continue
		}
		return s.consume(']')
	}
}

// asciiValue reads a string of printable ASCII without escapes, the
// usual value, for field n without the general steps of scalar and
// setFee. It reports false, having read nothing, for any other value, an
// unknown key or a field set before.
func (s *jsonScanner) asciiValue(n int, seen *uint32) (string, bool) {
	b, i := s.b, s.i
	if i >= len(b) || b[i] != '"' || n < 0 || *seen&(1<<n) != 0 {
		return "", false
	}
	j := i + 1
	for j < len(b) && strByte[b[j]] {
		j++
	}
	if j >= len(b) || b[j] != '"' {
		return "", false
	}
	*seen |= 1 << n
	s.i = j + 1
	return s.str(i+1, j), true
}

// setFee reads the scalar v just scanned for field n (see feeField) as
// the field's UnmarshalJSON would; unknown keys are ignored, as the
// decoder ignores them. It reports false when the value is refused or the
// field was set before (seen has a bit per field).
func (s *jsonScanner) setFee(n int, v []byte, seen *uint32) (string, bool) {
	if n < 0 {
		// Ignored, as the decoder ignores it, but only a value the decoder
		// would have skipped without complaint: a plain string (no
		// escapes, no control characters, valid UTF-8) or a number or
		// literal the scanner checked.
		return "", v[0] != '"' || s.plain
	}
	if *seen&(1<<n) != 0 {
		return "", false
	}
	*seen |= 1 << n
	return s.text(v)
}

// feeField numbers the fields of a fee line by key; -1 is a key the line
// does not have.
func feeField(key []byte) int {
	switch string(key) {
	case "feedetl_sn":
		return 0
	case "mdtrt_id":
		return 1
	case "psn_no":
		return 2
	case "chrg_bchno":
		return 3
	case "med_type":
		return 4
	case "dise_codg":
		return 5
	case "rx_circ_flag":
		return 6
	case "fee_ocur_time":
		return 7
	case "med_list_codg":
		return 8
	case "medins_list_codg":
		return 9
	case "det_item_fee_sumamt":
		return 10
	case "cnt":
		return 11
	case "pric":
		return 12
	case "bilg_dept_codg":
		return 13
	case "bilg_dept_name":
		return 14
	case "bilg_dr_codg":
		return 15
	case "bilg_dr_name":
		return 16
	case "hosp_appr_flag":
		return 17
	}
	return -1
}

// feeFields is how many fields feeField numbers.
const feeFields = 18

// lineOf makes a line of its values by field number (see feeField).
func lineOf(v *[feeFields]string) feeLine {
	return feeLine{
		FeedetlSn: text(v[0]), MdtrtID: text(v[1]), PsnNo: text(v[2]), ChrgBchno: text(v[3]),
		MedType: text(v[4]), DiseCodg: text(v[5]), RxCircFlag: text(v[6]), FeeOcurTime: text(v[7]),
		MedListCodg: text(v[8]), MedinsListCodg: text(v[9]),
		Amount: decimal(v[10]), Cnt: decimal(v[11]), Pric: decimal(v[12]),
		BilgDeptCodg: text(v[13]), BilgDeptName: text(v[14]), BilgDrCodg: text(v[15]), BilgDrName: text(v[16]),
		HospApprFlag: text(v[17]),
	}
}

// text reads the scalar v just scanned as text.UnmarshalJSON does (and
// decimal's, which is the same): a plain string is its contents, null is
// empty, a number or boolean its spelling. Only a string with escapes goes
// through the decoder.
func (s *jsonScanner) text(v []byte) (string, bool) {
	switch v[0] {
	case '"':
		if s.plain {
			return s.str(s.start+1, s.i-1), true
		}
		var t text
		err := t.UnmarshalJSON(v)
		return string(t), err == nil
	case 'n':
		return "", true
	}
	return s.str(s.start, s.i), true
}

// str returns b[i:j] as a string: a substring of src when the scanner has
// one, so that the values of a message share one allocation.
func (s *jsonScanner) str(i, j int) string {
	if s.src != "" {
		return s.src[i:j]
	}
	return string(s.b[i:j])
}

// jsonScanner reads the few JSON tokens scanFeeLines needs, strictly.
type jsonScanner struct {
	b   []byte
	src string // b as a string, or empty: see str
	i   int
	// start is where the last scalar began; plain says whether it was a
	// string that needs no decoding: no escapes, no control characters,
	// valid UTF-8.
	start int
	plain bool
	// gaps are the runs of white space stepped over while gapsOn.
	gaps   [][2]int
	gapsOn bool
}

func (s *jsonScanner) space() {
	b, i := s.b, s.i
	for i < len(b) && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t') {
		i++
	}
	if s.gapsOn && i > s.i {
		s.gaps = append(s.gaps, [2]int{s.i, i})
	}
	s.i = i
}

// consume skips white space and then c, if c is next.
func (s *jsonScanner) consume(c byte) bool {
	if s.i < len(s.b) && s.b[s.i] == c { // most tokens follow without white space
		s.i++
		return true
	}
	s.space()
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// end reports whether only white space is left.
func (s *jsonScanner) end() bool {
	s.space()
	return s.i == len(s.b)
}

// key reads an object key made of lower-case ASCII letters, digits and
// '_' only: any other key is the decoder's to match.
func (s *jsonScanner) key() ([]byte, bool) {
	if !s.consume('"') {
		return nil, false
	}
	b, start := s.b, s.i
	i := start
	for i < len(b) && keyByte[b[i]] {
		i++
	}
	if i == len(b) || b[i] != '"' {
		s.i = i
		return nil, false
	}
	s.i = i + 1
	return b[start:i], true
}

// jsonPlain are the bytes json.Marshal writes in a string as they are:
// printable ASCII but '"', '\\' and, escaped as HTML, '<', '>' and '&'.
var jsonPlain = func() (t [256]bool) {
	for c := 0x20; c <= 0x7e; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return
}()

// keyByte are the bytes key accepts; strByte those a plain string holds
// without a second look (not '"', '\\', a control character or non-ASCII).
var keyByte, strByte = func() (k, p [256]bool) {
	for c := 0; c < 256; c++ {
		k[c] = 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_'
		p[c] = c >= 0x20 && c < 0x80 && c != '"' && c != '\\'
	}
	return
}()

// scalar returns the bytes of a string, number, true, false or null, and
// sets start and plain. Strings are delimited (escapes stepped over) and
// numbers checked against the JSON grammar; their contents are judged by
// the field.
func (s *jsonScanner) scalar() ([]byte, bool) {
	s.space()
	if s.i >= len(s.b) {
		return nil, false
	}
	start := s.i
	s.start, s.plain = start, false
	switch c := s.b[s.i]; {
	case c == '"':
		return s.str1()
	case c == '-' || '0' <= c && c <= '9':
		n := jsonnum.Len(s.b[s.i:])
		if n == 0 {
			return nil, false
		}
		s.i += n
		return s.b[start:s.i], true
	}
	for _, lit := range [...]string{"true", "false", "null"} {
		if bytes.HasPrefix(s.b[s.i:], []byte(lit)) {
			s.i += len(lit)
			return s.b[start:s.i], true
		}
	}
	return nil, false
}

// str1 reads the string whose opening quote is at s.start.
func (s *jsonScanner) str1() ([]byte, bool) {
	b, i := s.b, s.i+1 // locals: the loops run without a store per byte
	plain, ascii := true, true
	for {
		for i < len(b) && strByte[b[i]] {
			i++
		}
		if i >= len(b) {
			s.i = i
			return nil, false
		}
		switch c := b[i]; {
		case c == '"':
			s.i = i + 1
			v := b[s.start:s.i]
			s.plain = plain && (ascii || utf8.Valid(v[1:len(v)-1]))
			return v, true
		case c == '\\':
			plain = false
			i += 2
		case c < 0x20:
			plain = false
			i++
		default:
			ascii = false
			i++
		}
	}
}

// feeOutput writes the output of a fee upload, {"result":[...]}, as
// json.Marshal writes it for the feeResult rows.
func feeOutput(lines []settlement.LineSplit) []byte {
	return appendFeeOutput(make([]byte, 0, feeOutputSize(lines)), lines)
}

// feeOutputSize is about what feeOutput writes, a little more as a rule,
// so that the answer is written into one buffer.
func feeOutputSize(lines []settlement.LineSplit) int {
	n := 16
	for i := range lines {
		l := &lines[i]
		n += 420 + len(l.FeedetlSn) + len(l.Class) + len(l.ChargeType) + len(l.Memo)
	}
	return n
}

// appendFeeOutput appends feeOutput's bytes to b.
func appendFeeOutput(b []byte, lines []settlement.LineSplit) []byte {
	b = append(b, `{"result":[`...)
	for i := range lines {
		if i > 0 {
			b = append(b, ',')
		}
		l := &lines[i]
		b = append(b, `{"feedetl_sn":`...)
		b = appendJSONString(b, l.FeedetlSn)
		b = append(b, `,"det_item_fee_sumamt":`...)
		b = l.Amount.Append(b)
		b = append(b, `,"cnt":`...)
		b = l.Qty.Append(b)
		b = append(b, `,"pric":`...)
		b = l.Price.Append(b)
		b = append(b, `,"pric_uplmt_amt":`...)
		if l.PriceCap > 0 {
			b = l.PriceCap.Append(b)
		} else {
			b = append(b, noPriceCap...)
		}
		b = append(b, `,"selfpay_prop":`...)
		b = settlement.AppendScaled(b, int64(l.SelfPay), 4)
		for _, f := range [...]struct {
			key string
			v   settlement.Fen
		}{{`,"fulamt_ownpay_amt":`, l.Fulamt}, {`,"overlmt_amt":`, l.Overlmt}, {`,"preselfpay_amt":`, l.Preselfpay}, {`,"inscp_scp_amt":`, l.Inscp}} {
			b = append(b, f.key...)
			b = f.v.Append(b)
		}
		b = append(b, `,"chrgitm_lv":`...)
		b = appendJSONString(b, string(l.Class))
		b = append(b, `,"med_chrgitm_type":`...)
		b = appendJSONString(b, l.ChargeType)
		b = append(b, `,"bas_medn_flag":"0","hi_nego_drug_flag":"0","chld_medc_flag":"0","list_sp_item_flag":"0","lmt_used_flag":"`...)
		b = append(b, yesNo(l.Restricted)...)
		b = append(b, `","drt_reim_flag":"0","memo":`...)
		b = appendJSONString(b, l.Memo)
		b = append(b, '}')
	}
	return append(b, "]}"...)
}

// envelope writes the response envelope as json.Marshal writes Response;
// output must be compact JSON (json.Marshal's or feeOutput's).
func (resp *Response) appendTo(b []byte) []byte {
	b = resp.appendHead(b)
	b = append(b, resp.Output...)
	return append(b, '}')
}

// appendHead writes the envelope up to its output, which comes last.
func (resp *Response) appendHead(b []byte) []byte {
	b = append(b, `{"infcode":`...)
	b = strconv.AppendInt(b, int64(resp.Infcode), 10)
	b = append(b, `,"inf_refmsgid":`...)
	b = appendJSONString(b, resp.InfRefmsgid)
	b = append(b, `,"refmsg_time":`...)
	b = appendJSONString(b, resp.RefmsgTime)
	b = append(b, `,"respond_time":`...)
	b = appendJSONString(b, resp.RespondTime)
	b = append(b, `,"err_msg":`...)
	b = appendJSONString(b, resp.ErrMsg)
	if resp.WarnMsg != "" {
		b = append(b, `,"warn_msg":`...)
		b = appendJSONString(b, resp.WarnMsg)
	}
	return append(b, `,"output":`...)
}

// appendJSONString writes s as json.Marshal does. A string of printable
// ASCII without the characters it escapes ('"', '\\', and '<', '>', '&'
// as HTML) is written as it is; any other is left to json.Marshal.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if !jsonPlain[s[i]] {
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
