package gateway

import (
	"time"

	"github.com/provgate/provgate/settlement"
)

// Format is a hospital wire format as the gateway drives it: every format
// goes through the same flow (serveMessage), which only ever calls these.
type Format interface {
	// Name is the format's registered name (settlement.Formats): what a
	// hospital must be registered for to send it.
	Name() string
	// Decode translates a message's bytes. A refusal is a *settlement.Error;
	// the Message may still be returned, so the refusal can answer it.
	Decode(body []byte) (Message, error)
	// Refuse encodes a refusal; m is nil when the bytes did not decode.
	Refuse(m Message, e *settlement.Error, at time.Time) []byte
	// ContentType is the media type of the answers to m (nil: undecodable).
	ContentType(m Message) string
}

// Message is one decoded message: the domain requests it carries, in the
// order they are to be decided, and how to answer them.
type Message interface {
	Requests() []settlement.Request
	// Encode answers the message; answers[i] answers Requests()[i].
	Encode(answers []settlement.Answer) ([]byte, error)
}

// Adapter names the functions of an adapter package (adapters/legacyxml,
// delimited, hl7v2, fhir), which all share one shape; Adapt makes a Format
// of them. cmd fills one per format:
//
//	gateway.Adapt(gateway.Adapter[fhir.Message]{Format: "fhir", Decode: fhir.Decode,
//		Requests: func(m *fhir.Message) []settlement.Request { return m.Requests },
//		Encode: (*fhir.Message).Encode, EncodeError: fhir.EncodeError, ContentType: fhir.ContentType})
type Adapter[M any] struct {
	Format      string
	Decode      func(body []byte) (*M, error)
	Requests    func(m *M) []settlement.Request
	Encode      func(m *M, answers []settlement.Answer) ([]byte, error)
	EncodeError func(m *M, e *settlement.Error, at time.Time) []byte // m nil if undecodable
	ContentType func(m *M) string                                    // m nil if undecodable
}

// Adapt makes a Format of an adapter package's functions.
func Adapt[M any](a Adapter[M]) Format { return adapted[M]{a} }

type adapted[M any] struct{ a Adapter[M] }

type adaptedMessage[M any] struct {
	a *Adapter[M]
	m *M
}

func (f adapted[M]) Name() string { return f.a.Format }

func (f adapted[M]) Decode(body []byte) (Message, error) {
	m, err := f.a.Decode(body)
	if m == nil {
		return nil, err
	}
	return adaptedMessage[M]{&f.a, m}, err
}

func (f adapted[M]) Refuse(m Message, e *settlement.Error, at time.Time) []byte {
	return f.a.EncodeError(f.unwrap(m), e, at)
}

func (f adapted[M]) ContentType(m Message) string { return f.a.ContentType(f.unwrap(m)) }

func (f adapted[M]) unwrap(m Message) *M {
	if am, ok := m.(adaptedMessage[M]); ok {
		return am.m
	}
	return nil
}

func (m adaptedMessage[M]) Requests() []settlement.Request { return m.a.Requests(m.m) }

func (m adaptedMessage[M]) Encode(answers []settlement.Answer) ([]byte, error) {
	return m.a.Encode(m.m, answers)
}
