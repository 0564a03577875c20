package legacyxml

// The elements the dialect knows, by where they stand: the message (head
// and body alike, since variants put them in different containers), a fee
// row (KC22ROW) and a diagnosis row (DIAGROW). Each element has one
// canonical name, used in refusals, and may have aliases (the variants of
// NATIONAL-INTERFACE.md §6, and the national field name). Names are
// matched without regard to case. Elements not listed are ignored.

type field uint8

const (
	fMsgNo field = iota
	fMsgID
	fHospital
	fTreatAdmdvs
	fInsuAdmdvs
	fOperID
	fBatNo
	fOptTime
	fIDNo
	fCardNo
	fVisitNo
	fMedType
	fInsutype
	fBegin
	fEnd
	fDeptCode
	fDeptName
	fCaty
	fDrCode
	fDrName
	fBed
	fDiseCode
	fDiseName
	fDscgWay
	fMedfee
	fFulamt
	fOverlmt
	fPreselfpay
	fInscp
	fAcctUsed
	fSetlway
	fChrgBchno
	fInvono
	fMidSetl
	fSetlID
	nFields
)

var fieldNames = [nFields]string{
	fMsgNo: "MSGNO", fMsgID: "MSGID", fHospital: "AKB020", fTreatAdmdvs: "MDTRTAREA_ADMVS",
	fInsuAdmdvs: "AAA027", fOperID: "OPERID", fBatNo: "BATNO", fOptTime: "OPTTIME",
	fIDNo: "AAC002", fCardNo: "AKC020", fVisitNo: "AKC190", fMedType: "AKA130", fInsutype: "AAE140",
	fBegin: "AAE030", fEnd: "AAE031", fDeptCode: "DEPT_CODE", fDeptName: "DEPT_NAME", fCaty: "AKC025",
	fDrCode: "AKC008", fDrName: "DR_NAME", fBed: "ADM_BED", fDiseCode: "AKC193", fDiseName: "DISE_NAME",
	fDscgWay: "DSCG_WAY", fMedfee: "AKC264", fFulamt: "FULAMT_OWNPAY_AMT", fOverlmt: "OVERLMT_SELFPAY",
	fPreselfpay: "PRESELFPAY_AMT", fInscp: "INSCP_SCP_AMT", fAcctUsed: "ACCT_USED_FLAG",
	fSetlway: "PSN_SETLWAY", fChrgBchno: "CHRG_BCHNO", fInvono: "INVONO", fMidSetl: "MID_SETL_FLAG",
	fSetlID: "SETL_ID",
}

// messageField names an element of the message by its upper-case name.
func messageField(name string) (field, bool) {
	switch name {
	case "MSGNO", "FUNCTIONID", "FUNCTION_ID":
		return fMsgNo, true
	case "MSGID":
		return fMsgID, true
	case "AKB020", "HOSPITAL_ID", "FIXMEDINS_CODE":
		return fHospital, true
	case "MDTRTAREA_ADMVS":
		return fTreatAdmdvs, true
	case "AAA027", "INSUPLC_ADMDVS":
		return fInsuAdmdvs, true
	case "OPERID", "AAE011":
		return fOperID, true
	case "BATNO", "SIGN_NO":
		return fBatNo, true
	case "OPTTIME", "AAE036":
		return fOptTime, true
	case "AAC002":
		return fIDNo, true
	case "AKC020":
		return fCardNo, true
	case "AKC190":
		return fVisitNo, true
	case "AKA130":
		return fMedType, true
	case "AAE140":
		return fInsutype, true
	case "AAE030", "BEGNTIME":
		return fBegin, true
	case "AAE031", "ENDTIME":
		return fEnd, true
	case "DEPT_CODE":
		return fDeptCode, true
	case "DEPT_NAME":
		return fDeptName, true
	case "AKC025", "BKF040", "CATY":
		return fCaty, true
	case "AKC008", "BKF050", "ATDDR_NO":
		return fDrCode, true
	case "DR_NAME":
		return fDrName, true
	case "ADM_BED":
		return fBed, true
	case "AKC193", "DISE_CODG":
		return fDiseCode, true
	case "DISE_NAME":
		return fDiseName, true
	case "DSCG_WAY":
		return fDscgWay, true
	case "AKC264", "MEDFEE_SUMAMT":
		return fMedfee, true
	case "FULAMT_OWNPAY_AMT":
		return fFulamt, true
	case "OVERLMT_SELFPAY":
		return fOverlmt, true
	case "PRESELFPAY_AMT":
		return fPreselfpay, true
	case "INSCP_SCP_AMT":
		return fInscp, true
	case "ACCT_USED_FLAG":
		return fAcctUsed, true
	case "PSN_SETLWAY":
		return fSetlway, true
	case "CHRG_BCHNO":
		return fChrgBchno, true
	case "INVONO":
		return fInvono, true
	case "MID_SETL_FLAG":
		return fMidSetl, true
	case "SETL_ID":
		return fSetlID, true
	}
	return 0, false
}

type feeField uint8

const (
	rSn feeField = iota
	rTime
	rHospCode
	rListCode
	rPrice
	rQty
	rAmount
	rVisitNo
	rChrgBchno
	rDiseCode
	rApproval
	nFeeFields
)

var feeFieldNames = [nFeeFields]string{
	rSn: "FEEDETL_SN", rTime: "AKC221", rHospCode: "AKC515", rListCode: "AKE001", rPrice: "AKC225",
	rQty: "AKC226", rAmount: "AKC227", rVisitNo: "AKC190", rChrgBchno: "CHRG_BCHNO", rDiseCode: "AKC193",
	rApproval: "HOSP_APPR_FLAG",
}

func feeRowField(name string) (feeField, bool) {
	switch name {
	case "FEEDETL_SN":
		return rSn, true
	case "AKC221", "FEE_OCUR_TIME":
		return rTime, true
	case "AKC515", "MEDINS_LIST_CODG":
		return rHospCode, true
	case "AKE001", "AKC222", "MED_LIST_CODG":
		return rListCode, true
	case "AKC225", "PRIC":
		return rPrice, true
	case "AKC226", "CNT":
		return rQty, true
	case "AKC227", "DET_ITEM_FEE_SUMAMT":
		return rAmount, true
	case "AKC190":
		return rVisitNo, true
	case "CHRG_BCHNO":
		return rChrgBchno, true
	case "AKC193", "DISE_CODG":
		return rDiseCode, true
	case "HOSP_APPR_FLAG":
		return rApproval, true
	}
	return 0, false
}

type diagField uint8

const (
	dType diagField = iota
	dSrtNo
	dCode
	dName
	dMain
	nDiagFields
)

var diagFieldNames = [nDiagFields]string{dType: "DIAG_TYPE", dSrtNo: "DIAG_SRT_NO", dCode: "DIAG_CODE", dName: "DIAG_NAME", dMain: "MAINDIAG_FLAG"}

func diagRowField(name string) (diagField, bool) {
	switch name {
	case "DIAG_TYPE":
		return dType, true
	case "DIAG_SRT_NO":
		return dSrtNo, true
	case "DIAG_CODE", "AKC193":
		return dCode, true
	case "DIAG_NAME":
		return dName, true
	case "MAINDIAG_FLAG":
		return dMain, true
	}
	return 0, false
}

// The list containers and what their rows hold.
const (
	feeList  = "KC22XML"
	diagList = "DIAGXML"
)
