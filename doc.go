// Package provgate is the provincial gateway for China's cross-region
// medical-insurance direct settlement (异地就医直接结算).
//
// The code is laid out as ../shared/docs/ARCHITECTURE.md draws it:
// settlement (the domain, standard library only) at the bottom; adapters/*
// translating wire formats; storage (badger) and consensus (hashicorp/raft)
// keeping the replicated ledger; gateway (gin) facing hospitals; cmd/provgate
// wiring them. This root package holds only this comment and the tests that
// keep that layout honest.
package provgate
