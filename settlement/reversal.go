package settlement

// reverse answers 2601 冲正: it undoes what the original request (by its
// msgid) did, or, if the original never arrived or was refused, leaves a
// tombstone so that a late original is refused. Undoing a settlement is its
// cancellation; undoing a registration or admission cancels it.
func (p processor) reverse() (Outcome, Changes, error) {
	r := p.req.Reversal
	if r == nil {
		return missing()
	}
	if !r.OInfno.Reversible() {
		return none, noChanges, Errorf(CodeNotReversible, string(r.OInfno), Bi(
			"只能冲正 2201、2207、2304、2401", "only 2201, 2207, 2304 and 2401 can be reversed"))
	}
	kind, out, ok, err := p.v.Answered(p.hosp.Code, r.OMsgID)
	if err != nil {
		return none, noChanges, err
	}
	if !ok {
		if _, pending, err := p.v.Intent(p.hosp.Code, r.OMsgID); err != nil || pending {
			if err != nil {
				return none, noChanges, err
			}
			return none, noChanges, Errorf(CodeInProgress)
		}
		return Outcome{Reversed: "tombstone"}, Changes{Tombstone: &Tombstone{Hospital: p.hosp.Code, MsgID: r.OMsgID, Infno: r.OInfno}}, nil
	}
	if kind != r.OInfno {
		return none, noChanges, Errorf(CodeNotReversible, string(r.OInfno), Bi(
			"原报文 "+r.OMsgID+" 是 "+string(kind)+" 交易", "the original msgid "+r.OMsgID+" was a "+string(kind)))
	}
	switch kind {
	case KindSettle, KindInpSettle:
		rec, ok, err := p.v.Record(out.Record.SetlID)
		if err != nil {
			return none, noChanges, err
		}
		if !ok || rec.PsnNo != r.PsnNo {
			return none, noChanges, Errorf(CodeWrongPerson, r.PsnNo, out.Record.MdtrtID)
		}
		if rec.CancelledBy != "" {
			// Already undone (by 2208/2305 or an earlier reversal): say so.
			m, _, err := p.v.Record(rec.CancelledBy)
			if err != nil {
				return none, noChanges, err
			}
			return Outcome{Record: &m, Reversed: "already cancelled"}, noChanges, nil
		}
		if p.req.Remote == nil && CrossProvince(p.hosp.Admdvs, rec.InsuredAdmdvs) {
			// The insured place cancels it; the wire carries the matching
			// cancellation under this 2601's msgid.
			wire := p.forNational(nil, nil)
			wire.Kind = map[Kind]Kind{KindSettle: KindCancelSettle, KindInpSettle: KindInpCancel}[kind]
			wire.Reversal, wire.InsuredAdmdvs = nil, rec.InsuredAdmdvs
			wire.Cancel = &CancelRequest{SetlID: rec.SetlID, MdtrtID: rec.MdtrtID, PsnNo: rec.PsnNo}
			return p.intend(wire, nil, nil)
		}
		o, ch, err := p.cancelRecord(rec)
		o.Reversed = "cancelled"
		return o, ch, err
	default: // a registration or an admission
		visit, ok, err := p.v.Visit(out.Visit.MdtrtID)
		if err != nil {
			return none, noChanges, err
		}
		if !ok || visit.PsnNo != r.PsnNo {
			return none, noChanges, Errorf(CodeWrongPerson, r.PsnNo, out.Visit.MdtrtID)
		}
		if visit.State == VisitCancelled {
			return Outcome{Visit: &visit, Reversed: "already cancelled"}, noChanges, nil
		}
		o, ch, err := p.closeVisit(visit)
		o.Reversed = "cancelled"
		return o, ch, err
	}
}
