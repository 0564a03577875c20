// Package delimited translates the delimited text of the DLL era (Neusoft-
// style caret and pipe strings, NATIONAL-INTERFACE §6.1) to and from
// settlement types. A hospital whose HIS still builds these strings posts
// them to the gateway and gets the settlement a national-format hospital
// gets. The package is a pure translator: no network, storage or policy.
//
// # Message
//
// One message, as a single DLL string or spread over lines:
//
//	业务编号^医疗机构编号^操作员编号^业务周期号^医院交易流水号^中心编码^入参^[联机标志^]
//
//	2207^H15010100001^0001^SN0001^H15010100001202405010900000008^150826^02|1508…|MZ1|CB1|11|310|18000.00|1|01|INV1|600.00|0.00|250.00|17150.00|^1^
//
//	2204^H15010100001^0001^SN0001^H15010100001202405010900000006^0000^
//	02|1508…|MZ1|CB1|
//	1|2024-05-01 09:30:00|XA01|YY-0001|12400|1|12400.00|A03|内科|D001|张医生|1|0||
//	2|…
//	^1^
//
// The header fields are separated by '^'. The 入参 (field 7) holds records
// separated by line breaks or '#' (the DLL fee-line separator); blank
// records are skipped. Record 1 is the transaction's main record, records
// 2.. are its fee lines or diagnoses. Fields within a record are separated
// by '|', and a record may end with one (the DLL strings close every field).
// Every record has exactly its layout's number of fields: a missing or an
// extra field is refused as E4008 naming the record and field. '^', '|',
// '#' and line breaks are never data. Spaces around a value are ignored.
// Amounts are yuan with at most two decimals; dates-times are
// yyyy-MM-dd HH:mm:ss or the DLL era's yyyyMMddHHmmss.
//
// # Charset
//
// The charset is detected, as §6 shows no declaration: a UTF-8 byte-order
// mark or valid UTF-8 is UTF-8; anything else is read as GB18030, which
// reads GBK unchanged. Bytes valid in neither are refused (E4009) naming the
// line and byte. The reply is written in the message's charset. Pure ASCII
// reads the same in both and so declares nothing: it is answered in
// GB18030, the DLL era's charset (settlements and queries are pure ASCII, and
// a GBK HIS must read the names in their replies). A UTF-8 HIS marks its
// messages with a byte-order mark. A message that could not be read at all
// is answered in GB18030.
//
// # Header
//
//	pos  field            national          req  notes
//	1    业务编号          infno             Y    see Transactions; unknown codes are E4010
//	2    医疗机构编号      fixmedins_code    Y    ≤30 printable ASCII; the gateway checks it against the caller
//	3    操作员编号        opter             Y    ≤30 printable ASCII
//	4    业务周期号        sign_no           N    from sign-in; echoed in the reply
//	5    医院交易流水号    msgid             Y    ≤30 printable ASCII; unique per message; echoed in the reply
//	6    中心编码          insuplc_admdvs    N    the insured place's 6-digit region; 0000 or empty: not given
//	7    入参              (records)         Y
//	8    联机标志          –                 N    1 or empty: provgate settles online only
//
// The dialect does not carry the treatment region (mdtrtarea_admvs): the
// gateway fills it from the hospital's registration and recomputes Digest.
//
// # Transactions
//
//	code  national steps   records
//	1101  1101             person query
//	2201  2201             registration
//	2202  2202             outpatient visit
//	2204  2204             outpatient fee head, fee lines
//	2205  2205             outpatient fee cancel (chrg_bchno 0000: all)
//	2206  2206             outpatient settlement
//	2207  2207             outpatient settlement (split amounts required)
//	2208  2208             cancel
//	2301  2301             inpatient fee head, fee lines
//	2302  2302             inpatient fee cancel (feedetl_sn 0000: all)
//	2303  2303             inpatient settlement
//	2304  2304             inpatient settlement
//	2305  2305             cancel
//	2401  2401             admission, diagnoses
//	2402  2402             discharge, diagnoses
//	2404  2404             inpatient visit
//	2405  2405             inpatient visit
//	2720  2204 + 2207      outpatient settlement, fee lines (the DLL-era 门诊结算)
//
// 2720 uploads the lines under the settlement's chrg_bchno and settles
// them: Requests holds the 2204 and then the 2207, with msgids msgid-2204
// and msgid-2207, so that a retried message replays the step that went
// through and retries the other. Its medfee_sumamt must be the lines' sum
// (E4301 otherwise, before anything is submitted); its split amounts are
// optional.
//
// # Person and visit
//
// The dialect never carries psn_no or mdtrt_id. Every record but 1101's
// starts with the certificate read from the patient's card and the
// hospital's own visit number; Decode puts them in Request.Ref (CertType,
// CertNo, VisitNo) and the state machine resolves them. 2201 and 2401 also
// set ipt_otp_no / ipt_no to the visit number, which later messages name.
//
// # Records (Y required, N optional, C conditional)
//
// Common first columns, "person+visit" below:
//
//	1  证件类型  mdtrt_cert_type  02 ID number, 03 social security card (Y in 2201/2401/22x6/2207/230x; elsewhere N: either)
//	2  证件号码  mdtrt_cert_no    Y; never shown in a refusal
//	3  门诊号 / 住院号  Ref.VisitNo (ipt_otp_no / ipt_no)  Y
//
// 1101: 1 mdtrt_cert_type (01/02/03, Y), 2 mdtrt_cert_no (Y), 3 card_sn (C: Y with 03).
//
// 2201: person+visit, 4 insutype (Y), 5 begntime 挂号时间 (Y), 6 atddr_no 医师编码 (Y),
// 7 dr_name (Y), 8 dept_code (Y), 9 dept_name (Y), 10 caty 科别 (Y).
//
// 2202, 2404, 2405: person+visit.
//
// 2204 record 1: person+visit, 4 chrg_bchno (Y). 2301 record 1: person+visit,
// 4 med_type (Y, checked, not carried: the stay's type was set at admission).
//
// Fee line (2204, 2301, 2720 records 2..; at least one):
//
//	1  feedetl_sn 明细流水号  Y     8   bilg_dept_codg 开单科室编码  Y
//	2  fee_ocur_time          Y     9   bilg_dept_name               Y
//	3  med_list_codg 医保目录  Y     10  bilg_dr_codg                 Y
//	4  medins_list_codg 院内   Y     11  bilg_dr_name                 Y
//	5  pric 单价 (≤6 dec.)     Y     12  hosp_appr_flag 0/1/2         N
//	6  cnt 数量 (≤4 dec.)      Y     13  rx_circ_flag 0/1             Y in 2204/2720, N in 2301
//	7  det_item_fee_sumamt    Y     14  dise_codg 病种               N
//
// det_item_fee_sumamt must equal pric × cnt rounded to the fen (E4005);
// negative lines (refunds) are refused (E4006).
//
// 2205: person+visit, 4 chrg_bchno (Y). 2302: person+visit, 4 feedetl_sn (Y).
//
// 2206, 2207, 2720 record 1: person+visit, 4 chrg_bchno (Y), 5 med_type (Y),
// 6 insutype (Y), 7 medfee_sumamt (Y), 8 acct_used_flag 0/1 (Y),
// 9 psn_setlway (Y), 10 invono (N), 11 fulamt_ownpay_amt, 12 overlmt_selfpay,
// 13 preselfpay_amt, 14 inscp_scp_amt (C: Y in 2207; elsewhere all four or
// none; a preview checks their form and drops them).
//
// 2303, 2304: person+visit, 4 mid_setl_flag 0/1 (Y), 5 med_type (N),
// 6–14 as 2206 (split C: all four or none).
//
// 2208, 2305: person+visit, 4 setl_id (Y).
//
// 2401 record 1: person+visit, 4 insutype (Y), 5 med_type (Y), 6 begntime
// 入院时间 (Y), 7 adm_dept_codg (Y), 8 adm_dept_name (Y), 9 atddr_no (Y),
// 10 chfpdr_name (Y), 11 adm_bed (N), 12 dise_codg (N), 13 dise_name (N).
//
// 2402 record 1: person+visit, 4 insutype (Y), 5 endtime 出院时间 (Y),
// 6 dscg_way 离院方式 (Y, national code), 7 dise_codg (N), 8 dise_name (N),
// 9 dscg_dept_codg (N).
//
// Diagnosis (2401, 2402 records 2..): 1 diag_type (Y), 2 diag_srt_no (Y),
// 3 diag_code (Y), 4 diag_name (Y), 5 maindiag_flag 0/1 (N), 6 diag_dept (N),
// 7 dise_dor_no (N), 8 dise_dor_name (N), 9 diag_time (N), 10 vali_flag
// (N; 0 marks the diagnosis invalid).
//
// # Codes
//
// 医疗类别 carries the DLL-era aka130 code, mapped to the national med_type
// (the two sets collide, so nothing is passed through): 11→11 普通门诊,
// 12→41 药店购药, 14→14 门诊特病, 16→13 急诊抢救, 21→21 普通住院, 51→51 生育门诊,
// 53→52 生育住院. 22, 24, 52 and 54 have no certain national counterpart
// and are refused as E4010 with the list. 险种 is the national insutype
// (310, 320, 330, 340, 350, 360, 370, 380, 390, 391, 392, 399, 410, 510;
// the 金保 aae140 medical codes are the same); 证件类型 02 or 03 (01 in 1101).
//
// # Reply
//
//	返回码^中心交易流水号^业务周期号^医院交易流水号^应答时间^输出参数^
//
// 返回码 is 0 or −1. 中心交易流水号 is the answer's stamp, yyyyMMddHHmmss and a
// 10-digit log index; empty on a refusal. 业务周期号 and 医院交易流水号 echo the
// message. 应答时间 is yyyy-MM-dd HH:mm:ss, China time. 输出参数 is rows
// separated by line feeds with tabs between columns (the tabular output of
// §6.1); '^', tabs and line breaks inside values become spaces. A 2720
// reply is the 2204 rows followed by the 2207 rows. Amounts have two
// decimals, ratios four.
//
//	refusal      code E40xx…, reason in Chinese, reason in English
//	1101         psn_no, psn_cert_type, certno, psn_name, gend, naty, brdy, age, balc (account), insurance rows n, identity rows m;
//	             then n rows: insutype, psn_type, psn_insu_stas, psn_insu_date, cvlserv_flag, insuplc_admdvs, emp_name;
//	             then m rows: psn_idet_type, begntime, endtime
//	2201 2202 2205 2302 2401 2402 2404 2405
//	             mdtrt_id, psn_no, ipt_otp_no
//	2204 2301    line count, medfee_sumamt, fulamt_ownpay_amt, overlmt_selfpay, preselfpay_amt, inscp_scp_amt, hosp_part_amt
//	             (the totals 2207 echoes); then per line: feedetl_sn, det_item_fee_sumamt, cnt, pric,
//	             pric_uplmt_amt (empty: no cap), selfpay_prop, fulamt_ownpay_amt, overlmt_amt, preselfpay_amt,
//	             inscp_scp_amt, hosp_part_amt, chrgitm_lv, med_chrgitm_type, lmt_used_flag, memo
//	2206 2207 2208 2303 2304 2305
//	             setl_id (empty in a preview), mdtrt_id, psn_no, psn_name, insutype, psn_type, setl_time,
//	             medfee_sumamt, fulamt_ownpay_amt, overlmt_selfpay, preselfpay_amt, inscp_scp_amt, act_pay_dedc,
//	             hifp_pay, pool_prop_selfpay, cvlserv_pay, hifes_pay, hifmi_pay, hifob_pay, maf_pay, oth_pay,
//	             fund_pay_sumamt, psn_part_amt, acct_pay, psn_cash_pay, hosp_part_amt, balc, acct_mulaid_pay,
//	             medins_setl_id, clr_optins, clr_way, clr_type, fund rows n;
//	             then n rows: fund_pay_type, fund_pay_type_name, inscp_scp_amt, crt_payb_lmt_amt, fund_payamt
//
// A cancellation's amounts are negative, as in the national 2208/2305.
//
// # Limits
//
// A body over MaxBytes (1 MiB) is E4007, refused before it is read. More
// than MaxRecords records (the main record and 1000 lines or diagnoses) or a
// record with more fields than its layout is E4008, refused as soon as the
// record or field is reached: fields are split into a fixed buffer, so
// memory stays proportional to the (bounded) body.
// Identifiers are at most 30 printable ASCII characters, certificate numbers
// 50. Golden messages and replies are in testdata/.
package delimited
