package fhir

import (
	"strconv"

	"github.com/valyala/fastjson"

	"github.com/provgate/provgate/settlement"
)

// hospApprFlags are the national hosp_appr_flag values: 0 no approval
// needed, 1 approved, 2 refused.
const hospApprFlags = "0 1 2"

// feeLines reads Claim.item as national fee lines, one charge batch. Each
// line's net must be unitPrice × quantity rounded to the fen, and the
// Claim's total, when given, the sum of the nets.
func feeLines(c value, items []value, v visit, diags diagSet, batch string) ([]settlement.FeeLine, settlement.Fen, error) {
	if len(items) == 0 {
		return nil, 0, missingAt(c, ".item")
	}
	if len(items) > maxItems {
		return nil, 0, tooMany(c, ".item", maxItems)
	}
	lines := make([]settlement.FeeLine, len(items))
	var few [32]int // the sequences of a usual Claim, without an allocation
	seqs := few[:0]
	if len(items) > len(few) {
		seqs = make([]int, 0, len(items))
	}
	var sum settlement.Fen
	for i, it := range items {
		if it.Type() != fastjson.TypeObject {
			return nil, 0, wrongType(c, ".item["+strconv.Itoa(i)+"]", "object")
		}
		seq, ok := fastLine(it, v, batch, &lines[i])
		if !ok {
			var err error
			if seq, err = feeLine(it, v, diags, batch, &lines[i]); err != nil {
				return nil, 0, err
			}
		}
		for k := 0; k < i; k++ {
			if seqs[k] == seq {
				return nil, 0, badAt(it, ".sequence", "序号重复："+lines[i].FeedetlSn, "repeats sequence "+lines[i].FeedetlSn)
			}
		}
		seqs = append(seqs, seq)
		sum += lines[i].Amount
	}
	total, ok, err := amount(c, "total")
	if err != nil {
		return nil, 0, err
	}
	if ok && total != sum {
		return nil, 0, badAt(c, ".total", "应为各项 net 之和 "+sum.String()+"，实为 "+total.String(),
			"must be the sum of item.net, "+sum.String()+", not "+total.String())
	}
	return lines, sum, nil
}

// feeLine reads one Claim.item into l and returns its sequence.
func feeLine(it value, v visit, diags diagSet, batch string, l *settlement.FeeLine) (int, error) {
	f := findMembers(it)
	seq, _, err := integerAt(it, "sequence", f.sequence)
	if err != nil {
		return 0, err
	}
	if seq < 1 {
		return 0, badAt(it, ".sequence", "应为正整数", "must be a positive integer")
	}
	l.FeedetlSn = strconv.Itoa(seq)
	l.ChrgBchno = batch
	if err := itemCodes(it, f.productOrService, l); err != nil {
		return 0, err
	}
	if per := f.servicedPeriod; per != nil {
		l.FeeOcurTime, err = dateTimeOf(per, "start")
	} else {
		l.FeeOcurTime, err = dateTimeAt(it, "servicedDate", f.servicedDate)
	}
	if err != nil {
		return 0, err
	}
	if l.FeeOcurTime == "" {
		l.FeeOcurTime = v.begin // the visit's start is the best time known
	}
	if err := itemAmounts(it, &f, l); err != nil {
		return 0, err
	}
	exts, err := listAt(it, "extension", f.extension)
	if err != nil {
		return 0, err
	}
	for _, e := range exts {
		if string(raw(e, "url")) == extHospApprFlag {
			code := string(raw(e, "valueCode"))
			if err := checkCode(e, ".valueCode", code, hospApprFlags); err != nil {
				return 0, err
			}
			l.HospApprFlag = code
		}
	}
	dseq, err := listAt(it, "diagnosisSequence", f.diagnosisSequence)
	if err != nil {
		return 0, err
	}
	if len(dseq) > 0 {
		n, err := dseq[0].Int()
		if err != nil {
			return 0, wrongType(it, ".diagnosisSequence[0]", "integer")
		}
		code, ok := diags.code(n)
		if !ok {
			return 0, badAt(it, ".diagnosisSequence[0]", "没有序号为 "+strconv.Itoa(n)+" 的 Claim.diagnosis",
				"no Claim.diagnosis has sequence "+strconv.Itoa(n))
		}
		l.DiseCodg = code
	}
	return seq, nil
}

// itemCodes reads the national catalog code (med_list_codg, required) and
// the hospital's own code (medins_list_codg: any other coding, else the
// national code) of an item; x is its productOrService.
func itemCodes(it, x value, l *settlement.FeeLine) error {
	ps, err := objAt(it, "productOrService", x)
	if err != nil {
		return err
	}
	codings, err := list(ps, "coding")
	if err != nil {
		return err
	}
	var national, own value // the code members
	for _, cd := range codings {
		sys, code := pair(cd, "system", "code")
		if len(stringBytes(code)) == 0 {
			continue
		}
		if string(stringBytes(sys)) == csMedList {
			if national == nil {
				national = code
			}
		} else if own == nil {
			own = code
		}
	}
	if national == nil {
		return missingAt(it, ".productOrService.coding (system "+csMedList+")")
	}
	// The codes are strings (they have bytes), so reading them cannot
	// refuse.
	l.MedListCodg, _ = national.stringValue()
	l.MedinsListCodg = l.MedListCodg
	if own != nil {
		l.MedinsListCodg, _ = own.stringValue()
	}
	if len(l.MedListCodg) > 50 || !printable(l.MedListCodg) || len(l.MedinsListCodg) > 50 || !printable(l.MedinsListCodg) {
		return badAt(ps, ".coding", "项目编码应为不超过 50 位的可见 ASCII 字符", "item codes have at most 50 printable ASCII characters")
	}
	return nil
}

// itemAmounts reads quantity, unitPrice and net, and checks that net is
// unitPrice × quantity rounded to the fen.
func itemAmounts(it value, f *itemMembers, l *settlement.FeeLine) error {
	q, err := objAt(it, "quantity", f.quantity)
	if err != nil {
		return err
	}
	cnt, err := number(q, "value")
	if err != nil {
		return err
	}
	if len(cnt) == 0 {
		return missingAt(it, ".quantity.value")
	}
	if l.Qty, err = settlement.ParseQty(string(cnt)); err != nil {
		got := quote(string(cnt))
		return badAt(q, ".value", "数量最多 4 位小数，实为 "+got, "a quantity has at most 4 decimals, got "+got)
	}
	factor, err := numberAt(it, "factor", f.factor)
	if err != nil {
		return err
	}
	if len(factor) > 0 {
		if f, err := settlement.ParseQty(string(factor)); err != nil || f != 10000 {
			return badAt(it, ".factor", "不支持折扣系数，应为 1 或不填", "factors are not supported; send 1 or leave it out")
		}
	}
	price, ok, err := amountAt(it, "unitPrice", f.unitPrice)
	if err != nil {
		return err
	}
	if !ok {
		return missingAt(it, ".unitPrice")
	}
	if l.Amount, ok, err = amountAt(it, "net", f.net); err != nil {
		return err
	}
	if !ok {
		return missingAt(it, ".net")
	}
	if l.Qty <= 0 || price < 0 || l.Amount < 0 {
		return badAt(it, ".quantity.value", "暂不支持退费明细（零或负数数量、负数金额），请以新的 Claim 发送更正后的明细",
			"refund lines (zero or negative quantity, negative amounts) are not supported yet; send the corrected items in a new Claim")
	}
	l.Price = settlement.Price(price) * 10000 // fen to the national 6-decimal unit price
	want, ok := settlement.LineAmount(l.Price, l.Qty)
	if !ok || want != l.Amount {
		amt := l.Amount.String()
		return faultAt(it, ".net", func(p string) *settlement.Error {
			return settlement.Errorf(settlement.CodeLineAmount, p, amt, want.String())
		})
	}
	return nil
}

// itemMembers are the members of a Claim.item that feeLine reads, each as
// get would return it (the first of its key, nil for null). On a tape they
// are found in one walk over the item's members: looking each of ten keys
// up walks them ten times, and was about a sixth of a 20-item round trip.
type itemMembers struct {
	sequence, productOrService, servicedPeriod, servicedDate, quantity,
	factor, unitPrice, net, extension, diagnosisSequence value
}

// itemKeys are the keys of itemMembers, in its order.
var itemKeys = [...]string{"sequence", "productOrService", "servicedPeriod", "servicedDate", "quantity",
	"factor", "unitPrice", "net", "extension", "diagnosisSequence"}

// itemKey is the place of key in itemKeys, or -1.
func itemKey(key []byte) int {
	switch string(key) {
	case "sequence":
		return 0
	case "productOrService":
		return 1
	case "servicedPeriod":
		return 2
	case "servicedDate":
		return 3
	case "quantity":
		return 4
	case "factor":
		return 5
	case "unitPrice":
		return 6
	case "net":
		return 7
	case "extension":
		return 8
	case "diagnosisSequence":
		return 9
	}
	return -1
}

// findMembers reads the members of the object it. They are gathered in a
// local array and returned by value: stores through a pointer would take
// write barriers.
func findMembers(it value) itemMembers {
	if it.kind == tree {
		return lookMembers(it)
	}
	if it.kind != kObject { // no members; vs is not an index
		return itemMembers{}
	}
	var m [len(itemKeys)]value
	d := it.d
	for c := it.vs + 1; c < it.end; c = d.nodes[c].end {
		x := &d.nodes[c]
		if k := itemKey(d.src[x.ks:x.ke]); k >= 0 && m[k] == nil {
			m[k] = x
		}
	}
	// A null member was taken (a later one of its key must not be) and
	// reads as absent.
	for k := range m {
		m[k] = notNull(m[k])
	}
	return itemMembers{m[0], m[1], m[2], m[3], m[4], m[5], m[6], m[7], m[8], m[9]}
}

// lookMembers reads the members of it by looking each key up, as the
// fallback does: what findMembers must agree with (tests).
func lookMembers(it value) itemMembers {
	var m [len(itemKeys)]value
	for k, key := range itemKeys {
		m[k] = get(it, key)
	}
	return itemMembers{m[0], m[1], m[2], m[3], m[4], m[5], m[6], m[7], m[8], m[9]}
}

// fastLine reads a usual Claim.item on a tape into l and returns its
// sequence, in one walk over its members and one over each member it
// reads, without the general readers' lookups, lists and refusal paths:
// about half of what feeLine spends on an item. l must be zero. ok is
// false, with l left zero, for anything else (a fallback node, a repeated or null member,
// a factor, a diagnosisSequence, a lone object for a list, a number as a
// string, and every item feeLine would refuse); feeLine then reads the
// item, so refusals and unusual items are feeLine's alone. Where fastLine
// takes an item, it reads it exactly as feeLine does (TestFastLine, and
// the parity tests through Decode).
func fastLine(it value, v visit, batch string, l *settlement.FeeLine) (seq int, ok bool) {
	if it.kind != kObject {
		return 0, false
	}
	d := it.d
	nodes, src := d.nodes, d.src
	var sequence, product, period, date, quantity, unitPrice, net, extension *node
	for c := it.vs + 1; c < it.end; c = nodes[c].end {
		x := &nodes[c]
		k := itemKey(src[x.ks:x.ke])
		if k < 0 {
			continue
		}
		if x.kind == kNull {
			return 0, false
		}
		// Each member into its own local, not through a pointer to it:
		// a store through a pointer takes a write barrier check.
		var first bool
		switch k {
		case 0:
			first, sequence = sequence == nil, x
		case 1:
			first, product = product == nil, x
		case 2:
			first, period = period == nil, x
		case 3:
			first, date = date == nil, x
		case 4:
			first, quantity = quantity == nil, x
		case 6:
			first, unitPrice = unitPrice == nil, x
		case 7:
			first, net = net == nil, x
		case 8:
			first, extension = extension == nil, x
		}
		if !first { // repeated, or factor or diagnosisSequence
			return 0, false
		}
	}
	if sequence == nil || sequence.kind != kNumber {
		return 0, false
	}
	seq, err := sequence.Int()
	if err != nil || seq < 1 {
		return 0, false
	}
	national, own, ok := fastCodes(product)
	if !ok {
		return 0, false
	}
	var when string
	switch {
	case period != nil:
		if period.kind != kObject {
			return 0, false
		}
		var start *node // pair(period, "start", ""), the key a constant
		for c := period.vs + 1; c < period.end; c = nodes[c].end {
			if x := &nodes[c]; string(src[x.ks:x.ke]) == "start" {
				start = x
				break
			}
		}
		if start != nil && start.kind != kNull {
			if when, ok = fastTime(start); !ok {
				return 0, false
			}
		}
	case date != nil:
		if when, ok = fastTime(date); !ok {
			return 0, false
		}
	}
	if when == "" {
		when = v.begin
	}
	if quantity == nil || quantity.kind != kObject {
		return 0, false
	}
	var cnt *node // pair(quantity, "value", ""), the key a constant
	for c := quantity.vs + 1; c < quantity.end; c = nodes[c].end {
		if x := &nodes[c]; string(src[x.ks:x.ke]) == "value" {
			cnt = x
			break
		}
	}
	if cnt == nil || cnt.kind != kNumber {
		return 0, false
	}
	q, ok := fastDecimal(src[cnt.vs:cnt.ve], 4)
	qty := settlement.Qty(q)
	if !ok {
		if qty, err = settlement.ParseQty(string(cnt.numeral())); err != nil {
			return 0, false
		}
	}
	price, ok := fastMoney(unitPrice)
	if !ok {
		return 0, false
	}
	amount, ok := fastMoney(net)
	if !ok {
		return 0, false
	}
	if qty <= 0 || price < 0 || amount < 0 {
		return 0, false
	}
	unit := settlement.Price(price) * 10000
	if want, ok := settlement.LineAmount(unit, qty); !ok || want != amount {
		return 0, false
	}
	var flag string
	if extension != nil {
		if extension.kind != kArray {
			return 0, false
		}
		for c := extension.vs + 1; c < extension.end; c = nodes[c].end {
			e := &nodes[c]
			if e.kind != kObject {
				return 0, false
			}
			var url, code *node // pair(e, "url", "valueCode"), the keys constants
			for k := e.vs + 1; k < e.end; k = nodes[k].end {
				x := &nodes[k]
				switch string(src[x.ks:x.ke]) {
				case "url":
					if url == nil {
						url = x
					}
				case "valueCode":
					if code == nil {
						code = x
					}
				}
			}
			if url == nil || url.kind != kString {
				return 0, false
			}
			if string(src[url.vs:url.ve]) != extHospApprFlag {
				continue
			}
			if code == nil || code.kind != kString {
				return 0, false
			}
			c := src[code.vs:code.ve]
			if len(c) != 1 || c[0] < '0' || c[0] > '2' { // hospApprFlags
				return 0, false
			}
			flag = hospApprFlags[2*(c[0]-'0') : 2*(c[0]-'0')+1]
		}
	}
	// Everything checked, l is written a field at a time (it is zero):
	// copying a whole line into it would take the collector's bulk
	// barrier, slot by slot, while it marks. The codes are kept only now.
	l.FeedetlSn = strconv.Itoa(seq)
	l.ChrgBchno = batch
	l.MedListCodg, _ = national.stringValue()
	l.MedinsListCodg = l.MedListCodg
	if own != nil {
		l.MedinsListCodg, _ = own.stringValue()
	}
	l.FeeOcurTime = when
	l.Amount, l.Qty, l.Price = amount, qty, unit
	l.HospApprFlag = flag
	return seq, true
}

// fastCodes is itemCodes for fastLine: productOrService an object whose
// coding is an array of objects with string systems and codes. It returns
// the national code's node and the hospital's own (nil when absent),
// checked as itemCodes checks them.
func fastCodes(ps value) (national, own *node, ok bool) {
	if ps == nil || ps.kind != kObject {
		return nil, nil, false
	}
	codings, _ := pair(ps, "coding", "")
	if codings == nil || codings.kind != kArray {
		return nil, nil, false
	}
	d := ps.d
	nodes, src := d.nodes, d.src
	for c := codings.vs + 1; c < codings.end; c = nodes[c].end {
		cd := &nodes[c]
		if cd.kind != kObject {
			return nil, nil, false
		}
		// pair(cd, "system", "code"), its keys compared as constants.
		var sys, code *node
		for k := cd.vs + 1; k < cd.end; k = nodes[k].end {
			x := &nodes[k]
			switch string(src[x.ks:x.ke]) {
			case "system":
				if sys == nil {
					sys = x
				}
			case "code":
				if code == nil {
					code = x
				}
			}
		}
		if code == nil || code.kind != kString || sys != nil && sys.kind != kString && sys.kind != kNull {
			return nil, nil, false
		}
		if sys != nil && sys.kind == kNull {
			sys = nil
		}
		if code.ve == code.vs {
			continue
		}
		if sys != nil && string(src[sys.vs:sys.ve]) == csMedList {
			if national == nil {
				national = code
			}
		} else if own == nil {
			own = code
		}
	}
	if national == nil || !listCode(src[national.vs:national.ve]) || own != nil && !listCode(src[own.vs:own.ve]) {
		return nil, nil, false
	}
	return national, own, true
}

// listCode is what itemCodes asks of an item code: at most 50 printable
// ASCII characters (and, as printable, at least one).
func listCode(b []byte) bool {
	if len(b) == 0 || len(b) > 50 {
		return false
	}
	for _, c := range b {
		if c <= ' ' || c > '~' {
			return false
		}
	}
	return true
}

// fastTime is dateTimeAt for fastLine: a string, read as a FHIR dateTime.
func fastTime(x value) (string, bool) {
	if x.kind != kString {
		return "", false
	}
	s, err := dateTimeAt(x, "", x)
	return s, err == nil
}

// fastMoney is amountAt for fastLine: an object whose value is a number
// and whose currency, if any, is CNY.
func fastMoney(m value) (settlement.Fen, bool) {
	if m == nil || m.kind != kObject {
		return 0, false
	}
	// pair(m, "value", "currency"), its keys compared as constants.
	d := m.d
	var val, cur *node
	for c := m.vs + 1; c < m.end; c = d.nodes[c].end {
		x := &d.nodes[c]
		switch string(d.src[x.ks:x.ke]) {
		case "value":
			if val == nil {
				val = x
			}
		case "currency":
			if cur == nil {
				cur = x
			}
		}
	}
	if val == nil || val.kind != kNumber || cur != nil && cur.kind != kNull && (cur.kind != kString || string(d.src[cur.vs:cur.ve]) != "CNY") {
		return 0, false
	}
	if f, ok := fastDecimal(d.src[val.vs:val.ve], 2); ok {
		return settlement.Fen(f), true
	}
	f, err := settlement.ParseFen(string(val.numeral()))
	return f, err == nil
}

// fastDecimal reads the usual amounts and quantities, 1 to 13 digits and
// up to scale decimals, as settlement's parser reads them (scaled by
// 10^scale); ok is false for any other number, which is left to that
// parser.
func fastDecimal(b []byte, scale int) (v int64, ok bool) {
	i := 0
	for ; i < len(b) && '0' <= b[i] && b[i] <= '9'; i++ {
		v = v*10 + int64(b[i]-'0')
	}
	if i == 0 || i > 13 {
		return 0, false
	}
	places := 0
	if i < len(b) {
		if b[i] != '.' || len(b)-i-1 > scale || i+1 == len(b) {
			return 0, false
		}
		for i++; i < len(b); i++ {
			if b[i] < '0' || b[i] > '9' {
				return 0, false
			}
			v = v*10 + int64(b[i]-'0')
			places++
		}
	}
	for ; places < scale; places++ {
		v *= 10
	}
	return v, true
}
