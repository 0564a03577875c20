package nhsa

import (
	"bytes"
	json "github.com/goccy/go-json"
	"strconv"

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
	if !s.consume('[') {
		return nil, false
	}
	lines = make([]feeLine, 0, min(maxFeeLines+1, 1+bytes.Count(raw, []byte("{"))))
	if s.consume(']') {
		return lines, s.end()
	}
	for {
		if !s.consume('{') {
			return nil, false
		}
		lines = append(lines, feeLine{})
		l := &lines[len(lines)-1]
		var seen uint32 // the fields set: a key given twice is the decoder's to judge
		if !s.consume('}') {
			for {
				key, ok := s.key()
				if !ok || !s.consume(':') {
					return nil, false
				}
				v, ok := s.scalar()
				if !ok || !l.set(key, v, &seen) {
					return nil, false
				}
				if s.consume(',') {
					continue
				}
				if !s.consume('}') {
					return nil, false
				}
				break
			}
		}
		if s.consume(',') {
			continue
		}
		if !s.consume(']') {
			return nil, false
		}
		return lines, s.end()
	}
}

// set stores a value under its key as the field's UnmarshalJSON would;
// unknown keys are ignored, as the decoder ignores them. It reports false
// when the value is refused or the field was set before (seen has a bit
// per field).
func (l *feeLine) set(key, v []byte, seen *uint32) bool {
	var t *text
	var d *decimal
	var n uint // the field's number, for seen
	switch string(key) {
	case "feedetl_sn":
		t, n = &l.FeedetlSn, 0
	case "mdtrt_id":
		t, n = &l.MdtrtID, 1
	case "psn_no":
		t, n = &l.PsnNo, 2
	case "chrg_bchno":
		t, n = &l.ChrgBchno, 3
	case "med_type":
		t, n = &l.MedType, 4
	case "dise_codg":
		t, n = &l.DiseCodg, 5
	case "rx_circ_flag":
		t, n = &l.RxCircFlag, 6
	case "fee_ocur_time":
		t, n = &l.FeeOcurTime, 7
	case "med_list_codg":
		t, n = &l.MedListCodg, 8
	case "medins_list_codg":
		t, n = &l.MedinsListCodg, 9
	case "det_item_fee_sumamt":
		d, n = &l.Amount, 10
	case "cnt":
		d, n = &l.Cnt, 11
	case "pric":
		d, n = &l.Pric, 12
	case "bilg_dept_codg":
		t, n = &l.BilgDeptCodg, 13
	case "bilg_dept_name":
		t, n = &l.BilgDeptName, 14
	case "bilg_dr_codg":
		t, n = &l.BilgDrCodg, 15
	case "bilg_dr_name":
		t, n = &l.BilgDrName, 16
	case "hosp_appr_flag":
		t, n = &l.HospApprFlag, 17
	default:
		// Ignored, as the decoder ignores it, but only a value the decoder
		// would have skipped without complaint: a plain string (no
		// escapes, no control characters, valid UTF-8) or a number or
		// literal the scanner checked.
		if v[0] == '"' {
			_, ok := plainString(v)
			return ok
		}
		return true
	}
	if *seen&(1<<n) != 0 {
		return false
	}
	*seen |= 1 << n
	if d != nil {
		return d.UnmarshalJSON(v) == nil
	}
	return t.UnmarshalJSON(v) == nil
}

// jsonScanner reads the few JSON tokens scanFeeLines needs, strictly.
type jsonScanner struct {
	b []byte
	i int
}

func (s *jsonScanner) space() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// consume skips white space and then c, if c is next.
func (s *jsonScanner) consume(c byte) bool {
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
	start := s.i
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			s.i++
			return s.b[start : s.i-1], true
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '_':
			s.i++
		default:
			return nil, false
		}
	}
	return nil, false
}

// scalar returns the bytes of a string, number, true, false or null.
// Strings are delimited (escapes stepped over) and numbers checked against
// the JSON grammar; their contents are judged by the field.
func (s *jsonScanner) scalar() ([]byte, bool) {
	s.space()
	if s.i >= len(s.b) {
		return nil, false
	}
	start := s.i
	switch c := s.b[s.i]; {
	case c == '"':
		for s.i++; s.i < len(s.b); s.i++ {
			switch s.b[s.i] {
			case '\\':
				s.i++
			case '"':
				s.i++
				return s.b[start:s.i], true
			}
		}
		return nil, false
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

// feeOutput writes the output of a fee upload, {"result":[...]}, as
// json.Marshal writes it for the feeResult rows.
func feeOutput(lines []settlement.LineSplit) []byte {
	b := make([]byte, 0, 64+400*len(lines))
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
		b = append(b, l.SelfPay.Fraction()...)
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
	b = append(b, `,"output":`...)
	b = append(b, resp.Output...)
	return append(b, '}')
}

// appendJSONString writes s as json.Marshal does. A string of printable
// ASCII without the characters it escapes ('"', '\\', and '<', '>', '&'
// as HTML) is written as it is; any other is left to json.Marshal.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
