// Package national is provgate's side of the national platform
// (国家异地就医结算平台): the upstream client a treatment-place node uses to
// reach an insured province, and the hub simulator that stands in for the platform
// in demos and integration tests.
//
// Client sends one Call as the national JSON request envelope
// (NATIONAL-INTERFACE §1.1), signed with the x-tif headers of package tif.
// The body is a pure function of the Call, so every retry is byte-identical
// and the hub and the insured place can deduplicate on the msgid. Retries
// (fresh nonce, same body) cover transport errors, timeouts, HTTP 5xx and
// 429 and refusals whose code asks for a retry (class unavailable, E5xxx
// sent by a node whose cluster changes leader); a well-formed answer is
// never retried. A circuit breaker stops calling a platform that keeps
// failing. Every failure to get an answer wraps ErrUnavailable: the outcome
// at the insured place is unknown, and the caller retries later with the
// same msgid.
//
// Hub is an http.Handler that routes POST /national/{infno} by the
// envelope's insuplc_admdvs (longest region prefix wins) to any node of the
// insured province's cluster, failing over between nodes, and relays the
// answer unchanged. It deduplicates by (calling province, msgid) in memory,
// and takes fault rules (delay, fail, drop the request, drop the answer)
// over its admin API so tests can provoke every failure the client must
// survive.
//
// The package knows the envelope, not the hospital formats: Input and
// Output are passed through as raw JSON. It does not decide when a call is
// made or re-driven; the cluster's replicated intents do.
package national
