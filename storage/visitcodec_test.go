package storage

import (
	"bytes"
	"reflect"
	"testing"

	json "github.com/goccy/go-json"
	"pgregory.net/rapid"

	"github.com/provgate/provgate/settlement"
)

// genVisit draws visits with every field set or empty, nil and empty
// slices, lines that repeat or differ from their visit's ids, and amounts
// of every sign and size.
func genVisit() *rapid.Generator[settlement.Visit] {
	str := rapid.OneOf(rapid.Just(""), rapid.StringMatching(`[0-9A-Z]{1,12}`), rapid.String())
	// Amounts as large as the JSON form of older versions reads back.
	amount := rapid.OneOf(rapid.Int64Range(-1000, 100000), rapid.Int64Range(-1e11, 1e11))
	slice := func(n int) *rapid.Generator[int] { return rapid.IntRange(-1, n) } // -1: nil
	return rapid.Custom(func(t *rapid.T) settlement.Visit {
		v := settlement.Visit{
			MdtrtID: str.Draw(t, "mdtrt"), PsnNo: str.Draw(t, "psn"), Insutype: str.Draw(t, "insutype"),
			Hospital: str.Draw(t, "hosp"), TreatAdmdvs: str.Draw(t, "treat"), InsuredAdmdvs: str.Draw(t, "insured"),
			Kind: str.Draw(t, "kind"), MedType: str.Draw(t, "medtype"), Begntime: str.Draw(t, "begn"),
			Endtime: str.Draw(t, "end"), IptOtpNo: str.Draw(t, "no"), DeptCode: str.Draw(t, "dept"),
			DrName: str.Draw(t, "dr"), DiseCodg: str.Draw(t, "dise"), DiseName: str.Draw(t, "disename"),
			DscgWay: str.Draw(t, "dscg"), State: settlement.VisitState(str.Draw(t, "state")),
			RegisteredAt: str.Draw(t, "reg"), FinalSetlID: str.Draw(t, "final"),
		}
		if n := slice(3).Draw(t, "diagnoses"); n >= 0 {
			v.Diagnoses = make([]settlement.Diagnosis, n)
			for i := range v.Diagnoses {
				v.Diagnoses[i] = settlement.Diagnosis{Type: str.Draw(t, "dt"), SrtNo: str.Draw(t, "ds"),
					Code: str.Draw(t, "dc"), Name: str.Draw(t, "dn"), Main: rapid.Bool().Draw(t, "dm"),
					Dept: str.Draw(t, "dd"), DrCode: str.Draw(t, "ddc"), DrName: str.Draw(t, "ddn")}
			}
		}
		if n := slice(3).Draw(t, "batches"); n >= 0 {
			v.Batches = make([]settlement.Batch, n)
			for i := range v.Batches {
				b := &v.Batches[i]
				b.ChrgBchno, b.CatalogRef = str.Draw(t, "bchno"), str.Draw(t, "catalog")
				b.SetlID, b.Pending = str.Draw(t, "setl"), str.Draw(t, "pending")
				if n := slice(25).Draw(t, "lines"); n >= 0 {
					b.Lines = make([]settlement.LineSplit, n)
					for j := range b.Lines {
						l := &b.Lines[j]
						l.MdtrtID, l.PsnNo, l.ChrgBchno = v.MdtrtID, v.PsnNo, b.ChrgBchno
						if rapid.IntRange(0, 5).Draw(t, "own ids") == 0 {
							l.MdtrtID, l.PsnNo, l.ChrgBchno = str.Draw(t, "lm"), str.Draw(t, "lp"), str.Draw(t, "lb")
						}
						l.FeedetlSn, l.MedListCodg, l.MedinsListCodg = str.Draw(t, "sn"), str.Draw(t, "code"), str.Draw(t, "hcode")
						l.FeeOcurTime, l.DiseCodg, l.HospApprFlag = str.Draw(t, "time"), str.Draw(t, "ldise"), str.Draw(t, "appr")
						l.Name, l.Class, l.ChargeType, l.Memo = str.Draw(t, "name"), settlement.ItemClass(str.Draw(t, "class")), str.Draw(t, "type"), str.Draw(t, "memo")
						l.HospBear, l.Restricted = rapid.Bool().Draw(t, "bear"), rapid.Bool().Draw(t, "restricted")
						l.Amount, l.Qty, l.Price = settlement.Fen(amount.Draw(t, "amt")), settlement.Qty(amount.Draw(t, "qty")), settlement.Price(amount.Draw(t, "price"))
						l.SelfPay, l.PriceCap = settlement.BP(amount.Draw(t, "selfpay")), settlement.Fen(amount.Draw(t, "cap"))
						l.Fulamt, l.Overlmt, l.Preselfpay = settlement.Fen(amount.Draw(t, "ful")), settlement.Fen(amount.Draw(t, "over")), settlement.Fen(amount.Draw(t, "pre"))
						l.Inscp, l.HospPart = settlement.Fen(amount.Draw(t, "inscp")), settlement.Fen(amount.Draw(t, "hosp"))
					}
				}
			}
		}
		if n := slice(3).Draw(t, "settlements"); n >= 0 {
			v.Settlements = make([]string, n)
			for i := range v.Settlements {
				v.Settlements[i] = str.Draw(t, "s")
			}
		}
		return v
	})
}

// A visit decodes to exactly what was stored, nil slices included; the
// stored value is the same bytes every time (replicas must agree); and the
// replica digest sees the JSON an older version stored for the same visit.
func TestVisitCodecRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		v := genVisit().Draw(t, "visit")
		if out := storeAndRead(t, v); !reflect.DeepEqual(out, v) {
			t.Fatalf("round trip changed the visit:\n got %#v\nwant %#v", out, v)
		}
		// A visit stored as JSON by an older version reads the same.
		want, _ := json.Marshal(v)
		var fromJSON, viaJSON settlement.Visit
		if err := decodeValue(want, &fromJSON); err != nil {
			t.Fatal(err)
		}
		_ = json.Unmarshal(want, &viaJSON)
		if !reflect.DeepEqual(fromJSON, viaJSON) {
			t.Fatal("a JSON visit read differently")
		}
	})
}

// storeAndRead encodes v as it is stored, checks that the bytes are the
// same every time (replicas must agree) and that the replica digest sees
// v's JSON (what an older version stored), and decodes them.
func storeAndRead[T any](t *rapid.T, v T) T {
	b, err := encodeValue(v)
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := encodeValue(v); !bytes.Equal(b, again) {
		t.Fatal("the same value encoded to different bytes")
	}
	want, _ := json.Marshal(v)
	if got, err := digestValue(b); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("digest form = %s, %v; want the JSON %s", got, err, want)
	}
	var out T
	if err := decodeValue(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestVisitCodecRefusesDamage(t *testing.T) {
	v := settlement.Visit{MdtrtID: "M1", PsnNo: "P1", Batches: []settlement.Batch{{ChrgBchno: "B1",
		Lines: []settlement.LineSplit{{FeeLine: settlement.FeeLine{FeedetlSn: "1", MdtrtID: "M1", PsnNo: "P1", ChrgBchno: "B1", Amount: 2500}}}}}}
	good := appendVisit(nil, &v)
	cases := []struct {
		name string
		b    []byte
	}{
		{"empty", nil},
		{"mark only", good[:1]},
		{"newer version", append([]byte{visitMark, visitVersion + 1}, good[2:]...)},
		{"truncated", good[:len(good)-1]},
		{"trailing byte", append(bytes.Clone(good), 0)},
		{"huge count", append([]byte{visitMark, visitVersion}, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x0f)},
		{"overlong varint", append([]byte{visitMark, visitVersion}, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out settlement.Visit
			if err := decodeVisit(c.b, &out); err == nil {
				t.Fatalf("decoded damaged bytes into %+v", out)
			}
		})
	}
	var out settlement.Visit
	if err := decodeVisit(good, &out); err != nil || !reflect.DeepEqual(out, v) {
		t.Fatalf("the undamaged value: %+v, %v", out, err)
	}
	var wrong settlement.Person
	if err := decodeValue(good, &wrong); err == nil {
		t.Fatal("a visit value decoded as a person")
	}
}

func FuzzDecodeVisit(f *testing.F) {
	v := settlement.Visit{MdtrtID: "M1", PsnNo: "P1", Diagnoses: []settlement.Diagnosis{{Code: "J00"}},
		Batches: []settlement.Batch{{ChrgBchno: "B1", Lines: []settlement.LineSplit{
			{FeeLine: settlement.FeeLine{FeedetlSn: "1", MdtrtID: "M1", PsnNo: "P1", ChrgBchno: "B1", Amount: 2500}},
			{FeeLine: settlement.FeeLine{FeedetlSn: "2", MdtrtID: "X", Amount: -1}, Restricted: true}}}},
		Settlements: []string{"S1"}}
	f.Add(appendVisit(nil, &v))
	f.Add(appendVisit(nil, &settlement.Visit{}))
	f.Fuzz(func(t *testing.T, b []byte) {
		var out settlement.Visit
		if decodeVisit(b, &out) != nil {
			return
		}
		// Whatever decodes re-encodes to a value that decodes the same.
		var again settlement.Visit
		if err := decodeVisit(appendVisit(nil, &out), &again); err != nil || !reflect.DeepEqual(again, out) {
			t.Fatalf("re-encoding a decoded visit: %v", err)
		}
	})
}
