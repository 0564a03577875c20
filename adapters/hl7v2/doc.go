// Package hl7v2 translates HL7 v2.x messages (ER7, the pipe-delimited
// encoding) to settlement requests and writes the replies: a hospital that
// speaks HL7 gets the same settlement as one speaking the national JSON.
// It is a pure translator: no network, no storage, no policy. The MLLP
// framing helpers (ReadFrame, WriteFrame) are pure too; the gateway owns
// the listener.
//
// The parser is hand-written, and the charsets come from golang.org/x/text.
// No Go HL7 v2 library could be used: the module proxy answers 403 for each
// one tried (lenaten/hl7, kardianos/hl7, dshills/golevel7,
// google/simhospital, mylanconnolly/hl7, esequiel378/hl7,
// DRK-Blutspende-BaWueHe/go-hl7). Of those whose documentation could be
// read, none lists GB 18030 or GBK, and the struct mappings use
// reflection; provgate also needs every refusal to name its segment and
// field, and a bound on what a message may allocate.
//
// # Messages
//
// MSH-9 and the patient class PV1-2 (O outpatient, E emergency, which is
// outpatient, I inpatient) choose the national transaction:
//
//	QBP^Q21                      1101 person query, by the certificate in QPD-3
//	ADT^A04   O/E                2201 outpatient registration
//	ADT^A01   I                  2401 admission
//	ADT^A03   I                  2402 discharge
//	ADT^A11   O/E | I            2202 registration cancel | 2404 admission cancel
//	ADT^A13   I                  2405 discharge cancel
//	DFT^P03   O/E | I, FT1s      2204 | 2301 fee upload
//	DFT^P03   O/E | I, ZPS PRE   2206 | 2303 pre-settlement
//	DFT^P03   O/E | I, ZPS SETTLE  2207 | 2304 settlement
//	DFT^P03   O/E | I, ZPS CANCEL  2208 | 2305 settlement cancel
//
// HL7 has no settlement event, so a DFT^P03 carries a Z-segment, ZPS, for
// it. A DFT with FT1s and a ZPS PRE or SETTLE yields two requests, the fee
// upload and then the settlement, with msgids MSH-10 + "-2204" and
// MSH-10 + "-2207" (and so on); a message of one step keeps MSH-10 as it
// is. If the second step is refused the reply is that refusal; sending the
// same message again replays the first step from the idempotency table and
// retries the second. A CANCEL cannot come with fee lines.
//
// # Fields
//
// HL7 does not know psn_no or mdtrt_id. Every request but 1101 carries
// Request.Ref instead: the certificate and the hospital's visit number,
// which the state machine resolves; PsnNo and MdtrtID stay empty.
// mdtrtarea_admvs is not in the message: the gateway fills it from the
// hospital's registration. Positions are written as HL7 does: PV1-7.2 is
// component 2 of field 7; a value is its first subcomponent.
//
//	MSH-4.1        fixmedins_code (Request.Hospital), printable ASCII, ≤ 30
//	MSH-7          message time, required, not carried
//	MSH-10         msgid, printable ASCII, ≤ 30
//	MSH-12         version, 2.x
//	MSH-18         character set (below)
//	EVN-5.1        opter (Request.Operator), optional
//	PID-3          certificate: the first repetition whose identifier type
//	               (CX.5) is NI, the ID number (mdtrt_cert_type 02), or SS,
//	               the social security card (03); MR, PI and others are
//	               passed over. QPD-3 likewise for 1101.
//	PV1-2          patient class O / E / I; E sets Registration.Emergency
//	PV1-3.3        adm_bed
//	PV1-7.1, .2    atddr_no, dr_name (2201) or chfpdr_name (2401)
//	PV1-10.1, .2   dept_code, dept_name (2201), adm_dept_codg, adm_dept_name
//	               (2401), dscg_dept_codg (2402)
//	PV1-10.4       caty, the national 科别; PV1-10.1 when empty
//	PV1-18.1       med_type (2401, 2206/2207; optional for 2303/2304)
//	PV1-19.1       the visit number: ipt_otp_no (2201), ipt_no (2401),
//	               Ref.VisitNo
//	PV1-36.1       dscg_way
//	PV1-44, -45    begntime, endtime
//	IN1-2.1        insutype (the first IN1)
//	IN1-3.1        insuplc_admdvs, optional, 6 digits
//	DG1-1          diag_srt_no (the DG1's order when empty)
//	DG1-3.1, .2    diag_code, diag_name
//	DG1-5          diag_time, optional
//	DG1-6          diag_type, the national code 1 / 2 / 3: HL7 table 0052
//	               (A/W/F) cannot tell Western from Chinese medicine
//	DG1-15         1 marks the main diagnosis, which (or else the first DG1)
//	               gives dise_codg and dise_name
//	DG1-16.1, .2   dise_dor_no, dise_dor_name
//	FT1-2          feedetl_sn
//	FT1-3          chrg_bchno (required outpatient)
//	FT1-4.1        fee_ocur_time
//	FT1-6          transaction type: CG only (no credits or refunds)
//	FT1-7.1, .4    med_list_codg (national catalog code), medins_list_codg
//	               (the hospital's own code, CWE alternate identifier)
//	FT1-10         cnt, at most 4 decimals, > 0
//	FT1-11.1       det_item_fee_sumamt (CP: 124.00 or 124.00&CNY), at most
//	               2 decimals; it must equal FT1-12 × FT1-10 rounded to the fen
//	FT1-12.1       pric, at most 6 decimals
//	FT1-19.1       dise_codg of the line, optional
//	FT1-27.1       hosp_appr_flag 0 / 1 / 2, optional (the field HL7 keeps
//	               for the payer-coverage notice)
//
// The ZPS segment (settlement step, one per DFT):
//
//	ZPS-1   action: PRE, SETTLE or CANCEL
//	ZPS-2   setl_id (CANCEL)
//	ZPS-3   medfee_sumamt (PRE, SETTLE)
//	ZPS-4   acct_used_flag, Y/N (1/0 accepted)
//	ZPS-5   psn_setlway
//	ZPS-6   mid_setl_flag, Y/N (inpatient)
//	ZPS-7   invono, optional
//	ZPS-8..11  fulamt_ownpay_amt, overlmt_selfpay, preselfpay_amt,
//	        inscp_scp_amt: required for 2207, all or none for 2304
//	ZPS-12  chrg_bchno (outpatient); when empty, the batch of the FT1s in
//	        the same message, which must then agree
//
// # Replies
//
// A reply has the request's delimiters, version and MSH-18, sender and
// receiver swapped (MSH-3 PROVGATE when MSH-5 was empty), MSH-7 and MSH-10
// derived from the answer's stamp (deterministic: "PG" and 16 hex digits),
// and MSA-2 = the request's MSH-10. Queries get RSP^K22 (MSA, QAK, the QPD
// echoed, PID, ZIN, ZID); the rest ACK^<event>^ACK with:
//
//	ZVI  2201, 2401 (and the cancels, 2402 when provgate returns the
//	     visit): 1 mdtrt_id, 2 psn_no, 3 visit number, 4 state,
//	     5 insuplc_admdvs, 6 begntime, 7 endtime
//	ZFL  one per fee line (2204, 2301): 1 feedetl_sn,
//	     2 det_item_fee_sumamt, 3 cnt, 4 pric, 5 pric_uplmt_amt (empty: no
//	     cap), 6 selfpay_prop, 7 fulamt_ownpay_amt, 8 overlmt_amt,
//	     9 preselfpay_amt, 10 inscp_scp_amt, 11 hosp_part_amt, 12 chrgitm_lv,
//	     13 med_chrgitm_type, 14 lmt_used_flag, 15 memo
//	ZSR  the settlement (2206-2208, 2303-2305): 1 setl_id (empty for a
//	     pre-settlement), 2 mdtrt_id, 3 psn_no, 4 setl_time, 5 insutype,
//	     6 med_type, 7 medfee_sumamt, 8 fulamt_ownpay_amt, 9 overlmt_selfpay,
//	     10 preselfpay_amt, 11 inscp_scp_amt, 12 act_pay_dedc, 13 hifp_pay,
//	     14 pool_prop_selfpay, 15 cvlserv_pay, 16 hifes_pay, 17 hifmi_pay,
//	     18 hifob_pay, 19 maf_pay, 20 oth_pay, 21 fund_pay_sumamt,
//	     22 psn_part_amt, 23 acct_pay, 24 psn_cash_pay, 25 hosp_part_amt,
//	     26 balc, 27 acct_mulaid_pay, 28 medins_setl_id, 29 clr_optins,
//	     30 clr_way, 31 clr_type, 32 the setl_id a cancellation cancels
//	ZFD  one per fund after ZSR: 1 set id, 2 fund_pay_type, 3 fund_payamt,
//	     4 inscp_scp_amt, 5 crt_payb_lmt_amt, 6 fund_pay_type_name,
//	     7 setl_proc_info
//	PID  (1101) PID-3 psn_no^^^^PN ~ certno^^^^NI (another psn_cert_type
//	     than 01 is written as the identifier type), PID-5 name,
//	     PID-7 birth date, PID-8 sex M/F/U, PID-22 naty
//	ZIN  one per insurance (1101): 1 set id, 2 insutype, 3 psn_type,
//	     4 psn_insu_stas, 5 insuplc_admdvs, 6 psn_insu_date, 7 cvlserv_flag,
//	     8 emp_name, 9 balc (the account, on the 310 row)
//	ZID  one per special identity (1101): 1 set id, 2 psn_idet_type,
//	     3 begntime, 4 endtime
//
// Amounts are yuan with two decimals, ratios four, times HL7 DTM in China
// time (+0800). A refusal is MSA-1 AE (AR when provgate is unavailable,
// for an internal fault, an unsupported message type, or a sender that may
// not send it, such as an MLLP source not on the institution's allow-list:
// the message was not processed), MSA-3 the code and reason, and ERR: ERR-2 the error
// location when Decode found it, ERR-3 the HL7 table 0357 code, ERR-4 E,
// ERR-5 provgate's code (E4005^^PROVGATE), ERR-8 the reason in Chinese and
// English (English only in ASCII and 8859/1). A certificate number never
// appears in a refusal.
//
// # Character sets
//
// MSH-18 names the charset of the whole message (the first repetition; the
// ISO 2022 switches of later ones are not supported):
//
//	empty, UNICODE UTF-8    UTF-8, validated
//	ASCII                   7-bit only
//	8859/1                  ISO 8859-1
//	GB 18030-2000           GB 18030
//	GBK, GB2312, ISO IR58   read as GB 18030 (a superset), answered in GBK
//
// Spellings differing in case, spaces, hyphens and slashes are accepted
// (UTF-8, gb18030). Another name, or bytes invalid in the declared set, is
// refused with E4009 naming the segment. The message is decoded before it
// is split: a GBK trail byte may equal |, ^, ~ or \. MSH-18 is read from
// the raw bytes first (twice if need be, the second time stepping over
// double-byte characters) and must read the same once decoded. A reply is
// written in the request's charset; a character the charset cannot hold
// becomes '?'. A message that cannot be read answers in UTF-8.
//
// # Syntax and limits
//
// The delimiters are those of MSH-1 and MSH-2 (4 characters, or 5 with the
// v2.7 truncation character), distinct and not letters or digits. Segments
// end in \r; \n and \r\n are accepted and blank lines skipped, as are a
// UTF-8 byte order mark and MLLP block bytes around the message; control
// characters inside a segment are refused. Escapes \F\ \S\ \T\ \R\ \E\ (\P\
// with a truncation character) are decoded after a value is cut out; \H\
// and \N\ are dropped; any other escape (\X..\, \.br\, ...) in a field
// provgate reads is refused. Segments provgate does not use (NK1, PV2,
// OBX, other Z-segments...) are ignored; MSH, EVN, PID, PV1, QPD and ZPS
// may appear once. A message is at most 1 MiB, 1200 segments, 100 fields
// per segment and 1000 FT1 lines.
package hl7v2
