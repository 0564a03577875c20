package fhir

import (
	"fmt"

	"github.com/provgate/provgate/settlement"
)

// ContentType is the HTTP Content-Type of every reply, whatever the
// message: FHIR JSON in UTF-8.
func ContentType(*Message) string { return contentType }

// Encode writes the reply to a decoded message: a ClaimResponse to a Claim,
// a CoverageEligibilityResponse to a CoverageEligibilityRequest. answers[i]
// answers Requests[i]. The reply depends only on the message and the
// answers (times come from their stamps), so a replay encodes to the same
// bytes.
func (m *Message) Encode(answers []settlement.Answer) ([]byte, error) {
	if len(answers) != len(m.Requests) || len(answers) == 0 {
		return nil, fmt.Errorf("fhir: %d answers for %d requests", len(answers), len(m.Requests))
	}
	if m.resource == "Claim" {
		return m.claimResponse(answers)
	}
	return m.eligibilityResponse(answers)
}
