package main

import (
	"github.com/provgate/provgate/adapters/delimited"
	"github.com/provgate/provgate/adapters/fhir"
	"github.com/provgate/provgate/adapters/hl7v2"
	"github.com/provgate/provgate/adapters/legacyxml"
	"github.com/provgate/provgate/gateway"
	"github.com/provgate/provgate/settlement"
)

// hospitalFormats wires the adapters of the formats besides the national
// one into the gateway: the set is fixed, so it is a literal here.
func hospitalFormats() []gateway.Format {
	return []gateway.Format{
		gateway.Adapt(gateway.Adapter[legacyxml.Message]{Format: "legacyxml", Decode: legacyxml.Decode,
			Requests: func(m *legacyxml.Message) []settlement.Request { return m.Requests },
			Encode:   (*legacyxml.Message).Encode, EncodeError: legacyxml.EncodeError, ContentType: legacyxml.ContentType}),
		gateway.Adapt(gateway.Adapter[delimited.Message]{Format: "delimited", Decode: delimited.Decode,
			Requests: func(m *delimited.Message) []settlement.Request { return m.Requests },
			Encode:   (*delimited.Message).Encode, EncodeError: delimited.EncodeError, ContentType: delimited.ContentType}),
		hl7Format(),
		gateway.Adapt(gateway.Adapter[fhir.Message]{Format: "fhir", Decode: fhir.Decode,
			Requests: func(m *fhir.Message) []settlement.Request { return m.Requests },
			Encode:   (*fhir.Message).Encode, EncodeError: fhir.EncodeError, ContentType: fhir.ContentType}),
	}
}

// hl7Format is HL7 v2, over HTTP and over MLLP alike.
func hl7Format() gateway.Format {
	return gateway.Adapt(gateway.Adapter[hl7v2.Message]{Format: "hl7v2", Decode: hl7v2.Decode,
		Requests: func(m *hl7v2.Message) []settlement.Request { return m.Requests },
		Encode:   (*hl7v2.Message).Encode, EncodeError: hl7v2.EncodeError, ContentType: hl7v2.ContentType})
}

// mllpConfig wires HL7 v2 over MLLP: the hl7v2 adapter and its framing.
func mllpConfig() *gateway.MLLP {
	return &gateway.MLLP{Format: hl7Format(), ReadFrame: hl7v2.ReadFrame, WriteFrame: hl7v2.WriteFrame,
		ErrTooLarge: hl7v2.ErrFrameTooLarge}
}
