package settlement

import (
	"net/netip"
	"slices"
	"strings"
)

// Formats are the wire formats a hospital may be registered for: the
// national JSON interface, the older provincial XML and delimited text,
// HL7 v2 and FHIR R4.
var Formats = []string{"nhsa", "legacyxml", "delimited", "hl7v2", "fhir"}

// Speaks reports whether the hospital is registered for a format.
func (h Hospital) Speaks(format string) bool {
	if len(h.Formats) == 0 {
		return format == "nhsa"
	}
	return slices.Contains(h.Formats, format)
}

// Check refuses a registration naming a format provgate does not speak or
// an MLLP source that is not an address or prefix, naming the value.
func (h Hospital) Check() error {
	for _, f := range h.Formats {
		if !slices.Contains(Formats, f) {
			return Errorf(CodeUnknownCode, "formats", f, strings.Join(Formats, ", "))
		}
	}
	for _, src := range h.MLLPSources {
		if _, err := parseSource(src); err != nil {
			return Errorf(CodeBadField, "mllp_sources", Bi(
				src+"（应为 IP 地址或 CIDR，如 10.1.2.0/24）", src+" (want an IP address or a CIDR prefix such as 10.1.2.0/24)"))
		}
	}
	return nil
}

// AcceptsMLLPFrom reports whether HL7 v2 over MLLP from addr may speak for
// the hospital: it must be registered for hl7v2 and list addr's network.
func (h Hospital) AcceptsMLLPFrom(addr netip.Addr) bool {
	if !h.Speaks("hl7v2") {
		return false
	}
	addr = addr.Unmap()
	for _, src := range h.MLLPSources {
		if p, err := parseSource(src); err == nil && p.Contains(addr) {
			return true
		}
	}
	return false
}

// parseSource reads a CIDR prefix or a single address (a /32 or /128).
func parseSource(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		return p.Masked(), err
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}
