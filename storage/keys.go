package storage

import "strconv"

// The keyspace. Each prefix is one table; the parts after it are listed.
const (
	keyApplied     = "m/applied" // → appliedIndex
	prefixHospital = "h/"        // code → settlement.Hospital
	prefixPerson   = "p/"        // psn_no → settlement.Person
	prefixCert     = "pc/"       // certno or card number → psn_no
	prefixBalance  = "pb/"       // psn_no → settlement.Fen
	prefixAccum    = "ac/"       // psn_no/insutype/year → settlement.Accumulators
	prefixPolicy   = "pol/"      // insured_admdvs/insutype/effective_from → settlement.Policy
	prefixCatalog  = "cv/"       // treat_admdvs/effective_from → settlement.CatalogVersion
	prefixItem     = "ci/"       // treat_admdvs/version/med_list_codg → settlement.CatalogItem
	prefixVisit    = "v/"        // mdtrt_id → settlement.Visit
	prefixVisitNo  = "vn/"       // fixmedins_code/ipt_otp_no → mdtrt_id (the newest visit with that number)
	prefixRecord   = "r/"        // setl_id → settlement.Record
	prefixPsnRec   = "rp/"       // psn_no/setl_id → "" (records of a person)
	prefixHospRec  = "rh/"       // fixmedins_code/yyyy-mm-dd/setl_id → "" (records of a hospital by date)
	prefixIdem     = "i/"        // fixmedins_code/msgid → IdemEntry
	prefixSession  = "ss/"       // sign_no → settlement.Session
	prefixPaas     = "hp/"       // paas id → fixmedins_code
	prefixIntent   = "in/"       // fixmedins_code/msgid → settlement.Intent (cross-province, pending)
	prefixNode     = "nd/"       // node id → NodeInfo (the cluster's HTTP and Raft addresses)
)

func key(prefix string, parts ...string) []byte {
	n := len(prefix)
	for _, p := range parts {
		n += len(p) + 1
	}
	b := make([]byte, 0, n)
	b = append(b, prefix...)
	for i, p := range parts {
		if i > 0 {
			b = append(b, '/')
		}
		b = append(b, p...)
	}
	return b
}

func yearPart(y int) string { return strconv.Itoa(y) }
