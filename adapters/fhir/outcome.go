package fhir

import (
	"strings"
	"time"

	"github.com/provgate/provgate/settlement"
)

// EncodeError writes a refusal as an OperationOutcome: the stable code in
// details, the reason in both languages in diagnostics and the FHIRPath of
// the element at fault in expression. When the message was identified (m
// is not nil) the request's identifier is echoed in an extension, so the
// hospital can tell which Claim was refused; m is nil when decoding failed
// before that. Every reply is UTF-8.
func EncodeError(m *Message, e *settlement.Error, at time.Time) []byte {
	if e == nil {
		e = settlement.Errorf(settlement.CodeInternal, "-")
	}
	w := newWriter(1024)
	w.open('{')
	w.constant("resourceType", "OperationOutcome")
	w.key("meta")
	w.open('{')
	w.time("lastUpdated", at)
	w.close('}')
	if m != nil {
		w.key("extension")
		w.open('[')
		w.open('{')
		w.constant("url", extRequestIdentifier)
		w.identifier("valueIdentifier", m.identSystem, m.identValue)
		w.close('}')
		w.close(']')
	}
	w.key("issue")
	w.open('[')
	w.open('{')
	w.constant("severity", "error")
	w.field("code", issueType(e))
	w.key("details")
	w.open('{')
	w.key("coding")
	w.open('[')
	w.open('{')
	w.constant("system", csError)
	w.field("code", string(e.Code))
	w.field("display", e.EN)
	w.close('}')
	w.close(']')
	w.field("text", e.ZH)
	w.close('}')
	w.field("diagnostics", e.Error())
	if x := expression(e.EN); x != "" {
		w.key("expression")
		w.open('[')
		w.str(x)
		w.close(']')
	}
	w.close('}')
	w.close(']')
	w.close('}')
	return w.done()
}

// issueType is the FHIR IssueType of a refusal.
func issueType(e *settlement.Error) string {
	switch e.Code {
	case settlement.CodeMalformed, settlement.CodeBadMessage, settlement.CodeBadCharset:
		return "structure"
	case settlement.CodeMissingField:
		return "required"
	case settlement.CodeBadAmount, settlement.CodeLineAmount, settlement.CodeBadField:
		return "value"
	case settlement.CodeUnknownCode:
		return "code-invalid"
	case settlement.CodeUnknownInfno:
		return "not-supported"
	case settlement.CodeTooLarge:
		return "too-long"
	case settlement.CodeAuthMissing, settlement.CodeAuthSignature, settlement.CodeAuthClock,
		settlement.CodeAuthReplay, settlement.CodeAuthHospital:
		return "security"
	case settlement.CodeFormatNotAllowed:
		return "forbidden"
	}
	switch e.Class() {
	case settlement.ClassNotFound:
		return "not-found"
	case settlement.ClassConflict:
		return "conflict"
	case settlement.ClassRefused:
		return "business-rule"
	case settlement.ClassUnavailable:
		return "transient"
	case settlement.ClassInternal:
		return "exception"
	}
	return "invalid"
}

// expression finds the FHIRPath a reason names: this package's refusals put
// the path of the element at fault first, and begin it with the resource
// type.
func expression(reason string) string {
	best := -1
	for _, root := range [...]string{"Claim.", "CoverageEligibilityRequest.", "Bundle."} {
		for from := 0; from < len(reason); {
			i := strings.Index(reason[from:], root)
			if i < 0 {
				break
			}
			i += from
			// A root inside a longer word (ClaimResponse.) is not a path.
			if i == 0 || !isPathByte(reason[i-1]) {
				if best < 0 || i < best {
					best = i
				}
				break
			}
			from = i + 1
		}
	}
	if best < 0 {
		return ""
	}
	end := best
	for end < len(reason) && isPathByte(reason[end]) {
		end++
	}
	for end > best && reason[end-1] == '.' {
		end--
	}
	return reason[best:end]
}

func isPathByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '[' || c == ']' || c == '_'
}
