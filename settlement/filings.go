package settlement

import "slices"

// fileReferral records a referral filing (2501): the person may be treated
// at the destination as a referral.
func (p processor) fileReferral() (Outcome, Changes, error) {
	f, person, err := p.filingPerson()
	if err != nil {
		return none, noChanges, err
	}
	if !isDigits(f.TreatAdmdvs, 6) {
		return none, noChanges, Errorf(CodeMissingField, "refmedin.mdtrtarea_admdvs")
	}
	sn := p.st.id("F", p.hosp.Admdvs)
	person.Filings = append(person.Filings, Filing{Sn: sn, Category: FilingReferral, TreatAdmdvs: f.TreatAdmdvs,
		ValidFrom: orToday(f.Begin, p.st), ValidTo: day(f.End)})
	return Outcome{FilingSn: sn}, Changes{Person: &person}, nil
}

// fileChronic records the insured place's recognition of a chronic disease
// (2503).
func (p processor) fileChronic() (Outcome, Changes, error) {
	f, person, err := p.filingPerson()
	if err != nil {
		return none, noChanges, err
	}
	if f.DiseCode == "" {
		return none, noChanges, Errorf(CodeMissingField, "data.opsp_dise_code")
	}
	sn := p.st.id("F", p.hosp.Admdvs)
	person.Chronic = append(person.Chronic, ChronicRegistration{Sn: sn, DiseCode: f.DiseCode,
		ValidFrom: orToday(f.Begin, p.st), ValidTo: day(f.End)})
	return Outcome{FilingSn: sn}, Changes{Person: &person}, nil
}

// fileFixed records a designated-institution filing (2505).
func (p processor) fileFixed() (Outcome, Changes, error) {
	f, person, err := p.filingPerson()
	if err != nil {
		return none, noChanges, err
	}
	hosp := f.ToHospital
	if hosp == "" {
		hosp = p.hosp.Code
	}
	sn := p.st.id("F", p.hosp.Admdvs)
	person.Fixed = append(person.Fixed, FixedFiling{Sn: sn, Hospital: hosp, ValidFrom: orToday(f.Begin, p.st), ValidTo: day(f.End)})
	return Outcome{FilingSn: sn}, Changes{Person: &person}, nil
}

// cancelFiling removes a filing by its serial (2502, 2504, 2506).
func (p processor) cancelFiling() (Outcome, Changes, error) {
	f, person, err := p.filingPerson()
	if err != nil {
		return none, noChanges, err
	}
	n := len(person.Filings) + len(person.Chronic) + len(person.Fixed)
	switch p.req.Kind {
	case KindCancelReferral:
		person.Filings = slices.DeleteFunc(person.Filings, func(x Filing) bool { return x.Sn == f.Sn })
	case KindCancelChronic:
		person.Chronic = slices.DeleteFunc(person.Chronic, func(x ChronicRegistration) bool { return x.Sn == f.Sn })
	case KindCancelFixed:
		person.Fixed = slices.DeleteFunc(person.Fixed, func(x FixedFiling) bool { return x.Sn == f.Sn })
	}
	if f.Sn == "" || n == len(person.Filings)+len(person.Chronic)+len(person.Fixed) {
		return none, noChanges, Errorf(CodeFilingNotFound, f.Sn)
	}
	return Outcome{FilingSn: f.Sn}, Changes{Person: &person}, nil
}

func (p processor) filingPerson() (*FilingRequest, Person, error) {
	f := p.req.Filing
	if f == nil {
		return nil, Person{}, Errorf(CodeMissingField, "input.data")
	}
	person, ok, err := p.v.Person(f.PsnNo)
	if err != nil {
		return nil, Person{}, err
	}
	if !ok {
		return nil, Person{}, Errorf(CodeUnknownPerson, "psn_no "+f.PsnNo)
	}
	if f.Insutype != "" {
		if _, _, err := p.insured(f.PsnNo, f.Insutype); err != nil {
			return nil, Person{}, err
		}
	}
	return f, person, nil
}

func orToday(date string, st Stamp) string {
	if date == "" {
		return st.Date()
	}
	return day(date)
}
