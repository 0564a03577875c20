package fhir

import (
	"strconv"

	"github.com/provgate/provgate/settlement"
)

// purposes are the CoverageEligibilityRequest.purpose codes.
const purposes = "auth-requirements benefits discovery validation"

// decodeEligibility translates a CoverageEligibilityRequest: the person by
// certificate (1101) and, when the purpose includes benefits, whether the
// person enjoys benefits for the medical type asked about (2001).
func decodeEligibility(req value, t *table) (*Message, error) {
	if err := t.contained(req); err != nil {
		return nil, err
	}
	m := &Message{resource: "CoverageEligibilityRequest"}
	var err error
	if m.identSystem, m.identValue, err = msgID(req); err != nil {
		return nil, err
	}
	status, err := text(req, "status")
	if err != nil {
		return nil, err
	}
	if status != "" && status != "active" {
		return nil, unknownAt(req, ".status", status, "active")
	}
	purposes0, err := list(req, "purpose")
	if err != nil {
		return nil, err
	}
	if len(purposes0) == 0 {
		return nil, missingAt(req, ".purpose")
	}
	benefits := false
	for i, p := range purposes0 {
		b, err := p.StringBytes()
		if err != nil {
			return nil, wrongType(req, ".purpose["+strconv.Itoa(i)+"]", "string")
		}
		if err := checkCode(req, ".purpose["+strconv.Itoa(i)+"]", string(b), purposes); err != nil {
			return nil, err
		}
		m.purpose = append(m.purpose, string(b))
		benefits = benefits || string(b) == "benefits"
	}
	hosp, treat, err := hospital(t, req)
	if err != nil {
		return nil, err
	}
	certType, certNo, err := certificate(t, req)
	if err != nil {
		return nil, err
	}
	base := settlement.Request{Hospital: hosp, TreatAdmdvs: treat,
		Ref: &settlement.HospitalRef{CertType: certType, CertNo: certNo}}
	person := base
	person.Kind, person.Person = settlement.KindPersonInfo, &settlement.PersonQuery{CertType: certType, CertNo: certNo}
	if !benefits {
		m.steps(person)
		return m, nil
	}
	q, insured, err := benefitQuery(req, t)
	if err != nil {
		return nil, err
	}
	check := base
	check.Kind, check.Benefit, check.InsuredAdmdvs = settlement.KindBenefitCheck, q, insured
	m.steps(person, check)
	return m, nil
}

// benefitQuery reads what 2001 asks: the insurance type (the Coverage), the
// medical type (item[0].category), the date (serviced) and, optionally, the
// disease (item[0].diagnosis).
func benefitQuery(req value, t *table) (*settlement.BenefitQuery, string, error) {
	insutype, insured, err := coverage(t, req)
	if err != nil {
		return nil, "", err
	}
	items, err := list(req, "item")
	if err != nil {
		return nil, "", err
	}
	if len(items) == 0 {
		return nil, "", missingAt(req, ".item (the medical type in item[0].category)")
	}
	medType, err := medTypeOf(items[0], "category")
	if err != nil {
		return nil, "", err
	}
	var begin string
	if per := get(req, "servicedPeriod"); per != nil {
		begin, err = dateTimeOf(per, "start")
	} else {
		begin, err = dateTimeOf(req, "servicedDate")
	}
	if err != nil {
		return nil, "", err
	}
	if begin == "" {
		return nil, "", missingAt(req, ".servicedDate")
	}
	q := &settlement.BenefitQuery{Insutype: insutype, MedType: medType, Begntime: begin}
	diags, err := list(items[0], "diagnosis")
	if err != nil {
		return nil, "", err
	}
	if len(diags) > 0 {
		d, ok, err := pick(diags[0], "diagnosisCodeableConcept", "")
		if err != nil {
			return nil, "", err
		}
		if ok {
			q.DiseCodg = d.code
		}
	}
	return q, insured, nil
}
