// Package gateway is provgate's face to hospitals and operators, built on
// gin: the hospital endpoints of every format (POST /nhsa/{infno} and
// POST /nhsa for the national JSON interface; /legacy/xml,
// /legacy/delimited, /hl7v2, /fhir/Claim/$submit and
// /fhir/CoverageEligibilityRequest/$submit for the others; HL7 v2 also over
// MLLP), health and readiness, the admin API, and the one table that turns
// any error into the answer a hospital sees.
//
// Every format goes through one flow (exchange.go): read the bytes under a
// size limit, decode them with the format's adapter into domain requests,
// check that the sender may speak for the institution and is registered for
// the format, fill what its registration knows (institution, region), have
// each request decided in order by the Ledger (writes through Raft, reads
// linearizable) and stop at the first refusal, then encode the answers in
// the format. A Format is the adapter seen through a small interface
// (format.go); cmd wires the adapters in with Adapt.
//
// On a follower, a national request is relayed to the leader as it came
// (the leader authenticates it again); requests of the other formats, and
// everything received over MLLP, are relayed decoded to the leader's
// POST /internal/v1/decide and the answer is encoded here. Both share
// decide's retry of leader changes within the request's deadline.
//
// Handlers never compute money and never touch storage; *gin.Context never
// leaves this package. Logs carry the format, channel, transaction code,
// msgid, institution code, result code and latency of every message, and
// never a body, a name or an ID number.
package gateway
