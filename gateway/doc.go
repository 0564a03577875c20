// Package gateway is provgate's HTTP face, built on gin: the hospital
// endpoints (POST /nhsa/{infno} and POST /nhsa for the national JSON
// interface), health and readiness, and the one table that turns any error
// into the answer a hospital sees.
//
// A handler reads the body under a size limit, hands it to the format's
// adapter, passes the domain request to the Ledger (writes go through Raft,
// reads are linearizable), and encodes the answer. Handlers never compute
// money and never touch storage; *gin.Context never leaves this package.
//
// Logs carry the transaction code, msgid, institution code, result code and
// latency of every request, and never a body, a name or an ID number.
package gateway
