package fhir

import (
	stdjson "encoding/json"
	"errors"
	"strconv"

	"github.com/valyala/fastjson"

	"github.com/provgate/provgate/settlement"
)

// Messages are scanned into a tape (see tape.go) and read element by
// element: FHIR's polymorphism (contained resources of any type, choice
// elements such as servicedDate / servicedPeriod) is a switch on the
// values rather than a struct per shape, and elements this package does
// not read cost nothing beyond the scan. Strings are copied out of the
// body only when kept. The readers below return nil or "" for an absent
// element (or a JSON null) and a fault (see fault.go) for one of the wrong
// type.

// parsers are reused by the fallback: a parse allocates nothing once a
// parser has grown to the size of the messages it sees.
var parsers fastjson.ParserPool

type value = *node

// get returns the member key of the object v, or nil (also for null).
func get(v value, key string) value {
	if v == nil || v.Type() != fastjson.TypeObject {
		return nil
	}
	return notNull(v.Get(key))
}

// pair is get(v, k1), get(v, k2), found on a tape in one walk over v's
// members: a Coding's system and code, a Money's value and currency, read
// for every item.
func pair(v value, k1, k2 string) (x1, x2 value) {
	if v == nil || v.kind != kObject { // a fallback node too
		return get(v, k1), get(v, k2)
	}
	d := v.d
	for c := v.vs + 1; c < v.end; c = d.nodes[c].end {
		x := &d.nodes[c]
		key := d.src[x.ks:x.ke]
		if x1 == nil && string(key) == k1 {
			x1 = x
		} else if x2 == nil && string(key) == k2 {
			x2 = x
		}
	}
	return notNull(x1), notNull(x2)
}

// stringBytes is raw for a member already found.
func stringBytes(x value) []byte {
	if x == nil {
		return nil
	}
	b, _ := x.StringBytes()
	return b
}

// notNull is x, or nil for a JSON null.
func notNull(x value) value {
	if x == nil || x.Type() == fastjson.TypeNull {
		return nil
	}
	return x
}

// The readers below come in pairs: f(v, key) looks the member up, fAt(v,
// key, x) reads x, the member already found (by get, or by a walk over
// all the members, as feeLine does), and names it v's key in a refusal.

// obj returns the member key, which must be an object.
func obj(v value, key string) (value, error) { return objAt(v, key, get(v, key)) }

func objAt(v value, key string, x value) (value, error) {
	if x != nil && x.Type() != fastjson.TypeObject {
		return nil, wrongType(v, member(key), "object")
	}
	return x, nil
}

// text returns the member key, which must be a string, as a Go string.
func text(v value, key string) (string, error) { return textAt(v, key, get(v, key)) }

func textAt(v value, key string, x value) (string, error) {
	if x == nil {
		return "", nil
	}
	t, err := x.stringValue()
	if err != nil {
		return "", wrongType(v, member(key), "string")
	}
	return t, nil
}

// raw returns the bytes of a string member for comparing, without copying
// them; a member of another type reads as absent.
func raw(v value, key string) []byte { return stringBytes(get(v, key)) }

// list returns the member key, which must be an array. A lone object where
// FHIR wants an array (a common slip in HIS exports) is taken as an array
// of one.
func list(v value, key string) ([]value, error) { return listAt(v, key, get(v, key)) }

func listAt(v value, key string, x value) ([]value, error) {
	if x == nil {
		return nil, nil
	}
	switch x.Type() {
	case fastjson.TypeArray:
		a, _ := x.Array()
		return a, nil
	case fastjson.TypeObject:
		return x.one(), nil
	}
	return nil, wrongType(v, member(key), "array")
}

// number returns the member key as written: a JSON number, or leniently a
// string holding one; empty when absent. The settlement types parse it,
// never as a float. The bytes are the message's, not a copy: callers parse
// them (a conversion the compiler makes without allocating, as the parsers
// keep nothing) and copy them only into a refusal. A Claim has three
// numbers an item.
func number(v value, key string) ([]byte, error) { return numberAt(v, key, get(v, key)) }

func numberAt(v value, key string, x value) ([]byte, error) {
	if x == nil {
		return nil, nil
	}
	switch x.Type() {
	case fastjson.TypeNumber:
		return x.numeral(), nil
	case fastjson.TypeString:
		b, _ := x.StringBytes()
		return b, nil
	}
	return nil, wrongType(v, member(key), "number")
}

// integer returns the member key, which must be a whole number; ok is
// false when it is absent.
func integer(v value, key string) (n int, ok bool, err error) {
	return integerAt(v, key, get(v, key))
}

func integerAt(v value, key string, x value) (n int, ok bool, err error) {
	if x == nil {
		return 0, false, nil
	}
	if n, err = x.Int(); err != nil {
		return 0, false, wrongType(v, member(key), "integer")
	}
	return n, true, nil
}

// boolean returns the member key, which must be true or false.
func boolean(v value, key string) (b, ok bool, err error) {
	x := get(v, key)
	if x == nil {
		return false, false, nil
	}
	switch x.Type() {
	case fastjson.TypeTrue:
		return true, true, nil
	case fastjson.TypeFalse:
		return false, true, nil
	}
	return false, false, wrongType(v, member(key), "boolean")
}

// codingOf is what this package keeps of a Coding.
type codingOf struct {
	code, display string
}

// pick reads a CodeableConcept (the member key of v): the coding in system,
// or else the first coding with a code, since HIS vendors disagree on
// system URIs and the code is checked against its dictionary anyway. ok is
// false when no coding has a code. The display falls back to the
// concept's text.
func pick(v value, key, system string) (c codingOf, ok bool, err error) {
	cc, err := obj(v, key)
	if cc == nil || err != nil {
		return c, false, err
	}
	codings, err := list(cc, "coding")
	if err != nil {
		return c, false, err
	}
	chosen := -1
	for i, cd := range codings {
		if len(raw(cd, "code")) == 0 {
			continue
		}
		if system != "" && string(raw(cd, "system")) == system {
			chosen = i
			break
		}
		if chosen < 0 {
			chosen = i
		}
	}
	if chosen < 0 {
		return c, false, nil
	}
	if c.code, err = text(codings[chosen], "code"); err != nil {
		return c, false, err
	}
	if c.display, err = text(codings[chosen], "display"); c.display == "" && err == nil {
		c.display, err = text(cc, "text")
	}
	return c, true, err
}

// hasCoding reports whether the CodeableConcept cc has a coding with this
// system and code.
func hasCoding(cc value, system, code string) bool {
	codings, _ := list(cc, "coding")
	for _, cd := range codings {
		if string(raw(cd, "code")) == code && string(raw(cd, "system")) == system {
			return true
		}
	}
	return false
}

// parseError turns a parse failure into a refusal naming the byte where
// the JSON goes wrong. fastjson does not say where, so the standard
// decoder, run only on this path, finds the offset.
func parseError(body []byte) *settlement.Error {
	var v any
	err := stdjson.Unmarshal(body, &v)
	var syn *stdjson.SyntaxError
	switch {
	case errors.As(err, &syn):
		return badMessage("byte "+strconv.FormatInt(syn.Offset, 10), "不是合法的 JSON（或报文被截断）",
			"not valid JSON (or the message is cut short)")
	case err != nil:
		return badMessage("body", "报文为空或被截断", "the body is empty or cut short")
	}
	return badMessage("body", "JSON 嵌套超过 "+strconv.Itoa(fastjson.MaxDepth)+" 层",
		"JSON nested deeper than "+strconv.Itoa(fastjson.MaxDepth)+" levels")
}
