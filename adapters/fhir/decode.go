package fhir

import (
	"bytes"
	"strconv"
	"unicode/utf8"

	"github.com/valyala/fastjson"

	"github.com/provgate/provgate/settlement"
)

// Limits on what one message may hold. The body limit bounds what decoding
// allocates (fastjson also stops at 300 levels of nesting); the others keep
// one message to one visit's worth of work.
const (
	maxBody      = 1 << 20 // bytes
	maxItems     = 1000    // Claim.item: one upload, as the national 2204 / 2301
	maxDiagnoses = 100     // Claim.diagnosis
	maxResources = 100     // contained resources plus Bundle entries
)

// Message is one decoded hospital message: the domain requests it stands
// for and what the reply needs.
type Message struct {
	// Requests are the domain requests in the order the gateway submits
	// them; answers[i] of Encode answers Requests[i].
	Requests []settlement.Request

	resource    string // Claim or CoverageEligibilityRequest
	identSystem string // the request's identifier, echoed in the reply
	identValue  string
	claimType   string   // institutional or professional
	use         string   // claim or predetermination
	purpose     []string // CoverageEligibilityRequest.purpose
}

// Decode translates one FHIR R4 message: a Claim ($submit), a
// CoverageEligibilityRequest ($submit), or a Bundle whose first entry is
// one of them and whose other entries are the resources it references.
// Every refusal is a *settlement.Error naming the element by its FHIRPath.
func Decode(body []byte) (*Message, error) { return decode(body, false) }

// decode is Decode; with tree, the message is read through fastjson's
// tree even when the scan takes it (for the parity tests).
func decode(body []byte, tree bool) (*Message, error) {
	if len(body) > maxBody {
		return nil, settlement.Errorf(settlement.CodeTooLarge, strconv.Itoa(maxBody))
	}
	body, err := utf8Body(body)
	if err != nil {
		return nil, err
	}
	d := docs.Get().(*doc)
	defer d.release()
	root, ok := d.scan(body)
	if !ok || tree {
		p := parsers.Get()
		defer parsers.Put(p)
		parsed, err := p.ParseBytes(body)
		if err != nil {
			return nil, parseError(body)
		}
		root = d.adopt(parsed)
	}
	if root.Type() != fastjson.TypeObject {
		return nil, badMessage("body", "应为一个 FHIR 资源（JSON 对象）", "want one FHIR resource (a JSON object)")
	}
	rt, err := text(root, "resourceType")
	var m *Message
	switch {
	case err != nil:
		return nil, badMessage("resourceType", "JSON 类型错误，应为 string", "wrong JSON type, want string")
	case rt == "Claim":
		m, err = decodeClaim(root, d.table())
	case rt == "CoverageEligibilityRequest":
		m, err = decodeEligibility(root, d.table())
	case rt == "Bundle":
		m, err = decodeBundle(root, d.table())
	case rt == "":
		return nil, missing("resourceType")
	default:
		return nil, unknownCode("resourceType", rt, "Claim, CoverageEligibilityRequest, Bundle")
	}
	if err != nil {
		return nil, render(err, root, rt)
	}
	return m, nil
}

// utf8Body checks the charset: FHIR JSON is UTF-8, and a byte order mark
// is tolerated and dropped.
func utf8Body(body []byte) ([]byte, error) {
	body = bytes.TrimPrefix(body, []byte("\xef\xbb\xbf"))
	if len(body) >= 2 && (body[0] == 0xfe && body[1] == 0xff || body[0] == 0xff && body[1] == 0xfe) {
		return nil, settlement.Errorf(settlement.CodeBadCharset, settlement.Bi(
			"报文为 UTF-16 编码；FHIR JSON 必须为 UTF-8", "the body is UTF-16; FHIR JSON must be UTF-8"))
	}
	if utf8.Valid(body) {
		return body, nil
	}
	at := 0
	for at < len(body) {
		r, n := utf8.DecodeRune(body[at:])
		if r == utf8.RuneError && n <= 1 {
			break
		}
		at += n
	}
	return nil, settlement.Errorf(settlement.CodeBadCharset, settlement.Bi(
		"第 "+strconv.Itoa(at)+" 字节起不是 UTF-8；FHIR JSON 必须为 UTF-8（不接受 GBK/GB18030）",
		"byte "+strconv.Itoa(at)+" is not UTF-8; FHIR JSON must be UTF-8 (GBK and GB18030 are not accepted)"))
}

// decodeBundle reads a Bundle: the first entry is the request, the others
// the resources it references (into t, empty).
func decodeBundle(root value, t *table) (*Message, error) {
	entries, err := list(root, "entry")
	if err != nil {
		return nil, err
	}
	if len(entries) > maxResources {
		return nil, tooMany(root, ".entry", maxResources)
	}
	var first value
	if len(entries) > 0 {
		if first, err = obj(entries[0], "resource"); err != nil {
			return nil, err
		}
	}
	if first == nil {
		return nil, missing("Bundle.entry[0].resource")
	}
	for i := 1; i < len(entries); i++ {
		r, err := obj(entries[i], "resource")
		if err != nil {
			return nil, err
		}
		url, err := text(entries[i], "fullUrl")
		if err != nil {
			return nil, err
		}
		if err := t.keep(entryRef{v: r, fullURL: url, bundle: true}); err != nil {
			return nil, err
		}
	}
	rt, err := text(first, "resourceType")
	switch {
	case err != nil:
		return nil, err
	case rt == "Claim":
		return decodeClaim(first, t)
	case rt == "CoverageEligibilityRequest":
		return decodeEligibility(first, t)
	case rt == "":
		return nil, missingAt(first, ".resourceType")
	}
	return nil, unknownAt(first, ".resourceType", rt, "Claim, CoverageEligibilityRequest")
}

// tooMany refuses a list longer than its limit.
func tooMany(node value, key string, limit int) error {
	n := strconv.Itoa(limit)
	return badAt(node, key, "最多 "+n+" 个", "at most "+n+" are accepted")
}

// table holds the resources a request may reference: its contained ones
// and the other entries of its Bundle.
type table struct {
	list []entryRef
}

type entryRef struct {
	v       value
	rt      string
	id      []byte // the parser's bytes: entries live only while decoding
	fullURL string
	bundle  bool // a Bundle entry rather than a contained resource
}

// keep adds a resource if it is of a type a request leads to; resources
// of other types are not read at all.
func (t *table) keep(e entryRef) error {
	if e.v == nil {
		return nil
	}
	switch string(raw(e.v, "resourceType")) {
	case "Patient":
		e.rt = "Patient"
	case "Organization":
		e.rt = "Organization"
	case "Coverage":
		e.rt = "Coverage"
	case "Encounter":
		e.rt = "Encounter"
	case "Practitioner":
		e.rt = "Practitioner"
	default:
		return nil
	}
	if id := get(e.v, "id"); id != nil {
		var err error
		if e.id, err = id.StringBytes(); err != nil {
			return wrongType(e.v, ".id", "string")
		}
	}
	t.list = append(t.list, e)
	return nil
}

// contained adds a request's contained resources.
func (t *table) contained(req value) error {
	res, err := list(req, "contained")
	if err != nil {
		return err
	}
	if len(res)+len(t.list) > maxResources {
		return tooMany(req, ".contained", maxResources)
	}
	if t.list == nil {
		t.list = make([]entryRef, 0, len(res))
	}
	for i, r := range res {
		if r.Type() != fastjson.TypeObject {
			return wrongType(req, ".contained["+strconv.Itoa(i)+"]", "object")
		}
		if err := t.keep(entryRef{v: r}); err != nil {
			return err
		}
	}
	return nil
}

// resolve finds what the reference object ref points to and checks its
// type. A logical reference (identifier only) resolves to nothing and is
// not an error: the caller reads the identifier.
func (t *table) resolve(ref value, want string) (*entryRef, error) {
	r := raw(ref, "reference")
	if len(r) == 0 {
		return nil, nil
	}
	for k := range t.list {
		e := &t.list[k]
		var hit bool
		if r[0] == '#' {
			hit = !e.bundle && string(e.id) == string(r[1:])
		} else {
			hit = e.fullURL != "" && e.fullURL == string(r) || len(e.id) > 0 && len(r) == len(e.rt)+1+len(e.id) &&
				string(r[:len(e.rt)]) == e.rt && r[len(e.rt)] == '/' && string(r[len(e.rt)+1:]) == string(e.id)
		}
		if !hit {
			continue
		}
		if e.rt != want {
			got, rt := quote(string(r)), e.rt
			return nil, faultAt(ref, ".reference", func(p string) *settlement.Error {
				return badMessage(p, "引用 "+got+" 指向 "+rt+"，应为 "+want, "reference "+got+" is a "+rt+", want a "+want)
			})
		}
		return e, nil
	}
	got := quote(string(r))
	return nil, faultAt(ref, ".reference", func(p string) *settlement.Error {
		return badMessage(p, "引用 "+got+" 未指向报文内的资源（contained 或 Bundle 条目）",
			"reference "+got+" does not resolve to a contained resource or a Bundle entry")
	})
}

// only returns the single resource of a type, for the Encounter a Claim
// does not reference; more than one is ambiguous.
func (t *table) only(rt string, req value) (*entryRef, error) {
	var found *entryRef
	for k := range t.list {
		if t.list[k].rt != rt {
			continue
		}
		if found != nil {
			return nil, faultAt(req, ".item.encounter", func(p string) *settlement.Error {
				return badMessage(p, "有多个 "+rt+"，请用 item.encounter 指明", "several "+rt+" resources; name one with item.encounter")
			})
		}
		found = &t.list[k]
	}
	return found, nil
}
