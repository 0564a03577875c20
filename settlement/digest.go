package settlement

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
)

// ContentDigest fingerprints a decoded request for the idempotency table,
// for formats whose bytes are not canonical (XML, HL7 v2, FHIR, delimited
// text): a retry that decodes to the same request gets the same digest
// whatever its whitespace, charset or field order. format keeps digests of
// different formats apart. MsgID and Digest themselves are left out.
func ContentDigest(format string, r Request) string {
	r.MsgID, r.Digest = "", ""
	b, err := json.Marshal(r)
	if err != nil {
		panic("settlement: request not encodable: " + err.Error()) // plain structs: cannot happen
	}
	h := sha256.New()
	h.Write([]byte(format + "\n"))
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil))
}
