package settlement

import (
	"net/netip"
	"reflect"
	"strings"
	"testing"
)

// memView is a View over maps, for the rules that need only a few tables.
// Tables it does not hold answer "not found".
type memView struct {
	hospitals map[string]Hospital
	persons   map[string]Person // by psn_no
	visits    map[string]Visit  // by mdtrt_id
	numbers   map[string]string // hospital + "/" + visit number → mdtrt_id
	lookups   int               // VisitByNumber calls
}

func (m *memView) Hospital(code string) (Hospital, bool, error) {
	h, ok := m.hospitals[code]
	return h, ok, nil
}
func (m *memView) Person(psnNo string) (Person, bool, error) {
	p, ok := m.persons[psnNo]
	return p, ok, nil
}
func (m *memView) PersonByCert(certNo string) (Person, bool, error) {
	for _, p := range m.persons {
		if p.CertNo == certNo || (p.CardNo != "" && p.CardNo == certNo) {
			return p, true, nil
		}
	}
	return Person{}, false, nil
}
func (m *memView) Balance(string) (Fen, error) { return 0, nil }
func (m *memView) Accumulators(string, string, int) (Accumulators, error) {
	return Accumulators{}, nil
}
func (m *memView) PolicyAt(string, string, string) (Policy, bool, error) {
	return Policy{}, false, nil
}
func (m *memView) CatalogAt(string, string) (CatalogVersion, bool, error) {
	return CatalogVersion{}, false, nil
}
func (m *memView) CatalogItem(CatalogVersion, string) (CatalogItem, bool, error) {
	return CatalogItem{}, false, nil
}
func (m *memView) Visit(id string) (Visit, bool, error) {
	v, ok := m.visits[id]
	return v, ok, nil
}
func (m *memView) VisitByNumber(hospital, visitNo string) (string, bool, error) {
	m.lookups++
	id, ok := m.numbers[hospital+"/"+visitNo]
	return id, ok, nil
}
func (m *memView) Record(string) (Record, bool, error) { return Record{}, false, nil }
func (m *memView) RecordsOfHospital(string, string, string) ([]Record, error) {
	return nil, nil
}
func (m *memView) Session(string) (Session, bool, error) { return Session{}, false, nil }
func (m *memView) Answered(string, string) (Kind, Outcome, bool, error) {
	return "", Outcome{}, false, nil
}

const (
	refHospital = "H15010100001"
	refCert     = "150826198003150018"
	refCard     = "K15082600001"
)

func refView() *memView {
	return &memView{
		hospitals: map[string]Hospital{refHospital: {Code: refHospital, Admdvs: "150100"}},
		persons: map[string]Person{"P1": {PsnNo: "P1", CertNo: refCert, CardNo: refCard, Insurances: []Insurance{
			{Insutype: "310", Status: "1", InsuredAdmdvs: "150826"}}}},
		visits: map[string]Visit{
			"M2": {MdtrtID: "M2", PsnNo: "P1", Hospital: refHospital, Kind: Outpatient, State: VisitRegistered, IptOtpNo: "MZ7"},
			"M9": {MdtrtID: "M9", PsnNo: "P9", Hospital: "H15010100009", Kind: Outpatient, State: VisitRegistered, IptOtpNo: "MZ8"},
		},
		numbers: map[string]string{refHospital + "/MZ7": "M2", "H15010100009/MZ8": "M9"},
	}
}

func TestResolveFillsEveryPart(t *testing.T) {
	ref := &HospitalRef{CertType: "02", CertNo: refCert, VisitNo: "MZ7"}
	tests := []struct {
		name string
		req  Request
		want Request // the parts after resolution (Ref is kept)
	}{
		{"1101 person query", Request{Kind: KindPersonInfo, Person: &PersonQuery{}},
			Request{Kind: KindPersonInfo, Person: &PersonQuery{CertType: "02", CertNo: refCert}}},
		{"2001 benefit", Request{Kind: KindBenefitCheck, Benefit: &BenefitQuery{MedType: "11"}},
			Request{Kind: KindBenefitCheck, Benefit: &BenefitQuery{PsnNo: "P1", MedType: "11"}}},
		{"5206 cumulative", Request{Kind: KindCumQuery, Cum: &CumQuery{}},
			Request{Kind: KindCumQuery, Cum: &CumQuery{PsnNo: "P1"}}},
		{"2201 register takes the number, looks up no visit", Request{Kind: KindRegister, Register: &Registration{Insutype: "310"}},
			Request{Kind: KindRegister, Register: &Registration{Insutype: "310", PsnNo: "P1", CertType: "02", CertNo: refCert, IptOtpNo: "MZ7"}}},
		{"2401 admit takes the number", Request{Kind: KindAdmit, Admission: &Admission{MedType: "21"}},
			Request{Kind: KindAdmit, Admission: &Admission{MedType: "21", PsnNo: "P1", CertType: "02", CertNo: refCert, IptNo: "MZ7"}}},
		{"2202 visit ref", Request{Kind: KindCancelRegister, VisitRef: &VisitRef{}},
			Request{Kind: KindCancelRegister, VisitRef: &VisitRef{PsnNo: "P1", MdtrtID: "M2", IptOtpNo: "MZ7"}}},
		{"2203 visit info", Request{Kind: KindVisitInfo, VisitInfo: &VisitInfo{MedType: "11"}},
			Request{Kind: KindVisitInfo, VisitInfo: &VisitInfo{MedType: "11", PsnNo: "P1", MdtrtID: "M2"}}},
		{"2402 discharge", Request{Kind: KindDischarge, Discharge: &Discharge{DscgWay: "1"}},
			Request{Kind: KindDischarge, Discharge: &Discharge{DscgWay: "1", PsnNo: "P1", MdtrtID: "M2"}}},
		{"2204 every fee line", Request{Kind: KindUploadFees, Fees: &FeeUpload{Lines: []FeeLine{{FeedetlSn: "1"}, {FeedetlSn: "2"}}}},
			Request{Kind: KindUploadFees, Fees: &FeeUpload{Lines: []FeeLine{
				{FeedetlSn: "1", PsnNo: "P1", MdtrtID: "M2"}, {FeedetlSn: "2", PsnNo: "P1", MdtrtID: "M2"}}}}},
		{"2205 fee cancel", Request{Kind: KindCancelFees, FeeCancel: &FeeCancel{ChrgBchno: All}},
			Request{Kind: KindCancelFees, FeeCancel: &FeeCancel{ChrgBchno: All, PsnNo: "P1", MdtrtID: "M2"}}},
		{"2207 settle", Request{Kind: KindSettle, Settle: &SettleRequest{ChrgBchno: "CB1"}},
			Request{Kind: KindSettle, Settle: &SettleRequest{ChrgBchno: "CB1", PsnNo: "P1", MdtrtID: "M2", CertType: "02"}}},
		{"2208 cancel", Request{Kind: KindCancelSettle, Cancel: &CancelRequest{SetlID: "S1"}},
			Request{Kind: KindCancelSettle, Cancel: &CancelRequest{SetlID: "S1", PsnNo: "P1", MdtrtID: "M2"}}},
		{"5203 settlement query", Request{Kind: KindSetlQuery, SetlQuery: &CancelRequest{SetlID: "S1"}},
			Request{Kind: KindSetlQuery, SetlQuery: &CancelRequest{SetlID: "S1", PsnNo: "P1", MdtrtID: "M2"}}},
		{"2601 reversal", Request{Kind: KindReversal, Reversal: &ReversalRequest{OMsgID: "X"}},
			Request{Kind: KindReversal, Reversal: &ReversalRequest{OMsgID: "X", PsnNo: "P1"}}},
		{"2503 filing", Request{Kind: KindChronicFiling, Filing: &FilingRequest{DiseCode: "M1"}},
			Request{Kind: KindChronicFiling, Filing: &FilingRequest{DiseCode: "M1", PsnNo: "P1"}}},
		{"what the hospital sent is kept", Request{Kind: KindSettle, Settle: &SettleRequest{PsnNo: "P5", MdtrtID: "M5"}},
			Request{Kind: KindSettle, Settle: &SettleRequest{PsnNo: "P5", MdtrtID: "M5", CertType: "02"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := refView()
			tt.req.Ref, tt.want.Ref = ref, ref
			before := cloneDeep(tt.req)
			got, err := resolve(v, refHospital, tt.req)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("resolved\n got %+v\nwant %+v", parts(got), parts(tt.want))
			}
			if !reflect.DeepEqual(tt.req, before) {
				t.Errorf("resolve changed the caller's request")
			}
			if opens := tt.req.Kind == KindRegister || tt.req.Kind == KindAdmit; opens && v.lookups != 0 {
				t.Errorf("%s looked up a visit", tt.req.Kind)
			}
		})
	}
}

func TestResolveRefusals(t *testing.T) {
	tests := []struct {
		name     string
		ref      HospitalRef
		hospital string
		code     Code
		names    string // what the reason must name
	}{
		{"unknown certificate", HospitalRef{CertType: "02", CertNo: "110101190001010000", VisitNo: "MZ7"}, refHospital, CodeUnknownPerson, "mdtrt_cert_type 02"},
		{"unknown visit number", HospitalRef{CertNo: refCert, VisitNo: "MZ404"}, refHospital, CodeVisitNotFound, "MZ404"},
		{"another hospital's number", HospitalRef{CertNo: refCert, VisitNo: "MZ8"}, refHospital, CodeVisitNotFound, "MZ8"},
		{"no visit number where a visit is needed", HospitalRef{CertNo: refCert}, refHospital, CodeMissingField, "visit number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := Request{Kind: KindSettle, Ref: &tt.ref, Settle: &SettleRequest{ChrgBchno: "CB1"}}
			_, err := resolve(refView(), tt.hospital, req)
			e := AsError(err)
			if e == nil || e.Code != tt.code {
				t.Fatalf("error %v, want %s", err, tt.code)
			}
			if !strings.Contains(e.EN, tt.names) {
				t.Errorf("reason %q does not name %q", e.EN, tt.names)
			}
			if tt.ref.CertNo != "" && strings.Contains(e.Error(), tt.ref.CertNo) {
				t.Errorf("reason %q echoes the certificate number", e.Error())
			}
		})
	}
}

func TestResolveWithoutCertificateTakesTheVisitsPerson(t *testing.T) {
	req := Request{Kind: KindCancelSettle, Ref: &HospitalRef{VisitNo: "MZ7"}, Cancel: &CancelRequest{SetlID: "S1"}}
	got, err := resolve(refView(), refHospital, req)
	if err != nil || got.Cancel.PsnNo != "P1" || got.Cancel.MdtrtID != "M2" {
		t.Errorf("resolved %+v, %v; want P1 and M2 from the visit", got.Cancel, err)
	}
}

// TestResolveInsuredElsewhere: a patient insured in another province is
// not in our registry, so the certificate of a message naming that insured
// place is not looked up here. A registration needs the psn_no the insured
// place gave (the gateway fills it for formats without one); a later
// message takes the person from the visit it names by number.
func TestResolveInsuredElsewhere(t *testing.T) {
	const jxCert = "360102198506120024"
	view := func() *memView {
		v := refView()
		v.visits["M3"] = Visit{MdtrtID: "M3", PsnNo: "J1", Hospital: refHospital, Kind: Outpatient, State: VisitRegistered,
			IptOtpNo: "MZ5", InsuredAdmdvs: "360100"}
		v.numbers[refHospital+"/MZ5"] = "M3"
		return v
	}
	register := func(insured, psnNo, cert string) Request {
		return Request{Kind: KindRegister, Hospital: refHospital, TreatAdmdvs: "150100", InsuredAdmdvs: insured, MsgID: "R1",
			Ref: &HospitalRef{CertType: "02", CertNo: cert, VisitNo: "MZ6"}, Register: &Registration{PsnNo: psnNo, Insutype: "310"}}
	}
	for _, tc := range []struct {
		name    string
		req     Request
		code    Code
		psnNo   string // of the visit opened
		insured string
	}{
		{"registration with the insured place's psn_no", register("360100", "J1", jxCert), "", "J1", "360100"},
		{"registration without a psn_no", register("360100", "", jxCert), CodeMissingField, "", ""},
		{"our own insured person, unknown certificate", register("", "", jxCert), CodeUnknownPerson, "", ""},
		{"our own insured person by certificate", register("", "", refCert), "", "P1", "150826"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, ch, err := Process(view(), tc.req, Stamp{UnixMilli: 1767232800000, Index: 9})
			if tc.code != "" {
				if e := AsError(err); e == nil || e.Code != tc.code || !ch.Empty() {
					t.Fatalf("%v with changes %v, want %s and none", err, !ch.Empty(), tc.code)
				}
				if tc.code == CodeMissingField && !strings.Contains(AsError(err).EN, "psn_no") {
					t.Errorf("reason %q does not name psn_no", AsError(err).EN)
				}
				return
			}
			if err != nil || out.Visit == nil || out.Visit.PsnNo != tc.psnNo || out.Visit.InsuredAdmdvs != tc.insured {
				t.Fatalf("opened %+v, %v; want a visit of %s insured in %s", out.Visit, err, tc.psnNo, tc.insured)
			}
		})
	}
	t.Run("a later message takes the visit's person", func(t *testing.T) {
		req := Request{Kind: KindUploadFees, TreatAdmdvs: "150100", InsuredAdmdvs: "360100",
			Ref:  &HospitalRef{CertType: "02", CertNo: jxCert, VisitNo: "MZ5"},
			Fees: &FeeUpload{Lines: []FeeLine{{FeedetlSn: "1"}}}}
		got, err := resolve(view(), refHospital, req)
		if err != nil || got.Fees.Lines[0].PsnNo != "J1" || got.Fees.Lines[0].MdtrtID != "M3" {
			t.Errorf("resolved %+v, %v; want J1 and M3 from the visit", got.Fees, err)
		}
	})
}

// TestProcessResolvesBeforeDeciding drives Process: a visit named only by
// the hospital's number and the patient's card is cancelled; an unknown
// number is refused and changes nothing.
func TestProcessResolvesBeforeDeciding(t *testing.T) {
	for _, tt := range []struct {
		visitNo string
		code    Code
	}{{"MZ7", ""}, {"MZ6", CodeVisitNotFound}} {
		req := Request{Kind: KindCancelRegister, Hospital: refHospital, TreatAdmdvs: "150100",
			Ref: &HospitalRef{CertType: "03", CertNo: refCard, VisitNo: tt.visitNo}, VisitRef: &VisitRef{}}
		out, ch, err := Process(refView(), req, Stamp{UnixMilli: 1767232800000, Index: 7})
		if tt.code != "" {
			if e := AsError(err); e == nil || e.Code != tt.code || !ch.Empty() {
				t.Errorf("visit %s: %v with changes %v, want %s and none", tt.visitNo, err, !ch.Empty(), tt.code)
			}
			continue
		}
		if err != nil || out.Visit == nil || out.Visit.MdtrtID != "M2" || out.Visit.State != VisitCancelled {
			t.Errorf("visit %s: %+v, %v; want M2 cancelled", tt.visitNo, out.Visit, err)
		}
	}
}

func TestHospitalCheck(t *testing.T) {
	tests := []struct {
		name string
		h    Hospital
		code Code
	}{
		{"every format", Hospital{Formats: Formats, MLLPSources: []string{"10.1.2.0/24", "192.0.2.7", "2001:db8::/32"}}, ""},
		{"a misspelt format", Hospital{Formats: []string{"nhsa", "legacy-xml"}}, CodeUnknownCode},
		{"a source that is no address", Hospital{Formats: []string{"hl7v2"}, MLLPSources: []string{"his.example"}}, CodeBadField},
	}
	for _, tt := range tests {
		err := tt.h.Check()
		if e := AsError(err); (tt.code == "" && err != nil) || (tt.code != "" && (e == nil || e.Code != tt.code)) {
			t.Errorf("%s: %v, want %q", tt.name, err, tt.code)
		}
	}
}

func TestAcceptsMLLPFrom(t *testing.T) {
	h := Hospital{Formats: []string{"nhsa", "hl7v2"}, MLLPSources: []string{"10.1.2.0/24", "192.0.2.7"}}
	tests := []struct {
		h    Hospital
		addr string
		want bool
	}{
		{h, "10.1.2.99", true},
		{h, "::ffff:10.1.2.99", true}, // a dual-stack listener's view of IPv4
		{h, "192.0.2.7", true},
		{h, "192.0.2.8", false},
		{h, "10.1.3.1", false},
		{Hospital{Formats: []string{"nhsa"}, MLLPSources: []string{"10.1.2.0/24"}}, "10.1.2.99", false}, // not registered for hl7v2
		{Hospital{Formats: []string{"hl7v2"}}, "10.1.2.99", false},                                      // no sources: nobody
	}
	for _, tt := range tests {
		if got := tt.h.AcceptsMLLPFrom(mustAddr(tt.addr)); got != tt.want {
			t.Errorf("%v from %s = %v, want %v", tt.h.MLLPSources, tt.addr, got, tt.want)
		}
	}
}

func cloneDeep(r Request) Request {
	c := r.clone()
	if r.Fees != nil {
		c.Fees = &FeeUpload{Lines: append([]FeeLine(nil), r.Fees.Lines...)}
	}
	return c
}

// parts renders the filled parts for a failure message.
func parts(r Request) []any {
	var out []any
	for _, p := range []any{r.Person, r.Benefit, r.Cum, r.Register, r.Admission, r.VisitRef, r.VisitInfo, r.Discharge,
		r.Fees, r.FeeCancel, r.Settle, r.Cancel, r.SetlQuery, r.Reversal, r.Filing} {
		if !reflect.ValueOf(p).IsNil() {
			out = append(out, p)
		}
	}
	return out
}

func mustAddr(s string) netip.Addr { return netip.MustParseAddr(s) }

func (v *memView) Intent(string, string) (Intent, bool, error) { return Intent{}, false, nil }

// FuzzResolve: whatever the hospital names, resolution never overwrites a
// field it sent, fills only from the view, and never echoes a certificate
// number in a refusal.
func FuzzResolve(f *testing.F) {
	f.Add(refCert, "MZ7", "", "")
	f.Add(refCard, "MZ8", "P5", "")
	f.Add("", "", "", "M5")
	f.Add("110101190001010000", "MZ7", "", "")
	f.Fuzz(func(t *testing.T, cert, visitNo, psnSent, mdtrtSent string) {
		req := Request{Kind: KindSettle, Ref: &HospitalRef{CertNo: cert, VisitNo: visitNo},
			Settle: &SettleRequest{PsnNo: psnSent, MdtrtID: mdtrtSent}}
		got, err := resolve(refView(), refHospital, req)
		if e := AsError(err); e != nil {
			if len(cert) >= 6 && strings.Contains(e.Error(), cert) {
				t.Fatalf("refusal %q echoes the certificate", e.Error())
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		s := got.Settle
		if (psnSent != "" && s.PsnNo != psnSent) || (mdtrtSent != "" && s.MdtrtID != mdtrtSent) {
			t.Fatalf("overwrote what was sent: %+v", s)
		}
		if psnSent == "" && s.PsnNo != "" && s.PsnNo != "P1" {
			t.Fatalf("filled psn_no %q from nowhere", s.PsnNo)
		}
		if mdtrtSent == "" && s.MdtrtID != "" && s.MdtrtID != "M2" {
			t.Fatalf("filled mdtrt_id %q from nowhere", s.MdtrtID)
		}
		if req.Settle.PsnNo != psnSent || req.Settle.MdtrtID != mdtrtSent {
			t.Fatal("changed the caller's request")
		}
	})
}
