package delimited

import (
	"errors"
	"strconv"
	"time"

	"github.com/provgate/provgate/settlement"
)

// ContentType is the HTTP Content-Type of replies to m: the charset the
// message came in, GB18030 when it is not known.
func ContentType(m *Message) string {
	if m != nil && m.charset == utf8Set {
		return "text/plain; charset=UTF-8"
	}
	return "text/plain; charset=GB18030"
}

// Encode writes the reply to a decoded message; answers[i] answers
// m.Requests[i]. The reply depends only on the message and the answers
// (times come from their stamps), so a replayed answer gets the same bytes.
func (m *Message) Encode(answers []settlement.Answer) ([]byte, error) {
	if len(answers) == 0 || len(answers) != len(m.Requests) {
		return nil, errors.New("delimited: " + strconv.Itoa(len(answers)) + " answers for " + strconv.Itoa(len(m.Requests)) + " requests")
	}
	last := answers[len(answers)-1].Stamp
	size := 512
	for i := range answers {
		size += 100 * len(answers[i].Outcome.Lines) // a line's row is about 90 bytes
	}
	w := writer{b: make([]byte, 0, size)}
	w.b = append(w.b, "0^"...)
	w.b = last.Time().AppendFormat(w.b, compactDateTime)
	w.b = appendPadded(w.b, last.Index%1e10, 10)
	w.b = append(w.b, '^')
	w.b = append(w.b, m.signNo...)
	w.b = append(w.b, '^')
	w.b = append(w.b, m.msgID...)
	w.b = append(w.b, '^')
	w.b = last.Time().AppendFormat(w.b, time.DateTime)
	w.b = append(w.b, '^')
	for i, a := range answers {
		if err := w.output(m.Requests[i].Kind, a); err != nil {
			return nil, err
		}
	}
	w.b = append(w.b, '^')
	return encodeText(w.b, m.charset), nil
}

// EncodeError writes a refusal: return code −1, no centre serial, and one
// output row with the code and the Chinese and English reasons. m is nil
// when the message could not be read far enough to know its charset.
func EncodeError(m *Message, e *settlement.Error, at time.Time) []byte {
	if e == nil {
		e = settlement.Errorf(settlement.CodeInternal, "-")
	}
	cs := gb18030
	w := writer{b: make([]byte, 0, 256)}
	w.b = append(w.b, "-1^^"...)
	if m != nil {
		cs = m.charset
		w.b = append(w.b, m.signNo...)
		w.b = append(w.b, '^')
		w.b = append(w.b, m.msgID...)
	} else {
		w.b = append(w.b, '^')
	}
	w.b = append(w.b, '^')
	w.b = at.In(chinaTime).AppendFormat(w.b, time.DateTime)
	w.b = append(w.b, '^')
	w.row()
	w.str(string(e.Code))
	w.str(e.ZH)
	w.str(e.EN)
	w.b = append(w.b, '^')
	return encodeText(w.b, cs)
}

// chinaTime is UTC+8, the zone of every time a hospital reads.
var chinaTime = time.FixedZone("CST", 8*3600)

func (w *writer) output(kind settlement.Kind, a settlement.Answer) error {
	o := a.Outcome
	switch kind {
	case settlement.KindPersonInfo:
		if o.Person == nil {
			return missingPart(kind, "Person")
		}
		w.person(o.Person, a.Stamp)
	case settlement.KindRegister, settlement.KindAdmit, settlement.KindDischarge, settlement.KindCancelRegister,
		settlement.KindCancelAdmit, settlement.KindCancelDischarge, settlement.KindCancelFees, settlement.KindCancelInpFees:
		if o.Visit == nil {
			return missingPart(kind, "Visit")
		}
		w.row()
		w.str(o.Visit.MdtrtID)
		w.str(o.Visit.PsnNo)
		w.str(o.Visit.IptOtpNo)
	case settlement.KindUploadFees, settlement.KindUploadInpFees:
		w.lines(o.Lines)
	case settlement.KindPreSettle, settlement.KindSettle, settlement.KindCancelSettle,
		settlement.KindInpPreSettle, settlement.KindInpSettle, settlement.KindInpCancel:
		if o.Record == nil {
			return missingPart(kind, "Record")
		}
		w.record(o.Record, kind != settlement.KindPreSettle && kind != settlement.KindInpPreSettle)
	default:
		return errors.New("delimited: no reply layout for " + string(kind))
	}
	return nil
}

func missingPart(kind settlement.Kind, part string) error {
	return errors.New("delimited: the answer to " + string(kind) + " has no " + part)
}

// person writes 1101: the person with the account balance and the counts of
// the insurance and identity rows that follow.
func (w *writer) person(pi *settlement.PersonInfo, st settlement.Stamp) {
	p := &pi.Person
	w.row()
	w.str(p.PsnNo)
	w.str(p.CertType)
	w.str(p.CertNo)
	w.str(p.Name)
	w.str(p.Gender)
	w.str(p.Nation)
	w.str(p.Birthdate)
	w.str(age(p.Birthdate, st.Time()))
	w.fen(pi.Balance)
	w.int(len(p.Insurances))
	w.int(len(p.Identities))
	for _, in := range p.Insurances {
		w.row()
		w.str(in.Insutype)
		w.str(in.PsnType)
		w.str(in.Status)
		w.str(in.Since)
		w.str(in.CvlservFlag)
		w.str(in.InsuredAdmdvs)
		w.str(in.EmpName)
	}
	for _, id := range p.Identities {
		w.row()
		w.str(id.Type)
		w.str(id.Begin)
		w.str(id.End)
	}
}

// lines writes a fee upload: the count and the split totals (what 2207
// echoes), then one row per line.
func (w *writer) lines(ls []settlement.LineSplit) {
	var medfee, fulamt, overlmt, preselfpay, inscp, hosp settlement.Fen
	for i := range ls {
		l := &ls[i]
		medfee += l.Amount
		fulamt += l.Fulamt
		overlmt += l.Overlmt
		preselfpay += l.Preselfpay
		inscp += l.Inscp
		hosp += l.HospPart
	}
	w.row()
	w.int(len(ls))
	w.fen(medfee)
	w.fen(fulamt)
	w.fen(overlmt)
	w.fen(preselfpay)
	w.fen(inscp)
	w.fen(hosp)
	// The rows of the lines are written to a local slice: see appendStr.
	b := w.b
	for i := range ls {
		l := &ls[i]
		b = append(b, '\n')
		b = appendStr(b, l.FeedetlSn)
		b = append(b, '\t')
		b = settlement.AppendScaled(b, int64(l.Amount), 2)
		b = append(b, '\t')
		b = l.Qty.Append(b)
		b = append(b, '\t')
		b = l.Price.Append(b)
		b = append(b, '\t')
		if l.PriceCap > 0 {
			b = settlement.AppendScaled(b, int64(l.PriceCap), 2)
		} // else no price cap: an empty column
		b = append(b, '\t')
		b = settlement.AppendScaled(b, int64(l.SelfPay), 4)
		for _, f := range [...]settlement.Fen{l.Fulamt, l.Overlmt, l.Preselfpay, l.Inscp, l.HospPart} {
			b = append(b, '\t')
			b = settlement.AppendScaled(b, int64(f), 2)
		}
		b = append(b, '\t')
		b = appendStr(b, string(l.Class))
		b = append(b, '\t')
		b = appendStr(b, l.ChargeType)
		restricted := byte('0')
		if l.Restricted {
			restricted = '1'
		}
		b = append(b, '\t', restricted)
		b = append(b, '\t')
		b = appendStr(b, l.Memo)
	}
	w.b = b
	w.rows += len(ls)
}

// record writes a settlement, its preview or its cancellation, then one
// row per fund (setldetail).
func (w *writer) record(r *settlement.Record, withID bool) {
	a := &r.Amounts
	w.row()
	if withID {
		w.str(r.SetlID)
	} else {
		w.str("")
	}
	w.str(r.MdtrtID)
	w.str(r.PsnNo)
	w.str(r.PsnName)
	w.str(r.Insutype)
	w.str(r.PsnType)
	w.str(r.SetlTime)
	for _, f := range [...]settlement.Fen{a.Medfee, a.Fulamt, a.Overlmt, a.Preselfpay, a.Inscp, a.ActPayDedc, a.Hifp} {
		w.fen(f)
	}
	w.scaled(int64(a.PoolProp), 4)
	for _, f := range [...]settlement.Fen{a.Cvlserv, a.Hifes, a.Hifmi, a.Hifob, a.Maf, a.Oth, a.FundPay, a.PsnPart,
		a.AcctPay, a.PsnCash, a.HospPart, a.Balc, a.AcctMulaid} {
		w.fen(f)
	}
	w.str(r.MsgID)
	w.str(r.ClrOptins)
	w.str(r.ClrWay)
	w.str(r.ClrType)
	w.int(len(r.Details))
	for i := range r.Details {
		d := &r.Details[i]
		w.row()
		w.str(d.FundPayType)
		w.str(d.Name)
		w.fen(d.Inscp)
		w.fen(d.LimitLeft)
		w.fen(d.Paid)
	}
}

// age is the age in whole years on now's date, in the national (4,1) form.
func age(brdy string, now time.Time) string {
	b, err := time.Parse(time.DateOnly, brdy)
	if err != nil {
		return ""
	}
	years := now.Year() - b.Year()
	if now.Month() < b.Month() || (now.Month() == b.Month() && now.Day() < b.Day()) {
		years--
	}
	return strconv.Itoa(years) + ".0"
}
