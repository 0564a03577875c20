package fhir

// The identifier namespaces and code systems provgate reads and writes. One
// base, so a province that publishes them under its own address changes one
// line. The national dictionaries (insutype, med_type, fund_pay_type, ...)
// have no published FHIR code systems; these carry the national codes as
// they are.
const base = "http://provgate.org/fhir/"

// Identifier systems (NamingSystem).
const (
	sysIDCard       = base + "sid/id-card"        // 居民身份证号: mdtrt_cert_type 02
	sysSSCard       = base + "sid/ss-card"        // 社会保障卡号: mdtrt_cert_type 03
	sysFixmedins    = base + "sid/fixmedins-code" // 定点医药机构编号
	sysAdmdvs       = base + "sid/admdvs"         // 医保区划 (6 digits)
	sysVisitNo      = base + "sid/visit-no"       // the hospital's 门诊号 / 住院号
	sysPractitioner = base + "sid/practitioner"   // 医师编码 (atddr_no)
	sysSetlID       = base + "sid/setl-id"        // provgate's settlement id
	sysMdtrtID      = base + "sid/mdtrt-id"       // provgate's visit id
	sysPsnNo        = base + "sid/psn-no"         // 人员编号

	// v2-0203 is HL7's identifier-type table; NNCHN is "national person
	// identifier of China", the standard way to type an ID number without
	// our namespace.
	sysV20203    = "http://terminology.hl7.org/CodeSystem/v2-0203"
	v2NationalID = "NNCHN"
)

// Code systems.
const (
	csInsutype     = base + "CodeSystem/insutype"      // 险种类型
	csMedType      = base + "CodeSystem/med-type"      // 医疗类别
	csMedList      = base + "CodeSystem/med-list-codg" // 医保目录编码 (national catalog item code)
	csCaty         = base + "CodeSystem/caty"          // 科别
	csDept         = base + "CodeSystem/dept"          // the hospital's own department code
	csDiagType     = base + "CodeSystem/diag-type"     // 诊断类别: 1 西医, 2 中医主病, 3 中医主证
	csDscgWay      = base + "CodeSystem/dscg-way"      // 离院方式
	csFundPayType  = base + "CodeSystem/fund-pay-type" // 基金支付类型
	csAdjudication = base + "CodeSystem/adjudication"  // provgate's amount categories (national field names)
	csChrgitmLv    = base + "CodeSystem/chrgitm-lv"    // 收费项目等级: 01 甲 02 乙 03 丙
	csError        = base + "CodeSystem/error"         // provgate's refusal codes (E4005, ...)
	csBenefit      = base + "CodeSystem/benefit"       // eligibility benefit kinds (balc)

	csClaimType   = "http://terminology.hl7.org/CodeSystem/claim-type"
	csHL7Adjud    = "http://terminology.hl7.org/CodeSystem/adjudication"
	csPaymentType = "http://terminology.hl7.org/CodeSystem/ex-paymenttype"
)

// Extensions.
const (
	extAcctUsed     = base + "StructureDefinition/acct-used"      // Claim: valueBoolean, acct_used_flag
	extHospApprFlag = base + "StructureDefinition/hosp-appr-flag" // Claim.item: valueCode 0 / 1 / 2
	// OperationOutcome: valueIdentifier, the identifier of the refused request
	extRequestIdentifier = base + "StructureDefinition/request-identifier"
)

// contentType is the media type of every reply: FHIR JSON is UTF-8.
const contentType = "application/fhir+json; charset=utf-8"
