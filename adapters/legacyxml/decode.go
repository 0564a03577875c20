package legacyxml

import (
	"strconv"

	"github.com/provgate/provgate/settlement"
)

// Message is one decoded hospital message.
type Message struct {
	// Requests are the domain requests this message stands for, in the
	// order the gateway must submit them: one, or two for a settlement that
	// carries its fee rows (the fee upload first, then the settlement).
	Requests []settlement.Request

	cs    charset // the reply's charset: the request's
	msgNo string  // MSGNO as sent
	msgID string  // MSGID as sent
}

// Format names this format in content digests (settlement.ContentDigest),
// so that equal requests in two formats never share a digest.
const Format = "legacyxml"

// Decode translates one message. A refusal is a *settlement.Error naming
// the element, row or line and column. Once the charset is known, a
// refusal comes with a Message too (without Requests), carrying what was
// read of the head, so that EncodeError answers in the request's charset
// and echoes its MSGNO and MSGID; before that the Message is nil.
func Decode(body []byte) (*Message, error) {
	if len(body) > MaxBodyBytes {
		return nil, settlement.Errorf(settlement.CodeTooLarge, strconv.Itoa(MaxBodyBytes))
	}
	return decode(body, true)
}

// decode is Decode; fast reads a GBK message as sent, without
// transcoding it (see parser.gbk), and leaf elements in one step
// (leafElement, leaf) and a fee row's from join to join (rowLeaves),
// which changes nothing but the speed. Without fast it is the general
// reader on the decoded text, which the tests compare it with.
func decode(body []byte, fast bool) (*Message, error) {
	src, cs, gbk, err := source(body, fast)
	if err != nil {
		return nil, err
	}
	m := &Message{cs: cs}
	var d doc
	defer d.release()
	err = parse(src, &d, gbk, fast)
	if gbk && err != nil && err != errInPlace && !gbkInTable(body) {
		// Read in place, a message is checked only where it was read;
		// bytes the charset lacks are refused first, as the decoded
		// reading refuses them.
		err = errInPlace
	}
	if err == errInPlace {
		d.release()
		d = doc{}
		if src, _, _, err = source(body, false); err != nil {
			return nil, err // a charset refusal, which comes without a Message
		}
		err = parse(src, &d, false, fast)
	}
	if err != nil {
		return m, err
	}
	m.msgNo, m.msgID = d.v[fMsgNo], d.v[fMsgID]
	reqs, err := requests(&d)
	if err != nil {
		return m, err
	}
	m.Requests = reqs
	return m, nil
}

// requests builds the domain requests of a parsed message.
func requests(d *doc) ([]settlement.Request, error) {
	b := builder{d: d}
	code := b.need(fMsgNo)
	if b.err != nil {
		return nil, b.err
	}
	kind, ok := lookupTxn(code)
	if !ok {
		return nil, settlement.Errorf(settlement.CodeUnknownCode, b.where(fMsgNo), quote(code), knownTxns)
	}
	head := b.head()
	if b.err != nil {
		return nil, b.err
	}
	if len(d.fees) > 0 || d.lists[0] {
		switch kind {
		case settlement.KindUploadFees, settlement.KindUploadInpFees, settlement.KindSettle, settlement.KindInpSettle:
		case settlement.KindPreSettle, settlement.KindInpPreSettle:
			return nil, settlement.Errorf(settlement.CodeBadMessage, format, feeList, settlement.Bi(
				"预结算不能携带费用明细：请先以费用明细上传交易上传，或随结算交易一并发送",
				"a pre-settlement cannot carry fee rows: upload them first, or send them with the settlement"))
		default:
			return nil, settlement.Errorf(settlement.CodeBadMessage, format, feeList, settlement.Bi(
				"交易 "+code+" 不接受费用明细", "transaction "+code+" takes no fee rows"))
		}
	}
	steps := []settlement.Kind{kind}
	switch {
	case kind == settlement.KindSettle && len(d.fees) > 0:
		steps = []settlement.Kind{settlement.KindUploadFees, kind}
	case kind == settlement.KindInpSettle && len(d.fees) > 0:
		steps = []settlement.Kind{settlement.KindUploadInpFees, kind}
	}
	out := make([]settlement.Request, len(steps))
	for i, k := range steps {
		r := head
		r.Kind = k
		if len(steps) > 1 {
			r.MsgID += "-" + string(k)
		}
		b.fill(&r)
		if b.err != nil {
			return nil, b.err
		}
		r.Digest = settlement.ContentDigest(Format, r)
		out[i] = r
	}
	return out, nil
}

// head reads what every request of the message shares.
func (b *builder) head() settlement.Request {
	r := settlement.Request{
		MsgID:         b.id(fMsgID),
		Hospital:      b.id(fHospital),
		Operator:      b.need(fOperID),
		SignNo:        b.opt(fBatNo),
		TreatAdmdvs:   b.region(fTreatAdmdvs),
		InsuredAdmdvs: b.region(fInsuAdmdvs),
	}
	if b.opt(fOptTime) != "" {
		b.dateTime(fOptTime) // checked, not carried: it is the HIS clock, not business content
	}
	return r
}

// fill adds the kind's part to r.
func (b *builder) fill(r *settlement.Request) {
	if r.Kind != settlement.KindPersonInfo {
		r.Ref = b.ref()
	}
	switch r.Kind {
	case settlement.KindPersonInfo:
		certType, certNo := b.cert()
		r.Person = &settlement.PersonQuery{CertType: certType, CertNo: certNo}
	case settlement.KindRegister:
		r.Register = b.registration(r.Ref)
	case settlement.KindCancelRegister:
		r.VisitRef = &settlement.VisitRef{IptOtpNo: r.Ref.VisitNo}
	case settlement.KindCancelAdmit, settlement.KindCancelDischarge:
		r.VisitRef = &settlement.VisitRef{}
	case settlement.KindUploadFees, settlement.KindUploadInpFees:
		r.Fees = b.fees(r.Ref, r.Kind == settlement.KindUploadInpFees)
	case settlement.KindPreSettle, settlement.KindSettle, settlement.KindInpPreSettle, settlement.KindInpSettle:
		r.Settle = b.settle(r.Ref, r.Kind)
	case settlement.KindCancelSettle, settlement.KindInpCancel:
		r.Cancel = &settlement.CancelRequest{SetlID: b.id(fSetlID)}
	case settlement.KindAdmit:
		r.Admission = b.admission(r.Ref)
	case settlement.KindDischarge:
		r.Discharge = b.discharge()
	}
}
