package hl7v2

import (
	"fmt"
	"slices"
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

// line writes ZFL: one fee line with the catalog's split.
func (w *writer) line(l *settlement.LineSplit) {
	w.seg("ZFL")
	w.field(l.FeedetlSn)
	w.fen(l.Amount)
	w.decimal(int64(l.Qty), 4, true)
	w.decimal(int64(l.Price), 6, true)
	if l.PriceCap > 0 {
		w.fen(l.PriceCap)
	} else {
		w.empty(1) // no cap
	}
	w.decimal(int64(l.SelfPay), 4, false)
	w.fen(l.Fulamt)
	w.fen(l.Overlmt)
	w.fen(l.Preselfpay)
	w.fen(l.Inscp)
	w.fen(l.HospPart)
	w.field(string(l.Class))
	w.field(l.ChargeType)
	w.flag(l.Restricted)
	w.field(l.Memo)
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
	w.keep(appendDecimal(append(w.tail(12), w.d.field), v, scale, trim)) // most amounts fit
}

// maxDecimal bounds what appendDecimal writes: sign, 20 digits, point and
// at most 18 places.
const maxDecimal = 40

// appendDecimal is decimal's work on a slice of its own: appending through
// w would store w.b's pointer at every step, each store a write barrier
// while the collector marks.
//
// The digits are written from the last one back into a buffer on the stack,
// dividing by the constant 10 (a multiplication) rather than by a power of
// ten held in a variable, a hardware division per digit.
func appendDecimal(b []byte, v int64, scale int, trim bool) []byte {
	u := uint64(v)
	if v < 0 {
		u = -u
	}
	// The scales the replies use split at a constant divisor; the digits
	// are then written two at a time, from the last pair back.
	var ip, frac uint64
	switch scale {
	case 2:
		ip, frac = u/100, u%100
	case 4:
		ip, frac = u/10_000, u%10_000
	case 6:
		ip, frac = u/1_000_000, u%1_000_000
	default:
		return appendDecimalDigits(b, v, scale, trim)
	}
	// The length first, then the digits straight into b from the last
	// back: copying a few bytes from a buffer costs a call to memmove.
	places := scale
	if trim {
		if frac == 0 {
			places = 0
		}
		for ; places > 0 && frac%10 == 0; places-- {
			frac /= 10
		}
	}
	n := 1
	for x := ip; x >= 10; x /= 10 {
		n++
	}
	if places > 0 {
		n += 1 + places
	}
	if v < 0 {
		n++
	}
	b = slices.Grow(b, n)
	o := b[len(b) : len(b)+n]
	j := n
	if places%2 == 1 {
		j--
		o[j] = '0' + byte(frac%10)
		frac /= 10
	}
	for k := places / 2; k > 0; k-- {
		j -= 2
		o[j], o[j+1] = pairs[frac%100*2], pairs[frac%100*2+1]
		frac /= 100
	}
	if places > 0 {
		j--
		o[j] = '.'
	}
	for ip >= 100 {
		j -= 2
		o[j], o[j+1] = pairs[ip%100*2], pairs[ip%100*2+1]
		ip /= 100
	}
	if ip >= 10 {
		o[j-2], o[j-1] = pairs[ip*2], pairs[ip*2+1]
	} else {
		o[j-1] = '0' + byte(ip)
	}
	if v < 0 {
		o[0] = '-'
	}
	return b[:len(b)+n]
}

// pairs are the numbers 00 to 99, two digits each.
const pairs = "00010203040506070809101112131415161718192021222324252627282930313233343536373839" +
	"40414243444546474849505152535455565758596061626364656667686970717273747576777879" +
	"8081828384858687888990919293949596979899"

// appendDecimalDigits is appendDecimal for any scale, a digit at a time.
func appendDecimalDigits(b []byte, v int64, scale int, trim bool) []byte {
	u := uint64(v)
	if v < 0 {
		u = -u
	}
	var buf [maxDecimal]byte // scale is at most 18
	i := len(buf)
	shown := !trim // with trim, trailing zeros of the fraction are left out
	for range scale {
		d := byte(u % 10)
		u /= 10
		if shown = shown || d != 0; shown {
			i--
			buf[i] = '0' + d
		}
	}
	if shown {
		i--
		buf[i] = '.'
	}
	for {
		i--
		buf[i] = '0' + byte(u%10)
		if u /= 10; u == 0 {
			break
		}
	}
	if v < 0 {
		i--
		buf[i] = '-'
	}
	return append(b, buf[i:]...)
}

// flag adds a national 0/1 flag.
func (w *writer) flag(v bool) {
	if v {
		w.field("1")
	} else {
		w.field("0")
	}
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
