package consensus

import (
	"context"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"github.com/provgate/provgate/settlement"
	"github.com/provgate/provgate/storage"
)

const (
	hospCode   = "H45010100001"
	offNetwork = "H45020000009"
	region     = "450100"
)

func yuan(s string) settlement.Fen {
	f, err := settlement.ParseFen(s)
	if err != nil {
		panic(err)
	}
	return f
}

// testNode is a real single-node cluster: raft-wal and badger in temp
// directories, raft's in-memory transport.
type testNode struct {
	*Node
	store *storage.Store
	dir   string
}

func startNode(t *testing.T, dir string) *testNode {
	t.Helper()
	store, err := storage.Open(dir+"/state", storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, trans := raft.NewInmemTransport(raft.ServerAddress("node1"))
	n, err := Open(Config{NodeID: "node1", Dir: dir + "/raft", Bootstrap: true, transport: trans, fastTimeouts: true}, store)
	if err != nil {
		store.Close()
		t.Fatal(err)
	}
	tn := &testNode{Node: n, store: store, dir: dir}
	t.Cleanup(tn.stop)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := n.WaitLeader(ctx); err != nil {
		t.Fatal(err)
	}
	return tn
}

func (tn *testNode) stop() {
	tn.Node.Close()
	tn.store.Close()
}

// seedData is a P1-style policy for region 450100 (insured here), one
// catalog, two hospitals, and an employee with 10,000.00 in the account.
type seedData struct {
	policy    settlement.Policy
	catalog   settlement.Catalog
	hospitals []settlement.Hospital
	person    settlement.Person
}

func seedFixtures() seedData {
	policy := settlement.Policy{
		InsuredAdmdvs: region, Insutype: "310", Version: "2024.1", EffectiveFrom: "2024-01-01",
		UnfiledAction:     "TEMP_OTHER",
		FilingReductionBP: map[settlement.FilingCategory]settlement.BP{settlement.FilingTempOther: 1000},
		Account: settlement.AccountRule{Exists: true, PayableParts: []string{
			settlement.PartFullOwnpay, settlement.PartOverLimit, settlement.PartPreselfpay, settlement.PartInscpSelf}},
		MedTypes: []settlement.MedTypeRule{{
			MedTypes:   []string{"11"},
			Scope:      settlement.ScopeOutpatient,
			Deductible: settlement.DeductibleRule{Mode: settlement.DeductibleAnnual, Standards: []settlement.Standard{{Amount: yuan("1200")}}},
			Pool:       settlement.PoolRule{AnnualCap: yuan("300000"), BandSets: []settlement.BandSet{{Bands: []settlement.Band{{RatioBP: 8000}}}}},
		}, {
			MedTypes: []string{"14"}, Scope: settlement.ScopeChronic, Disease: settlement.ChronicHypertension, DiseaseCodes: []string{"M03900"},
			Deductible: settlement.DeductibleRule{Mode: settlement.DeductibleAnnual, Standards: []settlement.Standard{{Amount: 0}}},
			Pool:       settlement.PoolRule{AnnualCap: yuan("5000"), BandSets: []settlement.BandSet{{Bands: []settlement.Band{{RatioBP: 9000}}}}},
		}},
	}
	return seedData{
		policy: policy,
		catalog: settlement.Catalog{
			CatalogVersion: settlement.CatalogVersion{TreatAdmdvs: "450200", Version: "2024.1", EffectiveFrom: "2024-01-01"},
			Items: []settlement.CatalogItem{
				{Code: "A001", Class: settlement.ClassA},
				{Code: "B001", Class: settlement.ClassB, SelfPayBP: 500},
				{Code: "C001", Class: settlement.ClassC},
			},
		},
		hospitals: []settlement.Hospital{
			{Code: hospCode, Name: "柳州市人民医院", Admdvs: "450200", Level: "02", Grade: "3", InNetwork: true},
			{Code: offNetwork, Name: "柳州市某诊所", Admdvs: "450200", Level: "11", Grade: "1"},
		},
		person: settlement.Person{PsnNo: "PSN001", CertType: "01", CertNo: "450101198001011234", Name: "张三",
			Insurances:     []settlement.Insurance{{Insutype: "310", PsnType: "11", Status: "1", InsuredAdmdvs: region}},
			Chronic:        []settlement.ChronicRegistration{{DiseCode: "M03900", ValidFrom: "2024-01-01"}},
			AccountBalance: yuan("10000")},
	}
}

// seed loads seedFixtures into a node.
func seed(t *testing.T, n *testNode) {
	t.Helper()
	ctx := context.Background()
	d := seedFixtures()
	must(t, n.PutPolicy(ctx, d.policy))
	must(t, n.PutCatalog(ctx, d.catalog))
	for _, h := range d.hospitals {
		must(t, n.PutHospital(ctx, h))
	}
	must(t, n.PutPerson(ctx, d.person))
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// request builds a hospital request of the given kind; the digest is the
// msgid unless a test wants a different body.
func request(kind settlement.Kind, msgID string) settlement.Request {
	return settlement.Request{Kind: kind, Hospital: hospCode, MsgID: msgID, Digest: "d-" + msgID, TreatAdmdvs: "450200"}
}

func register(msgID string) settlement.Request {
	r := request(settlement.KindRegister, msgID)
	r.Register = &settlement.Registration{PsnNo: "PSN001", Insutype: "310", Begntime: "2024-05-01 09:00:00", IptOtpNo: "OTP" + msgID}
	return r
}

// example3Fees are Example 3's lines: 甲 12,400.00, 乙 5,000.00 at 5%, 丙 600.00.
func example3Fees(msgID, mdtrtID string) settlement.Request {
	r := request(settlement.KindUploadFees, msgID)
	mk := func(sn, code, amount string) settlement.FeeLine {
		a := yuan(amount)
		return settlement.FeeLine{FeedetlSn: sn, MdtrtID: mdtrtID, PsnNo: "PSN001", ChrgBchno: "B1",
			MedListCodg: code, Amount: a, Qty: 10000, Price: settlement.Price(a) * 10000}
	}
	r.Fees = &settlement.FeeUpload{Lines: []settlement.FeeLine{mk("1", "A001", "12400"), mk("2", "B001", "5000"), mk("3", "C001", "600")}}
	return r
}

func settle(msgID, mdtrtID string) settlement.Request {
	r := request(settlement.KindSettle, msgID)
	r.Settle = &settlement.SettleRequest{PsnNo: "PSN001", MdtrtID: mdtrtID, ChrgBchno: "B1", MedType: "11",
		Insutype: "310", Medfee: yuan("18000"), AcctUsed: true}
	return r
}

func cancel(msgID, setlID, mdtrtID string) settlement.Request {
	r := request(settlement.KindCancelSettle, msgID)
	r.Cancel = &settlement.CancelRequest{SetlID: setlID, MdtrtID: mdtrtID, PsnNo: "PSN001"}
	return r
}
