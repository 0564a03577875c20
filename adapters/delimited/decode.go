package delimited

import (
	"strconv"
	"strings"

	"github.com/provgate/provgate/settlement"
)

// Limits of one message. Decode refuses larger inputs before it allocates
// in proportion to them.
const (
	// MaxBytes bounds the body: 1000 fee lines of a generous width fit.
	MaxBytes = 1 << 20
	// MaxRecords bounds the records of the input: the main record and up to
	// 1000 fee lines or diagnoses (hospitals send 100 lines per upload).
	MaxRecords = 1001
	// maxFields is the widest layout.
	maxFields = 14
)

// Message is one decoded hospital message.
type Message struct {
	// Requests are the domain requests the message stands for, in the order
	// the gateway must submit them: one, or for 2720 the fee upload (2204)
	// and then the settlement (2207).
	Requests []settlement.Request

	charset charset
	msgID   string // 医院交易流水号, echoed in the reply
	signNo  string // 业务周期号, echoed in the reply
}

// header is the layout of the caret-separated envelope (NATIONAL-INTERFACE
// §6.1); position 7 holds the input records.
var header = []col{
	{"infno", "业务编号", true},
	{"fixmedins_code", "医疗机构编号", true},
	{"opter", "操作员编号", true},
	{"sign_no", "业务周期号", false},
	{"msgid", "医院交易流水号", true},
	{"insuplc_admdvs", "中心编码", false},
	{"input", "入参", true},
	{"online", "联机标志", false},
}

// Decode translates one message. A refusal is a *settlement.Error naming
// the header field, or the record and field, and what was expected. Once
// the charset is known Decode returns the Message even with a refusal, so
// that EncodeError can answer in the hospital's charset and echo its
// message id; its Requests are then nil.
func Decode(body []byte) (*Message, error) {
	if len(body) > MaxBytes {
		return nil, settlement.Errorf(settlement.CodeTooLarge, strconv.Itoa(MaxBytes))
	}
	text, cs, err := decodeText(body)
	if err != nil {
		return nil, err
	}
	m := &Message{charset: cs}
	reqs, err := m.decode(strings.TrimSpace(text))
	if err != nil {
		return m, err
	}
	m.Requests = reqs
	return m, nil
}

func (m *Message) decode(text string) ([]settlement.Request, error) {
	d := &decoder{}
	if text == "" {
		d.cols = header
		return nil, settlement.Errorf(settlement.CodeBadMessage, format, d.pos(0), settlement.Bi("报文为空", "the message is empty"))
	}
	if !d.start(0, text, '^', header, 7) {
		return nil, d.err
	}
	// Echo the ids in a refusal even when an earlier field is wrong, but
	// only well-formed ones.
	if v := d.f(3); printable(v, 30) {
		m.signNo = v
	}
	if v := d.f(4); printable(v, 30) {
		m.msgID = v
	}
	code := d.text()
	tx, ok := transactions[code]
	if d.err != nil {
		return nil, d.err
	}
	if !ok {
		return nil, settlement.Errorf(settlement.CodeUnknownCode, d.field(0), quote(code), knownTransactions)
	}
	base := settlement.Request{Kind: tx.steps[0], Hospital: d.id(), Operator: d.id(), SignNo: d.id()}
	d.id() // msgid, taken above
	base.InsuredAdmdvs = d.centre()
	input, _ := d.next()
	d.oneOf("1") // 联机标志: provgate settles online only
	if d.err != nil {
		return nil, d.err
	}
	recs, err := records(input)
	if err != nil {
		return nil, err
	}
	reqs := tx.decode(d, recs, base)
	if d.err != nil {
		return nil, d.err
	}
	for i := range reqs {
		r := &reqs[i]
		r.MsgID = m.msgID
		if len(reqs) > 1 {
			r.MsgID += "-" + string(r.Kind)
		}
		r.Digest = settlement.ContentDigest("delimited", *r)
	}
	return reqs, nil
}

// centre reads 中心编码: the insured place's 6-digit region, or "0000" or
// empty when the hospital does not name it (the state machine then takes
// it from the person's insurance).
func (d *decoder) centre() string {
	v, i := d.next()
	if v == "" || v == "0000" || d.err != nil {
		return ""
	}
	if len(v) != 6 || strings.Trim(v, "0123456789") != "" {
		d.fail(settlement.Errorf(settlement.CodeBadField, d.field(i), expect("6位医保区划代码或 0000", "a 6-digit region code or 0000", v)))
		return ""
	}
	return v
}

// records splits the input into records at line breaks and '#', skipping
// blank ones.
func records(input string) ([]string, error) {
	// Sized once from the separators: a fee upload has a record per line.
	n := min(strings.Count(input, "\n")+strings.Count(input, "#")+1, MaxRecords+1)
	recs := make([]string, 0, n)
	for input != "" {
		// The next line break, or an earlier '#' (rarer: looked for only
		// within the line).
		i := strings.IndexByte(input, '\n')
		if i < 0 {
			i = len(input)
		}
		if j := strings.IndexByte(input[:i], '#'); j >= 0 {
			i = j
		}
		r := input[:i]
		input = input[min(i+1, len(input)):]
		if r = strings.TrimSpace(r); r == "" {
			continue
		}
		if len(recs) == MaxRecords {
			return nil, settlement.Errorf(settlement.CodeBadMessage, format, settlement.Bi(
				"第"+strconv.Itoa(MaxRecords+1)+"条记录", "record "+strconv.Itoa(MaxRecords+1)), settlement.Bi(
				"每个报文最多 "+strconv.Itoa(MaxRecords)+" 条记录（主记录和最多1000条明细）",
				"at most "+strconv.Itoa(MaxRecords)+" records per message (the main record and up to 1000 lines)"))
		}
		recs = append(recs, r)
	}
	if len(recs) == 0 {
		return nil, settlement.Errorf(settlement.CodeMissingField, settlement.Bi("入参 input（报文头第7个字段）", "input (header field 7)"))
	}
	return recs, nil
}

// only refuses records after the first for transactions that take one.
func only(d *decoder, recs []string) {
	if len(recs) > 1 {
		d.fail(settlement.Errorf(settlement.CodeBadMessage, format, settlement.Bi("第2条记录", "record 2"),
			settlement.Bi("该交易只有一条记录", "this transaction takes a single record")))
	}
}
