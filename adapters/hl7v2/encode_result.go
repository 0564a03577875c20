package hl7v2

import (
	"fmt"
	"strconv"

	"github.com/provgate/provgate/settlement"
)

// result adds the Z-segments that carry one answer (doc.go lists them).
func (w *writer) result(req settlement.Request, a settlement.Answer) error {
	o := a.Outcome
	switch req.Kind {
	case settlement.KindPersonInfo:
		if o.Person == nil {
			return missingOutcome(req.Kind, "Person")
		}
		w.person(o.Person)
	case settlement.KindRegister, settlement.KindAdmit:
		if o.Visit == nil {
			return missingOutcome(req.Kind, "Visit")
		}
		w.visit(o.Visit)
	case settlement.KindDischarge, settlement.KindCancelRegister, settlement.KindCancelAdmit, settlement.KindCancelDischarge:
		if o.Visit != nil {
			w.visit(o.Visit)
		}
	case settlement.KindUploadFees, settlement.KindUploadInpFees:
		for i := range o.Lines {
			w.line(&o.Lines[i])
		}
	case settlement.KindPreSettle, settlement.KindSettle, settlement.KindCancelSettle,
		settlement.KindInpPreSettle, settlement.KindInpSettle, settlement.KindInpCancel:
		if o.Record == nil {
			return missingOutcome(req.Kind, "Record")
		}
		w.record(o.Record, req.Kind != settlement.KindPreSettle && req.Kind != settlement.KindInpPreSettle)
	default:
		return fmt.Errorf("hl7v2: no reply for transaction %s", req.Kind)
	}
	return nil
}

func missingOutcome(k settlement.Kind, what string) error {
	return fmt.Errorf("hl7v2: the answer to %s has no %s", k, what)
}

// visit writes ZVI: the visit provgate opened or changed.
func (w *writer) visit(v *settlement.Visit) {
	w.seg("ZVI")
	w.field(v.MdtrtID)
	w.field(v.PsnNo)
	w.field(v.IptOtpNo)
	w.field(string(v.State))
	w.field(v.InsuredAdmdvs)
	w.dtm(v.Begntime)
	w.dtm(v.Endtime)
}

// line writes ZFL: one fee line with the catalog's split. The lines are
// most of a fee upload's reply: each is appended to a local slice, stored
// back in w once, instead of value by value through w.
func (w *writer) line(l *settlement.LineSplit) {
	d := w.d
	b := append(w.b, "\rZFL"...)
	b = d.appendField(b, l.FeedetlSn)
	b = settlement.AppendScaled(append(b, d.field), int64(l.Amount), 2)
	b = settlement.AppendTrimmed(append(b, d.field), int64(l.Qty), 4)
	b = settlement.AppendTrimmed(append(b, d.field), int64(l.Price), 6)
	b = append(b, d.field)
	if l.PriceCap > 0 { // else empty: no cap
		b = settlement.AppendScaled(b, int64(l.PriceCap), 2)
	}
	b = settlement.AppendScaled(append(b, d.field), int64(l.SelfPay), 4)
	for _, v := range [...]settlement.Fen{l.Fulamt, l.Overlmt, l.Preselfpay, l.Inscp, l.HospPart} {
		b = settlement.AppendScaled(append(b, d.field), int64(v), 2)
	}
	b = d.appendField(b, string(l.Class))
	b = d.appendField(b, l.ChargeType)
	b = d.appendField(b, flagValue(l.Restricted))
	w.b = d.appendField(b, l.Memo)
}

// record writes ZSR, the settlement, and one ZFD per fund that paid.
func (w *writer) record(r *settlement.Record, withID bool) {
	a := &r.Amounts
	w.seg("ZSR")
	if withID {
		w.field(r.SetlID)
	} else {
		w.empty(1) // a pre-settlement records nothing
	}
	w.field(r.MdtrtID)
	w.field(r.PsnNo)
	w.dtm(r.SetlTime)
	w.field(r.Insutype)
	w.field(r.MedType)
	for _, v := range [...]settlement.Fen{a.Medfee, a.Fulamt, a.Overlmt, a.Preselfpay, a.Inscp, a.ActPayDedc, a.Hifp} {
		w.fen(v)
	}
	w.decimal(int64(a.PoolProp), 4, false)
	for _, v := range [...]settlement.Fen{a.Cvlserv, a.Hifes, a.Hifmi, a.Hifob, a.Maf, a.Oth, a.FundPay, a.PsnPart,
		a.AcctPay, a.PsnCash, a.HospPart, a.Balc, a.AcctMulaid} {
		w.fen(v)
	}
	w.field(r.MsgID)
	w.field(r.ClrOptins)
	w.field(r.ClrWay)
	w.field(r.ClrType)
	w.field(r.Cancels)
	for i := range r.Details {
		d := &r.Details[i]
		w.seg("ZFD")
		w.b = append(w.b, w.d.field)
		w.b = strconv.AppendInt(w.b, int64(i+1), 10)
		w.field(d.FundPayType)
		w.fen(d.Paid)
		w.fen(d.Inscp)
		w.fen(d.LimitLeft)
		w.field(d.Name)
		w.field(d.Process)
	}
}

// person writes the answer to a person query: PID with the person number
// (PN) and certificate (NI for a resident ID card, else the national
// psn_cert_type as the identifier type), one ZIN per insurance and one ZID
// per special identity.
func (w *writer) person(pi *settlement.PersonInfo) {
	p := &pi.Person
	w.seg("PID")
	w.field("1")
	w.empty(1)
	idType := "NI"
	if p.CertType != "" && p.CertType != "01" {
		idType = p.CertType
	}
	w.b = append(w.b, w.d.field)
	w.b = w.d.appendEscaped(w.b, p.PsnNo)
	w.b = append(w.b, w.d.comp, w.d.comp, w.d.comp, w.d.comp, 'P', 'N', w.d.rep)
	w.b = w.d.appendEscaped(w.b, p.CertNo)
	w.b = append(w.b, w.d.comp, w.d.comp, w.d.comp, w.d.comp)
	w.b = w.d.appendEscaped(w.b, idType)
	w.empty(1)
	w.field(p.Name)
	w.empty(1)
	w.date(p.Birthdate)
	w.field(sex(p.Gender))
	w.empty(13)
	w.field(p.Nation) // PID-22 ethnic group: the national naty code
	for i, in := range p.Insurances {
		w.seg("ZIN")
		w.b = append(w.b, w.d.field)
		w.b = strconv.AppendInt(w.b, int64(i+1), 10)
		w.field(in.Insutype)
		w.field(in.PsnType)
		w.field(in.Status)
		w.field(in.InsuredAdmdvs)
		w.date(in.Since)
		w.field(in.CvlservFlag)
		w.field(in.EmpName)
		var balc settlement.Fen
		if in.Insutype == "310" {
			balc = pi.Balance // the account belongs to employee insurance
		}
		w.fen(balc)
	}
	for i, id := range p.Identities {
		w.seg("ZID")
		w.b = append(w.b, w.d.field)
		w.b = strconv.AppendInt(w.b, int64(i+1), 10)
		w.field(id.Type)
		w.date(id.Begin)
		w.date(id.End)
	}
}

// sex maps the national gend (1 male, 2 female) to HL7 table 0001.
func sex(gend string) string {
	switch gend {
	case "1":
		return "M"
	case "2":
		return "F"
	}
	return "U"
}

// fen adds an amount in yuan with two decimals.
func (w *writer) fen(v settlement.Fen) { w.decimal(int64(v), 2, false) }

// decimal adds a scaled integer as a decimal with scale places, as the
// national interface writes them: 1.2500 (a ratio), or with trim 1.25 (a
// quantity or price), without allocating.
func (w *writer) decimal(v int64, scale int, trim bool) {
	t := append(w.tail(12), w.d.field) // most amounts fit
	if trim {
		w.keep(settlement.AppendTrimmed(t, v, scale))
	} else {
		w.keep(settlement.AppendScaled(t, v, scale))
	}
}

// flag adds a national 0/1 flag.
func (w *writer) flag(v bool) { w.field(flagValue(v)) }

// flagValue is a national 0/1 flag.
func flagValue(v bool) string {
	if v {
		return "1"
	}
	return "0"
}

// dtm adds a national date-time ("2006-01-02 15:04:05") as an HL7 DTM in
// China time; a value of another shape is written as it is.
func (w *writer) dtm(v string) {
	if !shaped(v, "0000-00-00 00:00:00") {
		w.field(v)
		return
	}
	t := append(w.tail(20), w.d.field)
	t = append(t, v[0:4]...)
	t = append(t, v[5:7]...)
	t = append(t, v[8:10]...)
	t = append(t, v[11:13]...)
	t = append(t, v[14:16]...)
	t = append(t, v[17:19]...)
	w.keep(append(t, "+0800"...))
}

// date adds a national date ("2006-01-02", or the date of a date-time) as
// an HL7 DT; a value of another shape is written as it is.
func (w *writer) date(v string) {
	if len(v) < 10 || !shaped(v[:10], "0000-00-00") {
		w.field(v)
		return
	}
	t := append(w.tail(9), w.d.field)
	t = append(t, v[0:4]...)
	t = append(t, v[5:7]...)
	w.keep(append(t, v[8:10]...))
}

// shaped reports whether v has the shape of pattern, where 0 stands for
// any digit.
func shaped(v, pattern string) bool {
	if len(v) != len(pattern) {
		return false
	}
	for i := 0; i < len(v); i++ {
		if p := pattern[i]; p == '0' && (v[i] < '0' || v[i] > '9') || p != '0' && v[i] != p {
			return false
		}
	}
	return true
}
