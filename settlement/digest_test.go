package settlement

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

// The digest tests find the fields of Request by reflection, so that a
// field added to Request or to a type under it is tested without anyone
// listing it: if the digester in digest.go does not write it, changing it
// leaves the digest alone and TestDigestCoversEveryField fails, naming it.

// mutation is one single change to a request, found by reflection.
type mutation struct {
	path string
	// same is true when the change keeps the request's content: MsgID and
	// Digest, which the digest leaves out, and nil against empty for a list
	// the JSON form omitted when empty.
	same  bool
	apply func()
}

// mutations lists every single change that can be made to the request r
// points at: each string, integer and flag changed, each optional part
// added or removed, each list grown, shortened, reordered and (where the
// JSON form told them apart) turned from nil to empty or back.
func mutations(r *Request) []mutation {
	var out []mutation
	walkMutations(reflect.ValueOf(r).Elem(), "Request", false, &out)
	return out
}

func walkMutations(v reflect.Value, path string, omitempty bool, out *[]mutation) {
	add := func(what string, same bool, apply func()) {
		*out = append(*out, mutation{path: path + what, same: same, apply: apply})
	}
	switch v.Kind() {
	case reflect.String:
		add("", false, func() { v.SetString(v.String() + "x") })
	case reflect.Int, reflect.Int64:
		add("", false, func() { v.SetInt(v.Int() + 1) })
	case reflect.Bool:
		add("", false, func() { v.SetBool(!v.Bool()) })
	case reflect.Pointer:
		if v.IsNil() {
			add(" (added)", false, func() { v.Set(reflect.New(v.Type().Elem())) })
			return
		}
		add(" (removed)", false, func() { v.Set(reflect.Zero(v.Type())) })
		walkMutations(v.Elem(), path, false, out)
	case reflect.Slice:
		n := v.Len()
		add(" (one more)", false, func() { v.Set(reflect.Append(v, reflect.Zero(v.Type().Elem()))) })
		if n > 0 {
			add(" (last removed)", false, func() { v.Set(v.Slice(0, n-1)) })
		}
		if n >= 2 && !reflect.DeepEqual(v.Index(0).Interface(), v.Index(1).Interface()) {
			add(" (first two swapped)", false, func() {
				a, b := reflect.New(v.Type().Elem()).Elem(), reflect.New(v.Type().Elem()).Elem()
				a.Set(v.Index(0))
				b.Set(v.Index(1))
				v.Index(0).Set(b)
				v.Index(1).Set(a)
			})
		}
		if n == 0 && v.IsNil() {
			add(" (nil to empty)", omitempty, func() { v.Set(reflect.MakeSlice(v.Type(), 0, 0)) })
		} else if n == 0 {
			add(" (empty to nil)", omitempty, func() { v.Set(reflect.Zero(v.Type())) })
		}
		for i := 0; i < n; i++ {
			walkMutations(v.Index(i), fmt.Sprintf("%s[%d]", path, i), false, out)
		}
	case reflect.Struct:
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			p := path + "." + f.Name
			if t == reflect.TypeFor[Request]() && (f.Name == "MsgID" || f.Name == "Digest") {
				fv := v.Field(i)
				*out = append(*out, mutation{path: p, same: true, apply: func() { fv.SetString(fv.String() + "x") }})
				continue
			}
			walkMutations(v.Field(i), p, strings.Contains(f.Tag.Get("json"), ",omitempty"), out)
		}
	default:
		panic(fmt.Sprintf("%s: the digest tests do not know %s fields: teach them and the digester", path, v.Kind()))
	}
}

// deepCopy copies a request with nothing shared, so that a mutation of the
// copy leaves the original alone.
func deepCopy(r Request) Request {
	var c Request
	copyValue(reflect.ValueOf(&c).Elem(), reflect.ValueOf(r))
	return c
}

func copyValue(dst, src reflect.Value) {
	switch src.Kind() {
	case reflect.Pointer:
		if src.IsNil() {
			return
		}
		dst.Set(reflect.New(src.Type().Elem()))
		copyValue(dst.Elem(), src.Elem())
	case reflect.Slice:
		if src.IsNil() {
			return
		}
		dst.Set(reflect.MakeSlice(src.Type(), src.Len(), src.Len()))
		for i := 0; i < src.Len(); i++ {
			copyValue(dst.Index(i), src.Index(i))
		}
	case reflect.Struct:
		for i := 0; i < src.NumField(); i++ {
			copyValue(dst.Field(i), src.Field(i))
		}
	default:
		dst.Set(src)
	}
}

// fill sets every field of v by reflection: next gives strings, integers
// and flags; part decides whether an optional part is there; count how
// long a list is (a negative count is a nil list).
type filler struct {
	str   func() string
	num   func() int64
	flag  func() bool
	part  func() bool
	count func() int
	depth int
}

func (f *filler) fill(v reflect.Value) {
	switch v.Kind() {
	case reflect.String:
		v.SetString(f.str())
	case reflect.Int, reflect.Int64:
		v.SetInt(f.num())
	case reflect.Bool:
		v.SetBool(f.flag())
	case reflect.Pointer:
		if f.part() {
			v.Set(reflect.New(v.Type().Elem()))
			f.fill(v.Elem())
		}
	case reflect.Slice:
		n := f.count()
		if n < 0 {
			return
		}
		v.Set(reflect.MakeSlice(v.Type(), n, n))
		for i := 0; i < n; i++ {
			f.fill(v.Index(i))
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			f.fill(v.Field(i))
		}
	default:
		panic("filler: " + v.Kind().String())
	}
}

// fullRequest has every optional part present, every list two different
// elements long and every field a value of its own: every field of every
// type under Request can be reached and changed.
func fullRequest() Request { return requestWithLists(2) }

// requestWithLists is a request with every optional part present and every
// list n elements long (nil for n < 0).
func requestWithLists(n int) Request {
	next := 0
	f := &filler{
		str:   func() string { next++; return fmt.Sprintf("v%d", next) },
		num:   func() int64 { next++; return int64(next) },
		flag:  func() bool { next++; return next%2 == 0 },
		part:  func() bool { return true },
		count: func() int { return n },
	}
	var r Request
	f.fill(reflect.ValueOf(&r).Elem())
	return r
}

// fataler is what checkMutation needs of *testing.T and *rapid.T.
type fataler interface {
	Helper()
	Fatalf(format string, args ...any)
}

// checkMutation applies m to a copy of r and checks the digest: changed
// unless the content is the same, and changed exactly when the first
// version's changed, so the second version means what the first meant.
func checkMutation(t fataler, r Request, i int) {
	t.Helper()
	const format = "fhir"
	before, legacyBefore := ContentDigest(format, r), LegacyContentDigest(format, r)
	c := deepCopy(r)
	m := mutations(&c)[i]
	m.apply()
	after, legacyAfter := ContentDigest(format, c), LegacyContentDigest(format, c)
	switch changed := after != before; {
	case !m.same && !changed:
		t.Fatalf("%s: changing it leaves the digest unchanged: write it in the digester (settlement/digest.go)", m.path)
	case m.same && changed:
		t.Fatalf("%s: the content is the same but the digest changed", m.path)
	case changed != (legacyAfter != legacyBefore):
		t.Fatalf("%s: the digest changed: %v, the first version's: %v", m.path, changed, legacyAfter != legacyBefore)
	}
}

// TestDigestCoversEveryField changes each field of a request that has
// every part, one at a time: a field the digester forgot fails here. The
// same is done with every list empty and nil, where the change is from
// one to the other.
func TestDigestCoversEveryField(t *testing.T) {
	r := fullRequest()
	if ms := mutations(&r); len(ms) < 300 {
		t.Fatalf("only %d mutations of a full request: the walk misses parts", len(ms))
	}
	for _, r := range []Request{r, requestWithLists(0), requestWithLists(-1)} {
		for i := range mutations(&r) {
			checkMutation(t, r, i)
		}
	}
	// Removing every part but the kind at once is a change as well.
	if ContentDigest("fhir", r) == ContentDigest("fhir", Request{Kind: r.Kind}) {
		t.Error("a full request and its bare kind have one digest")
	}
}

// TestDigestChangesWithAnyField is the property over random requests:
// changing any single field changes the digest (but MsgID, Digest and
// nil against empty where JSON did not tell them apart), and the same
// content always has the same digest.
func TestDigestChangesWithAnyField(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		f := &filler{
			str: func() string {
				return rapid.SampledFrom([]string{"", "0", "1", "01", "李医生", "a|b^c"}).Draw(t, "str")
			},
			num:   func() int64 { return rapid.Int64Range(-3, 3).Draw(t, "num") },
			flag:  func() bool { return rapid.Bool().Draw(t, "flag") },
			part:  func() bool { return rapid.Float64Range(0, 1).Draw(t, "part") < 0.4 },
			count: func() int { return rapid.IntRange(-1, 3).Draw(t, "count") },
		}
		var r Request
		f.fill(reflect.ValueOf(&r).Elem())
		if ContentDigest("fhir", r) != ContentDigest("fhir", deepCopy(r)) {
			t.Fatal("the same content has two digests")
		}
		ms := mutations(&r)
		checkMutation(t, r, rapid.IntRange(0, len(ms)-1).Draw(t, "mutation"))
	})
}

func TestDigestForm(t *testing.T) {
	r := fullRequest()
	d := ContentDigest("hl7v2", r)
	if f, ok := digestFormat(d); !ok || f != "hl7v2" || !strings.HasPrefix(d, "2:hl7v2:") {
		t.Errorf("digest %q does not name its version and format", d)
	}
	if d == ContentDigest("fhir", r) || ContentDigest("a", r) == ContentDigest("a:", r) {
		t.Error("two formats give one digest")
	}
	r.MsgID, r.Digest = "another msgid", d
	if ContentDigest("hl7v2", r) != d {
		t.Error("the digest depends on the msgid or on the digest it replaces")
	}
	if isLegacyDigest(d) || !isLegacyDigest(LegacyContentDigest("hl7v2", r)) {
		t.Error("the two versions cannot be told apart")
	}
}

// legacyFixture is the first version's digest of a small settlement, as
// ContentDigest computed it before the second version (commit b53be8d):
// LegacyContentDigest must keep recognising digests stored before the
// upgrade.
const legacyFixture = "69951edf36b375a2fcc43c7d1fa8ffc1d1b1e55d0c8258d8eea0beda2bb341cd"

func legacyRequest() Request {
	return Request{Kind: KindSettle, Hospital: "H15010100001", MsgID: "M1", TreatAdmdvs: "150100",
		Settle: &SettleRequest{PsnNo: "15082600000001", CertType: "02", MdtrtID: "M150100", ChrgBchno: "CB1",
			MedType: "11", Insutype: "310", Medfee: 1800000, AcctUsed: true, Split: &SplitTotals{Fulamt: 60000}}}
}

func TestLegacyDigestIsTheFirstVersion(t *testing.T) {
	if got := LegacyContentDigest("delimited", legacyRequest()); got != legacyFixture {
		t.Errorf("LegacyContentDigest = %s, want %s: digests stored before the upgrade would no longer match", got, legacyFixture)
	}
}

func TestSameContent(t *testing.T) {
	req := legacyRequest()
	req.Digest = ContentDigest("delimited", req)
	other := deepCopy(req)
	other.Settle.Medfee++
	other.Digest = ContentDigest("delimited", other)
	otherFormat := deepCopy(req)
	otherFormat.Digest = ContentDigest("legacyxml", otherFormat)
	for _, c := range []struct {
		name   string
		stored string
		req    Request
		want   bool
	}{
		{"same version, same content", req.Digest, req, true},
		{"same version, other content", other.Digest, req, false},
		{"stored before the upgrade, same content", legacyFixture, req, true},
		{"stored before the upgrade, other content", legacyFixture, other, false},
		{"stored before the upgrade, other format", legacyFixture, otherFormat, false},
		{"a national digest", strings.Repeat("a", 64), req, false},
		{"nothing stored", "", req, false},
	} {
		if got := SameContent(c.stored, c.req); got != c.want {
			t.Errorf("%s: SameContent = %v, want %v", c.name, got, c.want)
		}
	}
	// Stored by an upgraded node, retried through one not yet upgraded.
	oldNode := deepCopy(req)
	oldNode.Digest = legacyFixture
	otherOldNode := deepCopy(other)
	otherOldNode.Digest = LegacyContentDigest("delimited", otherOldNode)
	forged := deepCopy(other)
	forged.Digest = legacyFixture
	national := deepCopy(req)
	national.Digest = strings.Repeat("b", 64)
	for _, c := range []struct {
		name string
		req  Request
		want bool
	}{
		{"same content", oldNode, true},
		{"other content", otherOldNode, false},
		{"a first-version digest that is not the request's", forged, false},
		{"a national digest", national, false},
	} {
		if got := SameContent(req.Digest, c.req); got != c.want {
			t.Errorf("stored by an upgraded node, %s: SameContent = %v, want %v", c.name, got, c.want)
		}
	}
	if SameContent(ContentDigest("legacyxml", req), oldNode) {
		t.Error("stored by an upgraded node in another format: a retry")
	}
}

func BenchmarkContentDigest(b *testing.B) {
	r := fullRequest()
	b.ReportAllocs()
	for b.Loop() {
		ContentDigest("fhir", r)
	}
}

func BenchmarkLegacyContentDigest(b *testing.B) {
	r := fullRequest()
	b.ReportAllocs()
	for b.Loop() {
		LegacyContentDigest("fhir", r)
	}
}
