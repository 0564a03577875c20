package settlement

// SplitLine classifies one fee line by the treatment place's catalog
// (SETTLEMENT-MODEL §6.5 step 2). found is false when the line's national
// code is not in the catalog; such a line is self-paid in full.
//
// Every split satisfies Amount = Fulamt + Overlmt + Preselfpay + Inscp + HospPart.
func SplitLine(line FeeLine, item CatalogItem, found bool) LineSplit {
	s := LineSplit{FeeLine: line}
	a := line.Amount
	if found {
		s.Name, s.Class, s.ChargeType = item.Name, item.Class, item.ChargeType
		s.SelfPay, s.PriceCap, s.Restricted = item.SelfPayBP, item.PriceCap, item.Restricted
	}
	switch {
	case line.HospBear:
		s.HospPart = a
		s.Memo = "hospital bears this line"
	case !found:
		s.Class, s.SelfPay, s.Fulamt = ClassC, Full, a
		s.Memo = "not in the treatment place's catalog"
	case item.Class == ClassC:
		s.SelfPay, s.Fulamt = Full, a
	case item.Restricted && line.HospApprFlag != "1":
		// A restricted item is paid only with the hospital's approval (1).
		s.Fulamt = a
		s.Memo = "restricted item without hospital approval"
	case line.HospApprFlag == "2":
		s.Fulamt = a
		s.Memo = "hospital approval refused"
	default:
		if item.PriceCap > 0 {
			capped := Fen(divRound(int64(item.PriceCap)*int64(line.Qty), 10000))
			s.Overlmt = maxFen(0, a-capped)
		}
		base := a - s.Overlmt
		if item.Class == ClassB {
			s.Preselfpay = MulBP(base, item.SelfPayBP)
		}
		s.Inscp = base - s.Preselfpay
	}
	return s
}

// totals sums split lines into the settlement-level amounts. Totals are the
// exact sums of the lines, never re-rounded.
func totals(lines []LineSplit) Amounts {
	var t Amounts
	for _, l := range lines {
		t.Medfee += l.Amount
		t.Fulamt += l.Fulamt
		t.Overlmt += l.Overlmt
		t.Preselfpay += l.Preselfpay
		t.Inscp += l.Inscp
		t.HospPart += l.HospPart
	}
	return t
}
