// Package fhir translates FHIR R4 messages from hospitals to settlement
// requests and writes the FHIR replies: Claim/$submit is answered with a
// ClaimResponse, CoverageEligibilityRequest/$submit with a
// CoverageEligibilityResponse, and every refusal with an OperationOutcome.
// It is a pure translator: no network, no storage, no policy.
//
// # Messages and steps
//
// A message is a Claim or a CoverageEligibilityRequest, alone (its
// references point into contained) or as the first entry of a Bundle whose
// other entries are the resources it references (by fullUrl or Type/id).
// FHIR has no registration step, so one Claim is one whole visit and
// stands for several national steps, submitted in this order:
//
//	Claim.type (Encounter.class agrees) use              status     steps
//	professional (AMB; EMER emergency)  claim            active     2201 2203 2204 2207
//	professional                        predetermination active     2201 2203 2204 2206
//	institutional (IMP, ACUTE, NONAC)   claim            active     2401 2301 2402 2304
//	institutional                       predetermination active     2401 2301 2402 2303
//	professional / institutional        claim            cancelled  2208 / 2305
//	CoverageEligibilityRequest          purpose without benefits    1101
//	CoverageEligibilityRequest          purpose with benefits       1101 2001
//
// 2203 carries what an outpatient registration cannot: the medical type and
// the diagnoses. Each step's msgid is <Claim.identifier>-<step>, so a retry
// of the same Claim replays every step, and a Claim with use=claim sent
// after a predetermination under the same identifier replays its 2201,
// 2203 and 2204 (same msgid, same digest) and then settles (2207). A
// changed Claim under the same identifier is refused by the ledger as a
// msgid conflict (E4901): it is another visit and needs its own identifier
// and visit number. A cancelled Claim names the settlement to cancel in
// related.reference; the same Claim may be resent with status cancelled.
// An inpatient Claim is the whole stay (admission, all fees, discharge,
// final settlement): interim settlements (中途结算) are not expressed.
//
// Person and visit are never national ids here: every step carries
// Request.Ref (the certificate and the hospital's visit number) for the
// state machine to resolve, and 2201 / 2401 also carry the visit number as
// ipt_otp_no / ipt_no.
//
// # Field mapping
//
//	FHIR element                                          national field
//	Claim.identifier[0].value (≤ 30 printable ASCII)      msgid base, chrg_bchno (outpatient)
//	provider → Organization.identifier sid/fixmedins-code fixmedins_code
//	provider → Organization.identifier sid/admdvs         mdtrtarea_admvs (else left to the gateway)
//	patient → Patient.identifier sid/id-card, or type     mdtrt_cert_type 02, mdtrt_cert_no
//	  v2-0203#NNCHN (any system)
//	patient → Patient.identifier sid/ss-card              mdtrt_cert_type 03, mdtrt_cert_no
//	insurance (focal, else first).coverage → Coverage     insutype (type.coding), insuplc_admdvs
//	  .type, .payor.identifier sid/admdvs                   (payor)
//	subType.coding (CodeSystem/med-type)                  med_type
//	the Encounter (item.encounter, else the only one)
//	  .identifier sid/visit-no (else the first)           ipt_otp_no / ipt_no, Ref.VisitNo
//	  .period.start / .end                                begntime / endtime
//	  .serviceType.coding CodeSystem/caty                 caty (and dept when no dept coding)
//	  .serviceType.coding CodeSystem/dept                 dept_code, dept_name / adm_dept_codg, adm_dept_name
//	  .hospitalization.dischargeDisposition               dscg_way (1 2 3 4 5 9)
//	  .location[0].location.display                       adm_bed
//	careTeam[0].provider → Practitioner (or identifier    atddr_no, dr_name / chfpdr_name
//	  and display)
//	diagnosis[].sequence, diagnosisCodeableConcept        diseinfo: diag_srt_no, diag_code, diag_name
//	  type CodeSystem/diag-type (default 1)               diag_type
//	  type principal (else lowest sequence)               maindiag_flag, dise_codg, dise_name
//	  type discharge (else the main one)                  2402 dise_codg, dise_name
//	item[].sequence                                       feedetl_sn
//	item[].productOrService.coding CodeSystem/med-list-codg  med_list_codg
//	item[].productOrService.coding (any other system)     medins_list_codg (else med_list_codg)
//	item[].servicedPeriod.start / servicedDate            fee_ocur_time (else begntime)
//	item[].quantity.value (≤ 4 decimals)                  cnt
//	item[].unitPrice (CNY, ≤ 2 decimals)                  pric
//	item[].net (CNY, ≤ 2 decimals, = unitPrice × quantity) det_item_fee_sumamt
//	item[].diagnosisSequence[0]                           dise_codg of the line (门诊慢特病)
//	item[].extension hosp-appr-flag (valueCode 0 1 2)     hosp_appr_flag
//	total (= sum of net; optional)                        medfee_sumamt
//	extension acct-used (valueBoolean; absent: false)     acct_used_flag
//	related[].reference sid/setl-id                       setl_id (cancellation)
//	(fixed)                                               psn_setlway 01 (按项目)
//	CoverageEligibilityRequest.item[0].category           2001 med_type
//	  .servicedDate / servicedPeriod.start                2001 begntime
//	  .item[0].diagnosis[0]                               2001 dise_codg
//
// The namespaces are under http://provgate.org/fhir/ (sid/… for identifier
// systems, CodeSystem/… for code systems, StructureDefinition/… for the two
// extensions); see systems.go. A coding is taken from its system when
// present, else the first coding with a code, and every code is checked
// against its national dictionary (E4010 names the known ones).
//
// Not expressed in FHIR and left empty: operator and sign_no (no session),
// invono, and the four split amounts 2207 echoes (a Claim is sent before
// the hospital has seen the split; the settlement checks medfee_sumamt).
//
// # Replies
//
// The ClaimResponse echoes the Claim's identifier in request, carries the
// setl_id and mdtrt_id as identifiers and the person's psn_no, and has:
// per item, the line's split as adjudication (HL7 submitted and eligible,
// with chrgitm_lv as the reason; fulamt_ownpay_amt, overlmt_amt,
// preselfpay_amt, hosp_part_amt and selfpay_prop in CodeSystem/adjudication
// when not zero); totals: HL7 submitted (medfee_sumamt), eligible
// (inscp_scp_amt), deductible (act_pay_dedc), benefit (fund_pay_sumamt),
// copay (psn_cash_pay), then every setlinfo amount under its national name
// in CodeSystem/adjudication (absent means zero; fund_pay_sumamt,
// psn_part_amt, acct_pay and psn_cash_pay are always written), then what
// each fund paid under CodeSystem/fund-pay-type with the fund's name;
// payment (what the funds pay) for a settlement, none for a preview. A
// cancellation has the negative amounts of the national reply.
//
// The CoverageEligibilityResponse contains the Patient (psn_no, ID number,
// name, gender, birth date) and a Coverage per insurance type (status,
// insured region, psn_type), with insurance[].inforce, the personal
// account balance of employee insurance (310) as a benefit, and the 2001
// rows (fund_pay_type, excluded when not enjoyed, the check's reason).
//
// A refusal is an OperationOutcome: issue.severity error, issue.code by the
// refusal's class, details.coding the stable E-code (CodeSystem/error),
// diagnostics the reason in Chinese and English, and expression the
// FHIRPath of the element at fault (Claim.item[2].net); once the message is
// identified, its identifier is echoed in the extension
// StructureDefinition/request-identifier. Reasons never repeat an ID
// number.
//
// Replies are deterministic: times come from the answers' stamps (the
// refusal's from its argument), never from the clock.
//
// # Strictness, limits, charset
//
// Refused: amounts with more than two decimals (E4004), a net that is not
// unitPrice × quantity rounded to the fen (E4005, as the national 2204), a
// total that is not the sum of the nets, refund lines, factors other than
// 1, currencies other than CNY, unknown codes, unresolved references,
// partial dates, an element of the wrong JSON type (E4008 with its path),
// and missing required elements (E4002). Tolerated: unknown elements
// (ignored, as FHIR asks), a lone object where FHIR wants an array, a
// number sent as a string, a dateTime without an offset (China time),
// other offsets (converted to China time), a date without a time
// (midnight), and a byte order mark.
//
// Limits: a body of at most 1 MiB (E4007), at most 1000 items, 100
// diagnoses, 100 contained resources plus Bundle entries, and 300 levels of
// JSON nesting. FHIR JSON is UTF-8: a body that is not (GBK, GB18030,
// UTF-16) is refused with E4009 naming the first bad byte, and every reply
// is UTF-8 (ContentType: application/fhir+json; charset=utf-8).
//
// # Libraries, by measurement
//
// Decoding the outpatient Claim of testdata (CPU time per message on one
// core, without the steps' digests, measured in a scratch module):
// samply/golang-fhir-models with encoding/json 148 µs (its Claim has no
// contained element, so contained resources take a second pass), the same
// structs with goccy/go-json 38 µs, google/fhir's protobuf jsonformat 822
// µs, all on the indented 4.8 KB file; both model libraries were last
// released in 2022. On the compact 3.9 KB form, a hand-written struct
// subset decoded by goccy took 10 µs, and FHIR's polymorphism (contained
// resources of any type, Organization.name a string where
// Practitioner.name is a list) made it need raw second passes; valyala/
// fastjson (maintained, released 2026) parsed and walked it in 4.7 µs, and
// reading from its tree checks each element's JSON type and knows its
// FHIRPath, so it is used here. Replies are written element by element (see
// writer): 5 µs for a ClaimResponse, where marshalling the same reply from
// structs with goccy took 7 to 9 µs (11 µs with MarshalJSON methods for
// money).
//
// On the project's shared 2-core machine a whole round trip (decode with
// the steps' digests, then encode; BenchmarkRoundTrip, CPU time on one
// core) took about 40 µs for the typical Claim and 100 µs with 20 items,
// a third of it building fastjson's tree and most of that allocation and
// garbage-collector work rather than reading bytes. Messages are now read
// from a tape (tape.go): one pass writes every value as offsets into a
// flat, reused slice, and the same readers look values up on it. fastjson
// stays for what the scan does not read exactly as fastjson would
// (escapes, NaN, numbers such as 01, malformed JSON): those bodies are read
// through fastjson's tree as before, so unusual input and refusals are
// unchanged, and the parity tests and FuzzDecode check that both read
// every body alike. With the reply's fixed pieces written whole, the round
// trip of the typical Claim took 17 to 28 µs (median 24 µs; the tree's 32
// µs in the same interleaved runs, which vary by half with the machine's
// other load), and 45 to 65 µs with 20 items (median 63 µs; the tree's 88
// µs). What is left is spread thin: the scan, member lookups, the steps'
// digests and the allocations a decoded Claim needs.
//
// Later, in one sitting (CPU time on one core, medians of interleaved
// runs): keeping strings in one builder rather than a copy of the whole
// body, a scan that looks for a backslash once and keeps offsets out of
// memory, 32-byte nodes, usual items read in one walk (fastLine, feeLine
// the fallback) and the reply's times and ratios written in place took the
// 20-item round trip from 38 to 31 µs and the typical one from 16 to 14
// µs. Of the 20-item round trip, the scan is now a fifth, the items (with
// their strings) a fifth, the reply a quarter, the steps' digests a tenth,
// and allocating (the reply alone is 18 KB) a sixth.
//
// Then (same method, one sitting): fastLine checking an item before it
// writes the line a field at a time, its members' keys compared as
// constants, the usual amounts parsed without settlement's general parser,
// an item's adjudication in fewer pieces and the reply's times worked out
// from the Unix time took the 20-item round trip from 30.5 to 27 µs and
// the typical one from 14 to 13 µs. What is left has floors: the steps'
// digests hash about 3.4 KB (SHA-256 alone, 2.2 µs), the scan is a chain
// of dependent loads (6.5 µs; sixteen bytes a round, a vector search for
// long strings, numbers read inline and doc pointers set at growth were
// all slower or no faster), and the garbage collector, which runs about
// every hundred round trips at this allocation rate, costs some 3 µs
// (GOGC=off: 23.5 µs). Writing the reply in a pooled buffer and copying it
// out (no clearing, an exact size class) measured no faster than clearing
// a new one.
package fhir
