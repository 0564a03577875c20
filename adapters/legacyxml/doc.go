// Package legacyxml translates provgate's legacy-XML dialect, the XML of
// the pre-national provincial interfaces (社保“金保”field codes such as
// AAC002, AKC190, AKE001, AKC226), to and from settlement types. It is a
// pure translator: bytes in, settlement.Request out, settlement.Answer in,
// bytes out. The shapes follow ../shared/docs/NATIONAL-INTERFACE.md §6.2
// (Shijiazhuang HOSDATA/REQUESTDATA with KC21/KC22), §6.3 (Hunan
// FunctionID/parameters) and §6.7 (mapping hints).
//
// # Message
//
//	<?xml version="1.0" encoding="GBK"?>
//	<HOSDATA>
//	  <HEAD>MSGNO MSGID AKB020 OPERID ...</HEAD>
//	  <BODY>AAC002 AKC190 AKA130 ... <KC22XML><KC22ROW>...</KC22ROW></KC22XML></BODY>
//	</HOSDATA>
//
// Containers are transparent: an element is known by its name wherever it
// stands, so the §6.2 variant (head elements directly in REQUESTDATA,
// INPUT and KC21XML containers) and the §6.3 variant (root request,
// FunctionID, parameters, lower-case names) read the same. Element names
// match without regard to case; unknown elements are ignored; a field given
// twice with different values (say AKE001 and AKC222) is refused. KC22XML
// holds the fee rows, DIAGXML the diagnoses; a row may be named anything
// (KC22ROW, DIAGROW, ROW). Attributes are read and ignored. Where §6 gives
// no social-insurance code, the element carries the national field name in
// upper case (CHRG_BCHNO, FEEDETL_SN), which is also accepted as an alias
// everywhere a code exists (MEDFEE_SUMAMT for AKC264).
//
// # Transactions (MSGNO)
//
// The codes are the dialect's own and never pass through: Shijiazhuang's
// 1101 is an admission, the national 1101 a person query, so 1101 is
// refused rather than guessed. An unknown MSGNO is E4010 (CodeUnknownCode).
//
//	MSGNO  national  name             source
//	1401   1101      获取人员信息        §6.2 Shijiazhuang
//	1807   1101      读取人员信息        §6.1 Changsha
//	2610   2201      门诊挂号            provgate
//	2620   2202      门诊挂号撤销        provgate
//	2630   2204      门诊费用明细上传    provgate
//	2710   2206      门诊预结算          §6.1 Changsha
//	2720   2207      门诊结算            §6.1 Changsha (with KC22 rows: 2204 then 2207)
//	2730   2208      门诊结算撤销        provgate
//	2210   2401      入院登记            §6.1 Changsha
//	2240   2404      取消入院登记        §6.1 Changsha
//	2250   2402      出院登记            provgate
//	2260   2405      取消出院登记        provgate
//	2310   2301      住院费用明细上传    provgate
//	2420   2303      住院预结算          §6.1 Changsha
//	2410   2304      住院结算            §6.1 Changsha (with KC22 rows: 2301 then 2304)
//	2430   2305      住院结算撤销        provgate
//
// A settlement (2720, 2410) that carries KC22 rows stands for two national
// steps, as the old "fees + settle" transactions did: Message.Requests
// holds the fee upload and then the settlement, with msgids MSGID-2204 (or
// -2301) and MSGID-2207 (or -2304). A retry of the whole message replays
// both from the idempotency table. A pre-settlement (2710, 2420) with rows
// is refused: it writes nothing, so its rows would have to be sent again.
//
// # Fields
//
// The hospital does not know psn_no or mdtrt_id. Every request but 1101
// names the person and the visit the hospital's way in Request.Ref, which
// the state machine resolves: the certificate (AAC002 the ID number, type
// 02, else AKC020 the social security card, type 03) and the hospital's
// visit number AKC190. 2201 and 2401 also carry AKC190 as ipt_otp_no /
// ipt_no.
//
//	element          aliases                   national                    required for
//	MSGNO            FUNCTIONID, FUNCTION_ID   infno (table above)         all
//	MSGID                                      msgid (≤30 ASCII)           all
//	AKB020           HOSPITAL_ID               fixmedins_code              all
//	OPERID           AAE011                    opter                       all
//	BATNO            SIGN_NO                   sign_no
//	OPTTIME          AAE036                    (checked, not carried)
//	MDTRTAREA_ADMVS                            mdtrtarea_admvs (6 digits)   (the gateway fills it when absent)
//	AAA027           INSUPLC_ADMDVS            insuplc_admdvs (6 digits)
//	AAC002                                     mdtrt_cert_no, type 02      all (or AKC020)
//	AKC020                                     mdtrt_cert_no, type 03
//	AKC190                                     Ref.VisitNo, ipt_otp_no, ipt_no  all but 1101
//	AKA130                                     med_type (table below)      2206 2207 2401
//	AAE140                                     insutype (checked)          2201 2401 2402 settlements
//	AAE030           BEGNTIME                  begntime                    2201 2401
//	AAE031           ENDTIME                   endtime                     2402
//	DEPT_CODE                                  dept_code, adm_dept_codg    2201 2401
//	DEPT_NAME                                  dept_name, adm_dept_name    2201 2401
//	AKC025           BKF040, CATY              caty (centre department)    2201
//	AKC008           BKF050, ATDDR_NO          atddr_no (centre doctor)    2201 2401
//	DR_NAME                                    dr_name, chfpdr_name        2201 2401
//	ADM_BED                                    adm_bed
//	AKC193           DISE_CODG                 dise_codg
//	DISE_NAME                                  dise_name
//	DSCG_WAY                                   dscg_way (1 2 3 4 5 9)      2402
//	AKC264           MEDFEE_SUMAMT             medfee_sumamt               settlements
//	ACCT_USED_FLAG                             acct_used_flag (0/1)        settlements
//	PSN_SETLWAY                                psn_setlway (default 01)
//	CHRG_BCHNO                                 chrg_bchno                  2204 2206 2207
//	INVONO                                     invono
//	MID_SETL_FLAG                              mid_setl_flag (default 0)
//	FULAMT_OWNPAY_AMT, OVERLMT_SELFPAY,        the four split amounts      2207 2304: all four or none
//	  PRESELFPAY_AMT, INSCP_SCP_AMT
//	SETL_ID                                    setl_id                     2208 2305
//
// Fee rows (KC22ROW), each required but the last four:
//
//	FEEDETL_SN                                 feedetl_sn (≤30 ASCII)
//	AKC221           FEE_OCUR_TIME             fee_ocur_time
//	AKE001           AKC222, MED_LIST_CODG     med_list_codg (中心项目编码)
//	AKC515           MEDINS_LIST_CODG          medins_list_codg (医院项目编码)
//	AKC225           PRIC                      pric (≤6 decimals)
//	AKC226           CNT                       cnt (≤4 decimals, > 0)
//	AKC227           DET_ITEM_FEE_SUMAMT       det_item_fee_sumamt = AKC225 × AKC226 to the fen
//	CHRG_BCHNO                                 chrg_bchno (default: the message's)
//	AKC193           DISE_CODG                 dise_codg of the batch (门诊慢特病)
//	HOSP_APPR_FLAG                             hosp_appr_flag (0/1/2)
//	AKC190                                     must equal the message's AKC190
//
// Diagnosis rows (DIAGROW): DIAG_CODE (alias AKC193) and DIAG_NAME
// required, DIAG_TYPE (1/2/3, default 1), DIAG_SRT_NO (default the row's
// position), MAINDIAG_FLAG (0/1). AKC220, AKC516 and the other §6.2 KC22
// elements are ignored: the national request has no place for them.
//
// Times are yyyyMMddHHmmss (the old form) or yyyy-MM-dd HH:mm:ss and become
// the latter. Amounts are yuan with at most two decimals; more is E4004.
//
// Code tables. AKA130 is mapped, never passed through, because the old and
// national sets collide (old 12 is a pharmacy purchase, national 12 an
// outpatient registration): 11→11 普通门诊, 12→41 药店购药, 14→14 门诊特病,
// 16→13 急诊抢救, 21→21 普通住院, 24→23 转外就医, 51→51 生育门诊,
// 53→52 生育住院; other codes (22 市内转院, 52/54 节育) have no settled
// national equivalent and are refused. AAE140 takes the national insutype
// codes, which are the 金保 codes. DSCG_WAY takes the national codes: the
// old 出院原因 (0 治愈 … 7) has no settled mapping.
//
// # Reply
//
//	<HOSDATA>
//	  <RESPONSEDATA>RETURNNUM (1 / -1) ERRORCODE ERRORMSG MSGNO MSGID REFMSGID OPTTIME</RESPONSEDATA>
//	  <OUTPUT>...</OUTPUT>
//	</HOSDATA>
//
// OUTPUT holds, per step: 1101 PERSON (AAC001 psn_no, AAC002, AAC003 name,
// AAC004 gend, AAC006 brdy) and INSUXML rows (AAE140, BKA035 psn_type,
// AAA027, BALC); 2201/2401 MDTRT_ID, AAC001, AKC190; fee uploads KC22XML
// rows with the split of each line (FEEDETL_SN, AKC227, FULAMT_OWNPAY_AMT,
// OVERLMT_AMT, PRESELFPAY_AMT, INSCP_SCP_AMT, CHRGITM_LV, SELFPAY_PROP, ...);
// settlements, previews and cancellations SETLINFO (SETL_ID, AKC264 for
// medfee_sumamt, AKA130 mapped back, and every setlinfo amount under its
// national name in upper case) and FUNDXML rows (the setldetail). Money is
// yuan with two decimals, ratios four decimals. A refusal has RETURNNUM -1,
// the stable code in ERRORCODE and "[code] 中文 / English" in ERRORMSG.
//
// # Charsets
//
// The XML declaration's encoding decides: GBK (or CP936), GB2312, GB18030,
// UTF-8; anything else is E4009 (CodeBadCharset) naming it. GB2312 is read
// as its superset GBK. Without a declaration (or without encoding in it), a
// UTF-8 byte-order mark or valid UTF-8 means UTF-8, anything else GB18030.
// Bytes invalid in the charset, a UTF-8 byte-order mark on a message
// declaring another charset, and UTF-16 are E4009, with the byte offset.
// The reply is in the request's charset and declares it; a character the
// charset cannot hold becomes a character reference (&#173733;), and a
// GB2312 reply holds GB2312 bytes only. When the charset is unknown the
// reply is GBK, the charset of most HIS of that era.
//
// # Limits and safety
//
// A message is at most MaxBodyBytes (1 MiB, else E4007), MaxFeeRows (1000)
// fee rows, 50 diagnoses, 40,000 elements, 10 levels of nesting, names of
// 64 bytes and values of 4,000 bytes; beyond any of them it is refused
// (E4008) before more is read or allocated. A DTD (<!DOCTYPE>) is refused,
// so no entity can be declared or expanded; only the five predefined
// entities and character references are read. XML is read by a small
// reader of its own (scan.go) rather than encoding/xml: it reads straight
// into fields, without reflection or an allocated token per element. On
// the day's settlement it measured about seven times faster than an
// encoding/xml token loop doing the same job (8 µs and 1 allocation
// against 50–75 µs and 220).
//
// On one core of the shared build machine, decoding the day's GBK
// settlement and encoding its reply takes about 7 µs of CPU, a 20-row
// fee upload about 20 µs, of which the reply 4.6 (cpu-ns/op,
// BenchmarkRoundTrip; 23.3 µs before the row reader below). A GBK or GB2312 request is read as sent, copied
// but not transcoded: its markup is ASCII as in UTF-8, and only the
// values kept are decoded. Other requests, and the few GBK ones the
// in-place reading cannot read exactly as their UTF-8 text (a non-ASCII
// element name, a reference or CDATA beside Chinese text), are decoded
// to UTF-8 once, into the string the reader slices. The usual element,
// <NAME>text</NAME>, is read in one step (leafElement), Chinese text
// included; in a fee row, the stretch from one leaf's end tag to the
// next one's start tag is compared whole with the same stretch of the
// rows before, in this message or the last ones (rowLeaves), which
// names the next element and its field at once; the general reader reads the rest. decode(body, false) is
// the reader without these fast paths, and property tests and
// FuzzDecode hold the two to the same requests and refusals. The reply
// is written in its charset value by value, not transcoded whole.
// What is left is spread thin: the SHA-256 of the content digest, the
// copy of the body, the reply's and the fee lines' allocations, the
// decimal printer and parser.
//
// Decode refusals are *settlement.Error naming the element (BODY/AKC264),
// the row (KC22ROW[2]/AKC227) or the line and column. They never carry a
// certificate number.
package legacyxml
