package fhir

import (
	"fmt"

	"github.com/provgate/provgate/settlement"
)

// eligibilityResponse writes the CoverageEligibilityResponse: the person
// (1101) as a contained Patient, each of the person's insurances as a
// contained Coverage with inforce, the personal-account balance, and, when
// asked, the benefit check (2001) as items of the insurance it was asked
// for.
func (m *Message) eligibilityResponse(answers []settlement.Answer) ([]byte, error) {
	pi := answers[0].Outcome.Person
	if pi == nil {
		return nil, fmt.Errorf("fhir: the answer to 1101 carries no person")
	}
	p := pi.Person
	var benefits []settlement.BenefitRow
	var asked string
	if len(answers) > 1 {
		benefits = answers[1].Outcome.Benefits
		if b := m.Requests[1].Benefit; b != nil {
			asked = b.Insutype
		}
	}
	w := newWriter(2048)
	w.open('{')
	w.constant("resourceType", "CoverageEligibilityResponse")
	w.key("contained")
	w.open('[')
	w.open('{')
	w.constant("resourceType", "Patient")
	w.field("id", "patient")
	w.key("identifier")
	w.open('[')
	w.open('{')
	w.field("system", sysPsnNo)
	w.field("value", p.PsnNo)
	w.close('}')
	if p.CertType == "01" && p.CertNo != "" {
		w.open('{')
		w.field("system", sysIDCard)
		w.field("value", p.CertNo)
		w.close('}')
	}
	w.close(']')
	if p.Name != "" {
		w.key("name")
		w.open('[')
		w.open('{')
		w.field("text", p.Name)
		w.close('}')
		w.close(']')
	}
	w.field("gender", gender(p.Gender))
	w.field("birthDate", p.Birthdate)
	w.close('}')
	for _, in := range p.Insurances {
		w.open('{')
		w.constant("resourceType", "Coverage")
		w.field("id", "coverage-"+in.Insutype)
		if in.Active() {
			w.constant("status", "active")
		} else {
			w.constant("status", "cancelled")
		}
		w.concept("type", csInsutype, in.Insutype, "")
		w.key("beneficiary")
		w.open('{')
		w.field("reference", "#patient")
		w.close('}')
		if in.Since != "" {
			w.key("period")
			w.open('{')
			w.field("start", in.Since)
			w.close('}')
		}
		w.key("payor")
		w.open('[')
		w.open('{')
		w.identifier("identifier", sysAdmdvs, in.InsuredAdmdvs)
		w.close('}')
		w.close(']')
		if in.PsnType != "" {
			w.key("class")
			w.open('[')
			w.open('{')
			w.concept("type", "http://terminology.hl7.org/CodeSystem/coverage-class", "class", "")
			w.field("value", in.PsnType)
			w.field("name", "psn_type")
			w.close('}')
			w.close(']')
		}
		w.close('}')
	}
	w.close(']')
	w.constant("status", "active")
	w.key("purpose")
	w.open('[')
	for _, p := range m.purpose {
		w.str(p)
	}
	w.close(']')
	w.key("patient")
	w.open('{')
	w.field("reference", "#patient")
	w.close('}')
	w.time("created", answers[0].Stamp.Time())
	w.key("request")
	w.open('{')
	w.constant("type", "CoverageEligibilityRequest")
	w.identifier("identifier", m.identSystem, m.identValue)
	w.close('}')
	w.constant("outcome", "complete")
	w.key("insurer")
	w.open('{')
	w.field("display", "国家医疗保障信息平台 / national medical insurance platform")
	w.close('}')
	if len(p.Insurances) > 0 {
		w.key("insurance")
		w.open('[')
		for _, in := range p.Insurances {
			insurance(&w, in, pi.Balance, benefits, in.Insutype == asked)
		}
		w.close(']')
	}
	w.close('}')
	return w.done(), nil
}

// insurance writes one CoverageEligibilityResponse.insurance: whether it is
// in force, the account balance (employee insurance holds the personal
// account) and the benefit rows when the check was for this insurance.
func insurance(w *writer, in settlement.Insurance, balance settlement.Fen, benefits []settlement.BenefitRow, asked bool) {
	w.open('{')
	w.key("coverage")
	w.open('{')
	w.field("reference", "#coverage-"+in.Insutype)
	w.close('}')
	w.key("inforce")
	w.bool(in.Active())
	if !asked {
		benefits = nil
	}
	for _, b := range benefits {
		if b.Begin != "" {
			w.key("benefitPeriod")
			w.open('{')
			w.field("start", b.Begin)
			w.field("end", b.End)
			w.close('}')
			break
		}
	}
	if in.Insutype == "310" || len(benefits) > 0 {
		w.key("item")
		w.open('[')
		if in.Insutype == "310" {
			w.open('{')
			w.concept("category", csBenefit, "acct", "个人账户")
			w.key("benefit")
			w.open('[')
			w.open('{')
			w.concept("type", csBenefit, "balc", "个人账户余额 / account balance")
			w.money("allowedMoney", balance)
			w.close('}')
			w.close(']')
			w.close('}')
		}
		for _, b := range benefits {
			w.open('{')
			w.concept("category", csFundPayType, b.FundPayType, "")
			w.key("excluded")
			w.bool(!b.Enjoys)
			w.field("description", b.Result)
			w.close('}')
		}
		w.close(']')
	}
	w.close('}')
}

func gender(g string) string {
	switch g {
	case "1":
		return "male"
	case "2":
		return "female"
	}
	return "unknown"
}
