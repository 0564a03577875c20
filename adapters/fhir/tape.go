package fhir

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math/bits"
	"strings"
	"sync"

	"github.com/valyala/fastjson"
	"github.com/valyala/fastjson/fastfloat"

	"github.com/provgate/provgate/internal/jsonnum"
)

// A message is read from a tape: one pass over the body writes every JSON
// value as a node of one flat, reused slice, in document order (a node's
// members follow it; end says where its subtree ends). Nodes hold offsets
// into the body, not copies, and the scan writes no pointer (a slot's doc
// pointer is set the first time the slot is used), so scanning a message
// allocates nothing once the tape has grown and costs the garbage
// collector no write barriers: fastjson's tree of linked values was about
// a third of the round trip, most of it allocation, clearing and write
// barriers rather than looking at bytes.
//
// The scan takes only the JSON it reads exactly as fastjson does: strict
// JSON numbers, strings without a backslash (so a string's bytes are its
// value and a key is compared as written), at most maxScanDepth levels.
// Anything else (escapes, NaN, Inf, numbers such as 01 or 1.e5 that
// fastjson takes, malformed JSON) is parsed by fastjson as before, and its
// values are read through the same nodes (kind tree), so every unusual input
// and every refusal is what it was. The readers above (json.go) see one
// type and cannot tell the two apart; the parity tests check that both
// give the same answer on every input the scan takes.

// maxScanDepth bounds the scan's recursion; deeper messages (never a
// FHIR message of this package) go to fastjson, which stops at 300.
const maxScanDepth = 64

// node is one JSON value of a tape, or, of kind tree, one of fastjson's.
//
// A node is 32 bytes, two thirds of what it was with its index, fastjson's
// value and the kind as separate words: the scan writes a node for every
// value (a 20-item Claim has 625), and writes a third less (about 4 % of
// the scan). Hence the offsets as int32, the kind as a byte, and what only
// some nodes need folded into vs.
type node struct {
	d   *doc
	end int32 // index just past this node's subtree
	// The member key in d.src, for a member of an object, and the text of
	// a string (without quotes) or a number: separate fields, as Go keeps
	// an array of two in memory and copies it through loads and stores
	// (see add). A container's vs is its own index in d.nodes, where its
	// members start; a fallback node's is the index of its value in d.fjs.
	ks, ke int32
	vs, ve int32
	kind   uint8 // a fastjson.Type, or tree
}

// The kinds of nodes: fastjson's types, and tree for fastjson's values
// wrapped by the fallback.
const (
	kNull   = uint8(fastjson.TypeNull)
	kObject = uint8(fastjson.TypeObject)
	kArray  = uint8(fastjson.TypeArray)
	kString = uint8(fastjson.TypeString)
	kNumber = uint8(fastjson.TypeNumber)
	kTrue   = uint8(fastjson.TypeTrue)
	kFalse  = uint8(fastjson.TypeFalse)
	tree    = 0xff
)

// fj is the value of a fallback node (kind tree).
func (v *node) fj() *fastjson.Value { return v.d.fjs[v.vs] }

// doc is one message being read: the tape, or fastjson's tree wrapped.
type doc struct {
	src   []byte
	kept  strings.Builder // the strings kept from src (see stringValue)
	nodes []node
	lists []*node // arrays handed to readers, cut from one reused slice

	wrapped map[*fastjson.Value]*node // the fallback: one node per value, so faults find them by identity
	fjs     []*fastjson.Value         // the fallback nodes' values

	refs table // the message's resources, its list reused

	// The last dateTime converted (see dateTimeOf): as written (the body's
	// or fastjson's bytes) and in the national form.
	lastTimeIn []byte
	lastTime   string
}

// table returns the doc's table of resources, empty.
func (d *doc) table() *table {
	d.refs.list = d.refs.list[:0]
	return &d.refs
}

var docs = sync.Pool{New: func() any { return new(doc) }}

// release drops what the doc points to outside itself and pools it.
func (d *doc) release() {
	d.src, d.wrapped = nil, nil
	clear(d.fjs)
	d.fjs = d.fjs[:0]
	d.kept = strings.Builder{} // its strings are the message's now
	d.lastTime, d.lastTimeIn = "", nil
	clear(d.refs.list) // ids are the body's bytes
	clear(d.lists)
	d.lists = d.lists[:0]
	docs.Put(d)
}

var errType = errors.New("fhir: wrong JSON type")

// Type is the JSON type, as fastjson names it.
func (v *node) Type() fastjson.Type {
	if v.kind != tree {
		return fastjson.Type(v.kind)
	}
	return v.fjType()
}

// fjType is Type on the fallback, apart so that Type is inlined.
//
//go:noinline
func (v *node) fjType() fastjson.Type { return v.fj().Type() }

// Get returns the first member key of an object (as fastjson does when a
// key is repeated), or nil.
func (v *node) Get(key string) *node {
	if v.kind == tree {
		return v.d.wrap(v.fj().Get(key))
	}
	if v.kind != kObject {
		return nil
	}
	nodes, src := v.d.nodes, v.d.src
	n := int32(len(key))
	for c := v.vs + 1; c < v.end; {
		// Most members differ from key in length or first byte; those
		// are told apart without slicing the body or calling memequal.
		x := &nodes[c]
		if x.ke-x.ks == n && n > 0 && src[x.ks] == key[0] && string(src[x.ks:x.ke]) == key {
			return x
		}
		c = x.end
	}
	return nil
}

// StringBytes returns a string's value; the bytes are the body's (or
// fastjson's) and live while the message is read.
func (v *node) StringBytes() ([]byte, error) {
	if v.kind == tree {
		return v.fj().StringBytes()
	}
	if v.kind != kString {
		return nil, errType
	}
	return v.d.src[v.vs:v.ve:v.ve], nil
}

// stringValue returns a string's value as a Go string to keep. On a tape
// it is copied into the doc's kept strings: a Claim keeps a few short
// strings an item (codes), and appending them to one buffer costs less
// than an allocation each, or a copy of the whole body (a 20-item Claim is
// 12 KB, of which it keeps about one).
func (v *node) stringValue() (string, error) {
	if v.kind != kString { // a fallback node too
		b, err := v.StringBytes()
		return string(b), err
	}
	return v.d.keep(v.d.src[v.vs:v.ve]), nil
}

// keep copies b into the doc's kept strings. A strings.Builder never
// changes the bytes it has written, so a string cut from it stays valid
// as it grows; when it is full, a new one is started rather than grown,
// which would copy what it holds.
func (d *doc) keep(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	k := &d.kept
	if k.Cap()-k.Len() < len(b) {
		size := max(2*k.Cap(), len(d.src)/16, 256, len(b))
		*k = strings.Builder{}
		k.Grow(size)
	}
	at := k.Len()
	k.Write(b)
	return k.String()[at:]
}

// Array returns an array's elements.
func (v *node) Array() ([]*node, error) {
	if v.kind == tree {
		a, err := v.fj().Array()
		if err != nil {
			return nil, err
		}
		out := make([]*node, len(a))
		for i, x := range a {
			out[i] = v.d.wrap(x)
		}
		return out, nil
	}
	if v.kind != kArray {
		return nil, errType
	}
	d := v.d
	start := len(d.lists)
	for c := v.vs + 1; c < v.end; c = d.nodes[c].end {
		d.lists = append(d.lists, &d.nodes[c])
	}
	return d.lists[start:len(d.lists):len(d.lists)], nil
}

// one is an array of the lone object v, cut from the doc's lists.
func (v *node) one() []*node {
	d := v.d
	d.lists = append(d.lists, v)
	return d.lists[len(d.lists)-1 : len(d.lists) : len(d.lists)]
}

// Int reads a whole number as fastjson's Value.Int does.
func (v *node) Int() (int, error) {
	if v.kind == tree {
		return v.fj().Int()
	}
	if v.kind != kNumber {
		return 0, errType
	}
	s := v.d.src[v.vs:v.ve]
	// Up to 18 digits, fastfloat.ParseInt64 is this loop; anything longer
	// or with a fraction or exponent is left to it.
	neg := s[0] == '-'
	digits := s
	if neg {
		digits = s[1:]
	}
	if len(digits) > 0 && len(digits) <= 18 {
		n := 0
		for _, c := range digits {
			if c < '0' || c > '9' {
				n = -1
				break
			}
			n = n*10 + int(c-'0')
		}
		if n >= 0 {
			if neg {
				n = -n
			}
			return n, nil
		}
	}
	n, err := fastfloat.ParseInt64(string(s))
	if err != nil {
		return 0, err
	}
	if int64(int(n)) != n {
		return 0, errType
	}
	return int(n), nil
}

// numeral returns a number's text as written (fastjson's String of a
// number).
func (v *node) numeral() []byte {
	if v.kind == tree {
		return []byte(v.fj().String())
	}
	return v.d.src[v.vs:v.ve:v.ve]
}

// wrap gives a fastjson value its node, the same one each time.
func (d *doc) wrap(x *fastjson.Value) *node {
	if x == nil {
		return nil
	}
	if n, ok := d.wrapped[x]; ok {
		return n
	}
	n := &node{d: d, kind: tree, vs: int32(len(d.fjs))}
	d.fjs = append(d.fjs, x)
	d.wrapped[x] = n
	return n
}

// adopt reads a message through fastjson's tree.
func (d *doc) adopt(root *fastjson.Value) *node {
	d.wrapped = make(map[*fastjson.Value]*node)
	return d.wrap(root)
}

// scan writes the tape of body; ok is false when the body is anything but
// JSON the scan reads as fastjson would (see above).
func (d *doc) scan(body []byte) (root *node, ok bool) {
	if len(body) >= 1<<31-1 {
		return nil, false
	}
	// A backslash is either in a string, an escape the scan leaves to
	// fastjson, or outside one, malformed JSON: either way the body is not
	// the scan's, and is told so at once (a vector search over the whole
	// body); str then only looks for the closing quote.
	if bytes.IndexByte(body, '\\') >= 0 {
		return nil, false
	}
	d.src = body
	d.nodes = d.nodes[:0]
	i, ok := d.value(body, space(body, 0), 0, 0, 1)
	if !ok || space(body, i) != len(body) {
		return nil, false
	}
	return &d.nodes[0], true
}

// add appends a node, the member key src[ks:ke] of its object, and
// returns it; the pointer is good until the next add, which may move the
// nodes (a container keeps its index instead).
//
// Offsets go through the scan as separate integers, never as [2]int32:
// Go keeps an array of two in memory, and loading one whole right after it
// was stored in halves stalls (a store cannot be forwarded to a wider
// load). That stall after each string was about a twentieth of the scan.
func (d *doc) add(kind uint8, ks, ke int) *node {
	n := len(d.nodes)
	if n < cap(d.nodes) {
		d.nodes = d.nodes[:n+1]
	} else {
		d.nodes = append(d.nodes, node{})
	}
	x := &d.nodes[n]
	if x.d != d { // set once per slot: the scan then writes no pointer
		x.d = d
	}
	// vs is the node's index, what a container keeps there; a string or
	// a number sets its text after.
	x.kind, x.end, x.ks, x.ke, x.vs, x.ve = kind, int32(n+1), int32(ks), int32(ke), int32(n), 0
	return x
}

// The scan's functions take the position in b and return the next one:
// kept in registers rather than in a scanner struct, which every step
// would load and store.

// space skips JSON white space from i, the four bytes fastjson skips. All
// four are at most ' ': in compact JSON one comparison tells the next byte
// is not white space.
func space(b []byte, i int) int {
	for i < len(b) && b[i] <= ' ' && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t') {
		i++
	}
	return i
}

// str reads a string, i at its opening quote, and returns the position of
// its closing quote, or -1 when there is none. The body has no backslash
// (see scan), so the string ends at the next quote. The strings of a
// message are short (codes, URIs, names): eight bytes are tested at a
// time, which is faster on them than a call to bytes.IndexByte.
func str(b []byte, i int) (end int) {
	j := i + 1
	for ; j+8 <= len(b); j += 8 {
		if m := hasByte(binary.LittleEndian.Uint64(b[j:]), '"'); m != 0 {
			// The lowest bit set is exact: false positives of the test
			// only occur above a byte that matched.
			return j + bits.TrailingZeros64(m)/8
		}
	}
	for ; j < len(b); j++ {
		if b[j] == '"' {
			return j
		}
	}
	return -1
}

// hasByte has the high bit of each byte of x that is c set (and possibly
// bits above the first such byte).
func hasByte(x uint64, c byte) uint64 {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	y := x ^ lo*uint64(c)
	return (y - lo) &^ y & hi
}

// value reads the value at i (white space skipped), the member b[ks:ke] of
// its object if it is one, and returns the position after it.
func (d *doc) value(b []byte, i, ks, ke, depth int) (int, bool) {
	if i >= len(b) || depth > maxScanDepth {
		return 0, false
	}
	switch c := b[i]; {
	case c == '{':
		at := d.add(kObject, ks, ke).vs
		if i = space(b, i+1); i < len(b) && b[i] == '}' {
			return i + 1, true
		}
		for {
			if i = space(b, i); i >= len(b) || b[i] != '"' {
				return 0, false
			}
			ks, ke := i+1, str(b, i)
			if ke < 0 {
				return 0, false
			}
			if i = space(b, ke+1); i >= len(b) || b[i] != ':' {
				return 0, false
			}
			if i = space(b, i+1); i < len(b) && b[i] == '"' {
				// Most members are strings: read here, without a call.
				end := str(b, i)
				if end < 0 {
					return 0, false
				}
				x := d.add(kString, ks, ke)
				x.vs, x.ve = int32(i+1), int32(end)
				i = end + 1
			} else {
				var ok bool
				if i, ok = d.value(b, i, ks, ke, depth+1); !ok {
					return 0, false
				}
			}
			if i = space(b, i); i >= len(b) {
				return 0, false
			}
			if b[i] == ',' {
				i++
				continue
			}
			if b[i] != '}' {
				return 0, false
			}
			d.nodes[at].end = int32(len(d.nodes))
			return i + 1, true
		}
	case c == '[':
		at := d.add(kArray, ks, ke).vs
		if i = space(b, i+1); i < len(b) && b[i] == ']' {
			return i + 1, true
		}
		for {
			var ok bool
			if i, ok = d.value(b, space(b, i), 0, 0, depth+1); !ok {
				return 0, false
			}
			if i = space(b, i); i >= len(b) {
				return 0, false
			}
			if b[i] == ',' {
				i++
				continue
			}
			if b[i] != ']' {
				return 0, false
			}
			d.nodes[at].end = int32(len(d.nodes))
			return i + 1, true
		}
	case c == '"':
		end := str(b, i)
		if end < 0 {
			return 0, false
		}
		x := d.add(kString, ks, ke)
		x.vs, x.ve = int32(i+1), int32(end)
		return end + 1, true
	case c == '-' || '0' <= c && c <= '9':
		n := jsonnum.Len(b[i:])
		if n == 0 {
			return 0, false
		}
		x := d.add(kNumber, ks, ke)
		x.vs, x.ve = int32(i), int32(i+n)
		return i + n, true
	}
	for _, lit := range [...]struct {
		text string
		kind uint8
	}{{"true", kTrue}, {"false", kFalse}, {"null", kNull}} {
		if bytes.HasPrefix(b[i:], []byte(lit.text)) {
			d.add(lit.kind, ks, ke)
			return i + len(lit.text), true
		}
	}
	return 0, false
}

// locateTape finds the path of target under v on a tape. fastjson shares
// one value for every true, false and null of a message, so a fault at one
// of those was located at the first of its kind; the tape does the same,
// for the same path.
func locateTape(v, target *node, path string) (string, bool) {
	if v == target || v.kind == target.kind && literal(v.kind) {
		return path, true
	}
	d := v.d
	switch v.kind {
	case kObject:
		for c := v.vs + 1; c < v.end; c = d.nodes[c].end {
			x := &d.nodes[c]
			if p, ok := locateTape(x, target, path+"."+string(d.src[x.ks:x.ke])); ok {
				return p, true
			}
		}
	case kArray:
		k := 0
		for c := v.vs + 1; c < v.end; c = d.nodes[c].end {
			if p, ok := locateTape(&d.nodes[c], target, index(path, k)); ok {
				return p, true
			}
			k++
		}
	}
	return "", false
}

func literal(k uint8) bool {
	return k == kTrue || k == kFalse || k == kNull
}
