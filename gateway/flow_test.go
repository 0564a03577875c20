package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/provgate/provgate/internal/goldenfile"

	"github.com/provgate/provgate/settlement"
	"github.com/provgate/provgate/tif"
)

// golden compares got with testdata/<name>, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	goldenfile.Check(t, filepath.Join("testdata", name), got)
}

// tiny is a test format: a JSON array of domain requests in, one line per
// answer out, "REFUSED code" for a refusal. It stands in for the adapters
// so that the flow is tested on its own.
type tiny struct{ name string }

type tinyMessage struct{ reqs []settlement.Request }

func (f tiny) Name() string { return f.name }

func (f tiny) Decode(body []byte) (Message, error) {
	var reqs []settlement.Request
	if err := json.Unmarshal(body, &reqs); err != nil {
		return nil, settlement.Errorf(settlement.CodeBadMessage, f.name, settlement.Bi("开头", "the start"), settlement.Bi("不是请求数组", "not an array of requests"))
	}
	return tinyMessage{reqs}, nil
}

func (f tiny) Refuse(m Message, e *settlement.Error, _ time.Time) []byte {
	return fmt.Appendf(nil, "REFUSED %s (decoded %v): %s\n", e.Code, m != nil, e.EN)
}

func (f tiny) ContentType(Message) string { return "text/x-tiny" }

func (m tinyMessage) Requests() []settlement.Request { return m.reqs }

func (m tinyMessage) Encode(answers []settlement.Answer) ([]byte, error) {
	var b bytes.Buffer
	for i, a := range answers {
		fmt.Fprintf(&b, "%s %s ok index=%d replayed=%v\n", m.reqs[i].Kind, m.reqs[i].MsgID, a.Stamp.Index, a.Replayed)
	}
	return b.Bytes(), nil
}

// credentials is a registry of hospitals for authentication.
type credentials map[string]settlement.Hospital // by code

func (c credentials) HospitalByPaasID(paasID string) (settlement.Hospital, bool, error) {
	for _, h := range c {
		if h.PaasID == paasID {
			return h, true, nil
		}
	}
	return settlement.Hospital{}, false, nil
}

func (c credentials) HospitalByCode(code string) (settlement.Hospital, bool, error) {
	h, ok := c[code]
	return h, ok, nil
}

const (
	hospA = "H15010100001" // registered for every format
	hospB = "H15010100002" // national only
)

func registry() credentials {
	return credentials{
		hospA: {Code: hospA, Admdvs: "150100", PaasID: "paas-a", Token: "token-a", Formats: settlement.Formats,
			MLLPSources: []string{"127.0.0.1/32"}},
		hospB: {Code: hospB, Admdvs: "150102", PaasID: "paas-b", Token: "token-b", Formats: []string{"nhsa"},
			MLLPSources: []string{"127.0.0.1"}},
	}
}

// recordingLedger answers writes and reads in order, recording what it
// was asked; refuse names msgids to refuse, replay those answered again.
type recordingLedger struct {
	mu     sync.Mutex
	asked  []settlement.Request
	refuse map[string]error
	replay map[string]bool
}

func (l *recordingLedger) answer(r settlement.Request) (settlement.Answer, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.asked = append(l.asked, r)
	if err := l.refuse[r.MsgID]; err != nil {
		return settlement.Answer{}, err
	}
	return settlement.Answer{Stamp: settlement.Stamp{UnixMilli: 1767232800000, Index: uint64(len(l.asked))}, Replayed: l.replay[r.MsgID]}, nil
}

func (l *recordingLedger) Submit(_ context.Context, r settlement.Request) (settlement.Answer, error) {
	return l.answer(r)
}
func (l *recordingLedger) Read(_ context.Context, r settlement.Request) (settlement.Answer, error) {
	return l.answer(r)
}
func (l *recordingLedger) Ready() error { return nil }

func (l *recordingLedger) msgids() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, r := range l.asked {
		out = append(out, r.MsgID)
	}
	return out
}

func tinyServer(l Ledger) *Server {
	var formats []Format
	for _, name := range []string{"legacyxml", "delimited", "hl7v2", "fhir"} {
		formats = append(formats, tiny{name})
	}
	return New(Config{Province: "150000", Ledger: l, Credentials: registry(), Formats: formats,
		RequestTimeout: time.Second, Now: testNow})
}

// testNow is the gateway's clock in tests: the time requests are signed at.
func testNow() time.Time { return time.Unix(1767232800, 0) }

// send posts body to path signed as the hospital with paasID.
func send(s *Server, path, paasID, token string, body []byte) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
	if paasID != "" {
		tif.SignRequest(req, paasID, token, time.Unix(1767232800, 0))
	}
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, req)
	return rec
}

func requests(reqs ...settlement.Request) []byte {
	b, _ := json.Marshal(reqs)
	return b
}

func register(msgid string) settlement.Request {
	return settlement.Request{Kind: settlement.KindRegister, MsgID: msgid, Digest: "d-" + msgid,
		Ref: &settlement.HospitalRef{CertType: "02", CertNo: "150826198003150018", VisitNo: "MZ1"}, Register: &settlement.Registration{Insutype: "310"}}
}

func fees(msgid string) settlement.Request {
	return settlement.Request{Kind: settlement.KindUploadFees, MsgID: msgid, Digest: "d-" + msgid,
		Ref: &settlement.HospitalRef{VisitNo: "MZ1"}, Fees: &settlement.FeeUpload{Lines: []settlement.FeeLine{{FeedetlSn: "1"}}}}
}

func personInfo(msgid string) settlement.Request {
	return settlement.Request{Kind: settlement.KindPersonInfo, MsgID: msgid, Ref: &settlement.HospitalRef{CertNo: "150826198003150018"}}
}

// snapshot renders an HTTP answer for a golden file: status, the headers
// the flow sets, and the body.
func snapshot(rec *httptest.ResponseRecorder) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "status %d\n", rec.Code)
	var names []string
	for k := range rec.Header() {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		fmt.Fprintf(&b, "%s: %s\n", k, rec.Header().Get(k))
	}
	b.WriteString("\n")
	b.Write(rec.Body.Bytes())
	return b.Bytes()
}

// TestOneFlowForEveryFormat drives each route through the shared flow: the
// answer is in the route's format, requests are decided in order and stop
// at the first refusal, the sender's registration decides what it may
// send, and nothing is decided for a refused message.
func TestOneFlowForEveryFormat(t *testing.T) {
	refused := settlement.Errorf(settlement.CodeAlreadySettled, "S1")
	tests := []struct {
		name, path, paas string
		body             []byte
		replay           []string // msgids the ledger answers from its table
		asked            []string // msgids the ledger must be asked, in order
	}{
		{"legacy xml three requests in order", "/legacy/xml", "paas-a", requests(personInfo("m1"), register("m2"), fees("m3")), nil, []string{"m1", "m2", "m3"}},
		{"delimited", "/legacy/delimited", "paas-a", requests(register("m2")), nil, []string{"m2"}},
		{"hl7v2 over HTTP", "/hl7v2", "paas-a", requests(register("m2")), nil, []string{"m2"}},
		{"fhir claim", "/fhir/Claim/$submit", "paas-a", requests(register("m2"), fees("m3")), nil, []string{"m2", "m3"}},
		{"fhir eligibility", "/fhir/CoverageEligibilityRequest/$submit", "paas-a", requests(personInfo("m1")), nil, []string{"m1"}},
		{"stop at the first refusal", "/legacy/xml", "paas-a", requests(register("m2"), fees("refused"), fees("m4")), nil, []string{"m2", "refused"}},
		{"fhir refusal has an HTTP status", "/fhir/Claim/$submit", "paas-a", requests(fees("refused")), nil, []string{"refused"}},
		{"every write replayed", "/legacy/delimited", "paas-a", requests(personInfo("m1"), register("m2"), fees("m3")), []string{"m2", "m3"}, []string{"m1", "m2", "m3"}},
		{"some writes replayed", "/legacy/delimited", "paas-a", requests(register("m2"), fees("m3")), []string{"m2"}, []string{"m2", "m3"}},
		{"format not registered", "/legacy/xml", "paas-b", requests(register("m2")), nil, nil},
		{"message names another institution", "/hl7v2", "paas-a", requests(func() settlement.Request {
			r := register("m2")
			r.Hospital = hospB
			return r
		}()), nil, nil},
		{"undecodable", "/hl7v2", "paas-a", []byte("MSH|^~\\&|"), nil, nil},
		{"no credentials", "/legacy/delimited", "", requests(register("m2")), nil, nil},
		{"empty message", "/legacy/delimited", "paas-a", requests(), nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := &recordingLedger{refuse: map[string]error{"refused": refused}, replay: map[string]bool{}}
			for _, m := range tt.replay {
				l.replay[m] = true
			}
			token := map[string]string{"paas-a": "token-a", "paas-b": "token-b"}[tt.paas]
			rec := send(tinyServer(l), tt.path, tt.paas, token, tt.body)
			golden(t, "flow/"+strings.ReplaceAll(tt.name, " ", "-")+".golden", snapshot(rec))
			if got := l.msgids(); strings.Join(got, ",") != strings.Join(tt.asked, ",") {
				t.Errorf("ledger asked %v, want %v", got, tt.asked)
			}
		})
	}
}

// TestRegistrationFillsInstitutionAndRegion checks that requests reach the
// ledger with the sender's institution and region, and a digest over them
// that a retry reproduces.
func TestRegistrationFillsInstitutionAndRegion(t *testing.T) {
	l := &recordingLedger{}
	s := tinyServer(l)
	send(s, "/legacy/xml", "paas-a", "token-a", requests(register("m2")))
	send(s, "/legacy/xml", "paas-a", "token-a", requests(register("m2")))
	if len(l.asked) != 2 {
		t.Fatalf("ledger asked %d times", len(l.asked))
	}
	got := l.asked[0]
	want := register("m2")
	want.Hospital, want.TreatAdmdvs = hospA, "150100"
	want.Digest = settlement.ContentDigest("legacyxml", want)
	if got.Hospital != hospA || got.TreatAdmdvs != "150100" || got.Digest != want.Digest {
		t.Errorf("request reached the ledger as %s/%s digest %s, want %s/150100 digest %s", got.Hospital, got.TreatAdmdvs, got.Digest, hospA, want.Digest)
	}
	if l.asked[1].Digest != got.Digest {
		t.Error("the same message gave another digest")
	}
	sent := register("m5")
	sent.TreatAdmdvs = "150102" // the hospital says where: kept, and refused by the state machine if wrong
	send(s, "/legacy/xml", "paas-a", "token-a", requests(sent))
	if r := l.asked[2]; r.TreatAdmdvs != "150102" || r.Digest != settlement.ContentDigest("legacyxml", settlement.Request{
		Kind: r.Kind, Hospital: hospA, MsgID: "m5", TreatAdmdvs: "150102", Ref: r.Ref, Register: r.Register}) {
		t.Errorf("a region the hospital sent was replaced or the digest not recomputed: %+v", r)
	}
}

// TestFormatsWithoutRoutesAreNotServed: a format cmd did not wire has no
// endpoint.
func TestFormatsWithoutRoutesAreNotServed(t *testing.T) {
	s := New(Config{Province: "150000", Ledger: &recordingLedger{}})
	if rec := send(s, "/legacy/xml", "", "", requests(register("m2"))); rec.Code != http.StatusNotFound {
		t.Errorf("/legacy/xml without the format: %d", rec.Code)
	}
}

// TestAdaptWrapsAnAdapterPackage checks Adapt against the adapter contract:
// a nil message reaches EncodeError and ContentType when the bytes did not
// decode, the decoded one otherwise.
func TestAdaptWrapsAnAdapterPackage(t *testing.T) {
	type msg struct{ reqs []settlement.Request }
	var seen []string
	f := Adapt(Adapter[msg]{
		Format: "delimited",
		Decode: func(b []byte) (*msg, error) {
			if string(b) == "bad" {
				return nil, settlement.Errorf(settlement.CodeBadCharset, "GBK")
			}
			return &msg{[]settlement.Request{register("m1")}}, nil
		},
		Requests: func(m *msg) []settlement.Request { return m.reqs },
		Encode:   func(m *msg, a []settlement.Answer) ([]byte, error) { return []byte(fmt.Sprint(len(a))), nil },
		EncodeError: func(m *msg, e *settlement.Error, _ time.Time) []byte {
			seen = append(seen, fmt.Sprintf("error nil=%v", m == nil))
			return []byte(e.Code)
		},
		ContentType: func(m *msg) string { return fmt.Sprintf("nil=%v", m == nil) },
	})
	m, err := f.Decode([]byte("bad"))
	if m != nil || settlement.AsError(err).Code != settlement.CodeBadCharset {
		t.Fatalf("bad bytes: %v %v", m, err)
	}
	if got := string(f.Refuse(m, settlement.AsError(err), time.Time{})); got != "E4009" || f.ContentType(m) != "nil=true" {
		t.Errorf("refusal of undecodable bytes: %s, %s", got, f.ContentType(m))
	}
	m, err = f.Decode([]byte("good"))
	if err != nil || len(m.Requests()) != 1 || f.Name() != "delimited" {
		t.Fatalf("good bytes: %v %v", m, err)
	}
	f.Refuse(m, settlement.Errorf(settlement.CodeUnknownCode, "PV1-2", "X", "O, I"), time.Time{})
	if out, _ := m.Encode(make([]settlement.Answer, 1)); string(out) != "1" || f.ContentType(m) != "nil=false" || seen[1] != "error nil=false" {
		t.Errorf("decoded message: %s, %s, %v", out, f.ContentType(m), seen)
	}
}
