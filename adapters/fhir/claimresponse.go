package fhir

import (
	"fmt"
	"strconv"

	"github.com/provgate/provgate/settlement"
)

// claimResponse writes the ClaimResponse: the last step's settlement record
// (totals, funds, payment) and the fee step's line splits (per item
// adjudication).
func (m *Message) claimResponse(answers []settlement.Answer) ([]byte, error) {
	last := len(answers) - 1
	kind := m.Requests[last].Kind
	rec := answers[last].Outcome.Record
	if rec == nil {
		return nil, fmt.Errorf("fhir: the answer to %s carries no settlement record", kind)
	}
	var lines []settlement.LineSplit
	for i, q := range m.Requests {
		if q.Kind == settlement.KindUploadFees || q.Kind == settlement.KindUploadInpFees {
			lines = answers[i].Outcome.Lines
		}
	}
	// About 3.5 KB besides the items (the testdata replies, compact) and
	// 750 bytes an item: sized so the buffer is never grown, which would
	// copy the reply and allocate it twice.
	w := newWriter(4096 + 800*len(lines))
	w.open('{')
	w.constant("resourceType", "ClaimResponse")
	if rec.SetlID != "" || rec.MdtrtID != "" {
		w.key("identifier")
		w.open('[')
		if rec.SetlID != "" {
			w.open('{')
			w.field("system", sysSetlID)
			w.field("value", rec.SetlID)
			w.close('}')
		}
		if rec.MdtrtID != "" {
			w.open('{')
			w.field("system", sysMdtrtID)
			w.field("value", rec.MdtrtID)
			w.close('}')
		}
		w.close(']')
	}
	w.constant("status", "active")
	w.concept("type", csClaimType, m.claimType, "")
	w.constant("use", m.use)
	w.key("patient")
	w.open('{')
	w.identifier("identifier", sysPsnNo, rec.PsnNo)
	w.field("display", rec.PsnName)
	w.close('}')
	w.time("created", answers[last].Stamp.Time())
	w.key("insurer")
	w.open('{')
	w.identifier("identifier", sysAdmdvs, rec.InsuredAdmdvs)
	w.close('}')
	if rec.Hospital != "" {
		w.key("requestor")
		w.open('{')
		w.identifier("identifier", sysFixmedins, rec.Hospital)
		w.close('}')
	}
	w.key("request")
	w.open('{')
	w.constant("type", "Claim")
	w.identifier("identifier", m.identSystem, m.identValue)
	w.close('}')
	w.constant("outcome", "complete")
	switch kind {
	case settlement.KindPreSettle, settlement.KindInpPreSettle:
		w.field("disposition", "预结算结果，未记账 / pre-settlement: nothing was recorded")
	case settlement.KindCancelSettle, settlement.KindInpCancel:
		w.field("disposition", "结算 "+rec.Cancels+" 已撤销 / settlement "+rec.Cancels+" cancelled")
	default:
		w.field("disposition", "结算完成 / settled")
	}
	if len(lines) > 0 {
		w.key("item")
		w.open('[')
		for i := range lines {
			itemAdjudication(&w, &lines[i])
		}
		w.close(']')
	}
	w.key("total")
	w.open('[')
	for i, t := range settlementTotals {
		if v := t.of(&rec.Amounts); v != 0 || t.always {
			w.categoryAmount(totalHeads[i], v)
		}
	}
	for _, d := range rec.Details {
		w.open('{')
		w.concept("category", csFundPayType, d.FundPayType, d.Name)
		w.money("amount", d.Paid)
		w.close('}')
	}
	w.close(']')
	if rec.SetlID != "" {
		w.key("payment")
		w.open('{')
		w.concept("type", csPaymentType, "complete", "")
		if len(rec.SetlTime) >= 10 { // the settlement's date, else the stamp's
			w.field("date", rec.SetlTime[:10])
		} else {
			w.date("date", answers[last].Stamp.Time())
		}
		w.money("amount", rec.Amounts.FundPay)
		w.identifier("identifier", sysSetlID, rec.SetlID)
		w.close('}')
	}
	w.close('}')
	return w.done(), nil
}

// classNames are the displays of the item classes (chrgitm_lv).
var classNames = map[settlement.ItemClass]string{settlement.ClassA: "甲类", settlement.ClassB: "乙类", settlement.ClassC: "丙类"}

// lineParts are the parts of a line's split written under their national
// names when they are not zero.
var lineParts = [...]struct {
	code string
	of   func(*settlement.LineSplit) settlement.Fen
}{
	{"fulamt_ownpay_amt", func(l *settlement.LineSplit) settlement.Fen { return l.Fulamt }},
	{"overlmt_amt", func(l *settlement.LineSplit) settlement.Fen { return l.Overlmt }},
	{"preselfpay_amt", func(l *settlement.LineSplit) settlement.Fen { return l.Preselfpay }},
	{"hosp_part_amt", func(l *settlement.LineSplit) settlement.Fen { return l.HospPart }},
}

// itemAdjudication writes one line's split as the adjudication of its
// item: submitted (the line amount) and eligible (in scope, with the item
// class as reason) in HL7's categories, then the other parts of the split
// and the self-pay ratio under their national names.
func itemAdjudication(w *writer, l *settlement.LineSplit) {
	// The item is appended whole to a local slice, stored once: what
	// open, key, int, categoryAmount and close write, in the fewest
	// pieces: the end of each amount's object and the head of the next
	// are one constant.
	w.sep()
	seq, _ := strconv.Atoi(l.FeedetlSn) // feedetl_sn is the item's sequence
	b := append(w.b, `{"itemSequence":`...)
	b = strconv.AppendInt(b, int64(seq), 10)
	b = append(b, itemHead...)
	b = l.Amount.Append(b)
	b = append(b, eligibleJoin(l.Class)...)
	b = l.Inscp.Append(b)
	for i, p := range lineParts {
		if v := p.of(l); v != 0 {
			b = append(b, linePartJoins[i]...)
			b = v.Append(b)
		}
	}
	if l.SelfPay != 0 {
		b = append(b, selfPayJoin...)
		b = settlement.AppendScaled(b, int64(l.SelfPay), 4) // BP.Fraction, without its string
		w.b = append(b, '}', ']', '}')
		return
	}
	w.b = append(b, amountEnd+`]}`...)
}

// amountEnd closes a category's object after its amount's value.
const amountEnd = `,"currency":"CNY"}}`

// total is one ClaimResponse.total: its category and the amount it takes
// from the settlement.
type total struct {
	system, code string
	of           func(*settlement.Amounts) settlement.Fen
	always       bool // written even when zero
}

func hl7(code string, of func(*settlement.Amounts) settlement.Fen) total {
	return total{csHL7Adjud, code, of, true}
}

func nationalTotal(code string, of func(*settlement.Amounts) settlement.Fen) total {
	return total{csAdjudication, code, of, false}
}

func always(t total) total { t.always = true; return t }

// settlementTotals are the totals of a ClaimResponse: five HL7 categories
// a FHIR client looks for, then every setlinfo amount under its national
// name; those are written when not zero, except the funds' total and the
// patient's share (account and cash), which always are.
var settlementTotals = [...]total{
	hl7("submitted", func(a *settlement.Amounts) settlement.Fen { return a.Medfee }),
	hl7("eligible", func(a *settlement.Amounts) settlement.Fen { return a.Inscp }),
	hl7("deductible", func(a *settlement.Amounts) settlement.Fen { return a.ActPayDedc }),
	hl7("benefit", func(a *settlement.Amounts) settlement.Fen { return a.FundPay }),
	hl7("copay", func(a *settlement.Amounts) settlement.Fen { return a.PsnCash }),
	nationalTotal("medfee_sumamt", func(a *settlement.Amounts) settlement.Fen { return a.Medfee }),
	nationalTotal("fulamt_ownpay_amt", func(a *settlement.Amounts) settlement.Fen { return a.Fulamt }),
	nationalTotal("overlmt_selfpay", func(a *settlement.Amounts) settlement.Fen { return a.Overlmt }),
	nationalTotal("preselfpay_amt", func(a *settlement.Amounts) settlement.Fen { return a.Preselfpay }),
	nationalTotal("inscp_scp_amt", func(a *settlement.Amounts) settlement.Fen { return a.Inscp }),
	nationalTotal("act_pay_dedc", func(a *settlement.Amounts) settlement.Fen { return a.ActPayDedc }),
	nationalTotal("hifp_pay", func(a *settlement.Amounts) settlement.Fen { return a.Hifp }),
	nationalTotal("cvlserv_pay", func(a *settlement.Amounts) settlement.Fen { return a.Cvlserv }),
	nationalTotal("hifes_pay", func(a *settlement.Amounts) settlement.Fen { return a.Hifes }),
	nationalTotal("hifmi_pay", func(a *settlement.Amounts) settlement.Fen { return a.Hifmi }),
	nationalTotal("hifob_pay", func(a *settlement.Amounts) settlement.Fen { return a.Hifob }),
	nationalTotal("maf_pay", func(a *settlement.Amounts) settlement.Fen { return a.Maf }),
	nationalTotal("oth_pay", func(a *settlement.Amounts) settlement.Fen { return a.Oth }),
	always(nationalTotal("fund_pay_sumamt", func(a *settlement.Amounts) settlement.Fen { return a.FundPay })),
	always(nationalTotal("psn_part_amt", func(a *settlement.Amounts) settlement.Fen { return a.PsnPart })),
	always(nationalTotal("acct_pay", func(a *settlement.Amounts) settlement.Fen { return a.AcctPay })),
	always(nationalTotal("psn_cash_pay", func(a *settlement.Amounts) settlement.Fen { return a.PsnCash })),
	nationalTotal("hosp_part_amt", func(a *settlement.Amounts) settlement.Fen { return a.HospPart }),
	nationalTotal("acct_mulaid_pay", func(a *settlement.Amounts) settlement.Fen { return a.AcctMulaid }),
	nationalTotal("balc", func(a *settlement.Amounts) settlement.Fen { return a.Balc }),
}

// The objects of a fixed category (the totals, a line's parts) are written
// in one piece up to their amount, each piece made once by the writer
// itself: a reply has dozens of them, and writing each element by element
// was a third of the encoding.
var (
	totalHeads    [len(settlementTotals)]string
	linePartHeads [len(lineParts)]string
	submittedHead = categoryHead(csHL7Adjud, "submitted", "amount") + `{"value":`
	selfPayHead   = categoryHead(csAdjudication, "selfpay_prop", "value")
	eligibleHeads = map[settlement.ItemClass]string{}

	eligibleHeadA, eligibleHeadB, eligibleHeadC string

	// An item's pieces between its amounts: what follows the sequence up
	// to the submitted amount, and the end of one amount's object with the
	// head of the next.
	itemHead      = `,"adjudication":[` + submittedHead
	linePartJoins [len(lineParts)]string
	selfPayJoin   = amountEnd + "," + selfPayHead

	eligibleJoinA, eligibleJoinB, eligibleJoinC string
)

// eligibleJoin is amountEnd, a comma and eligibleHead(c).
func eligibleJoin(c settlement.ItemClass) string {
	switch c {
	case settlement.ClassA:
		return eligibleJoinA
	case settlement.ClassB:
		return eligibleJoinB
	case settlement.ClassC:
		return eligibleJoinC
	}
	return amountEnd + "," + eligibleHead(c)
}

// eligibleHead is the head of a line's eligible amount, with the line's
// class as its reason: made once for each class there is (the class's
// display would otherwise be escaped on every line).
func eligibleHead(c settlement.ItemClass) string {
	switch c { // the usual classes without hashing their names
	case settlement.ClassA:
		return eligibleHeadA
	case settlement.ClassB:
		return eligibleHeadB
	case settlement.ClassC:
		return eligibleHeadC
	}
	if h, ok := eligibleHeads[c]; ok {
		return h
	}
	return makeEligibleHead(c)
}

// makeEligibleHead is what open, two concepts and key write for a line's
// eligible amount.
func makeEligibleHead(c settlement.ItemClass) string {
	var w writer
	w.open('{')
	w.concept("category", csHL7Adjud, "eligible", "")
	if c != "" {
		w.concept("reason", csChrgitmLv, string(c), classNames[c])
	}
	w.key("amount")
	return string(w.b) + `{"value":`
}

func init() {
	for i, t := range settlementTotals {
		totalHeads[i] = categoryHead(t.system, t.code, "amount") + `{"value":`
	}
	for i, p := range lineParts {
		linePartHeads[i] = categoryHead(csAdjudication, p.code, "amount") + `{"value":`
		linePartJoins[i] = amountEnd + "," + linePartHeads[i]
	}
	for _, c := range []settlement.ItemClass{"", settlement.ClassA, settlement.ClassB, settlement.ClassC} {
		eligibleHeads[c] = makeEligibleHead(c)
	}
	eligibleHeadA, eligibleHeadB, eligibleHeadC = eligibleHeads[settlement.ClassA], eligibleHeads[settlement.ClassB], eligibleHeads[settlement.ClassC]
	eligibleJoinA, eligibleJoinB, eligibleJoinC = amountEnd+","+eligibleHeadA, amountEnd+","+eligibleHeadB, amountEnd+","+eligibleHeadC
}

// categoryHead is what open, concept and key write for an object of one
// category, up to the value of its member key.
func categoryHead(system, code, key string) string {
	var w writer
	w.open('{')
	w.concept("category", system, code, "")
	w.key(key)
	return string(w.b)
}

// categoryAmount writes an object whose head (see categoryHead) ends at
// a Money's value: what open, concept, money and close write.
func (w *writer) categoryAmount(head string, f settlement.Fen) {
	w.sep()
	w.b = appendCategoryAmount(w.b, head, f)
}

// appendCategoryAmount is categoryAmount without the comma.
func appendCategoryAmount(b []byte, head string, f settlement.Fen) []byte {
	b = append(b, head...)
	b = f.Append(b)
	return append(b, `,"currency":"CNY"}}`...)
}
