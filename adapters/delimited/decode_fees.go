package delimited

import (
	"strconv"

	"github.com/provgate/provgate/settlement"
)

// Record 1 of a fee upload names the visit; 2204 adds the charge batch
// every line belongs to, 2301 the stay's medical type.
var (
	outpatientFees = []col{certTypeOpt, certNo, otpNo, {"chrg_bchno", "收费批次号", true}}
	inpatientFees  = []col{certTypeOpt, certNo, iptNo, {"med_type", "医疗类别", true}}
)

// feeLineLayout is records 2.. of a fee upload: one fee line each, in the
// order of the DLL-era KC22 row (item codes, then price, quantity, amount).
// The outpatient line must say whether the prescription is dispensed
// outside (rx_circ_flag), as 2204 requires.
func feeLineLayout(outpatient bool) []col {
	return []col{
		{"feedetl_sn", "明细流水号", true},
		{"fee_ocur_time", "费用发生时间", true},
		{"med_list_codg", "医保目录编码", true},
		{"medins_list_codg", "医院目录编码", true},
		{"pric", "单价", true},
		{"cnt", "数量", true},
		{"det_item_fee_sumamt", "明细项目费用总额", true},
		{"bilg_dept_codg", "开单科室编码", true},
		{"bilg_dept_name", "开单科室名称", true},
		{"bilg_dr_codg", "开单医师编码", true},
		{"bilg_dr_name", "开单医师姓名", true},
		{"hosp_appr_flag", "医院审批标志", false},
		{"rx_circ_flag", "外购处方标志", outpatient},
		{"dise_codg", "病种编码", false},
	}
}

var (
	outpatientLine = feeLineLayout(true)
	inpatientLine  = feeLineLayout(false)
)

func decodeFeeUpload(d *decoder, recs []string, base settlement.Request) []settlement.Request {
	outpatient := base.Kind == settlement.KindUploadFees
	var batch string
	if outpatient {
		d.start(1, recs[0], '|', outpatientFees, len(outpatientFees))
		base.Ref = d.ref(certTypes)
		batch = d.id()
	} else {
		d.start(1, recs[0], '|', inpatientFees, len(inpatientFees))
		base.Ref = d.ref(certTypes)
		d.code(medTypes) // the stay's medical type was fixed at admission; checked, not carried
	}
	base.Fees = &settlement.FeeUpload{Lines: d.feeLines(recs[1:], 2, batch, outpatient)}
	return []settlement.Request{base}
}

// feeLines reads fee-line records; first is the record number of recs[0].
func (d *decoder) feeLines(recs []string, first int, batch string, outpatient bool) []settlement.FeeLine {
	if d.err != nil {
		return nil
	}
	if len(recs) == 0 {
		d.fail(settlement.Errorf(settlement.CodeMissingField, settlement.Bi(
			"费用明细（第"+strconv.Itoa(first)+"条记录）", "fee line (record "+strconv.Itoa(first)+")")))
		return nil
	}
	layout := inpatientLine
	if outpatient {
		layout = outpatientLine
	}
	lines := make([]settlement.FeeLine, len(recs))
	for i, rec := range recs {
		n := first + i
		if !d.start(n, rec, '|', layout, len(layout)) {
			return nil
		}
		l := &lines[i]
		l.ChrgBchno = batch
		l.FeedetlSn = d.id()
		l.FeeOcurTime = d.dateTime()
		l.MedListCodg = d.id()
		l.MedinsListCodg = d.id()
		l.Price = d.price()
		l.Qty = d.qty()
		l.Amount = d.money()
		d.id()   // bilg_dept_codg
		d.text() // bilg_dept_name
		d.id()   // bilg_dr_codg
		d.text() // bilg_dr_name
		l.HospApprFlag = d.oneOf("0", "1", "2")
		d.oneOf("0", "1") // rx_circ_flag
		l.DiseCodg = d.id()
		if d.err != nil {
			return nil
		}
		if l.Qty <= 0 || l.Price < 0 || l.Amount < 0 {
			d.fail(settlement.Errorf(settlement.CodeBadField, d.field(5), settlement.Bi(
				"暂不支持退费明细（负数数量或金额），请以新的收费批次号上传更正后的明细",
				"refund lines (negative quantity or amount) are not supported yet; upload the corrected lines under a new chrg_bchno")))
			return nil
		}
		if want, ok := settlement.LineAmount(l.Price, l.Qty); !ok || want != l.Amount {
			d.fail(settlement.Errorf(settlement.CodeLineAmount, settlement.Bi(
				"第"+strconv.Itoa(n)+"条记录（明细流水号 "+l.FeedetlSn+"）", "record "+strconv.Itoa(n)+" (feedetl_sn "+l.FeedetlSn+")"),
				l.Amount.String(), want.String()))
			return nil
		}
	}
	return lines
}

// feeCancel is 2205 (a charge batch, "0000" for all) and 2302 (a line,
// "0000" for all).
var (
	outpatientFeeCancel = []col{certTypeOpt, certNo, otpNo, {"chrg_bchno", "收费批次号", true}}
	inpatientFeeCancel  = []col{certTypeOpt, certNo, iptNo, {"feedetl_sn", "明细流水号", true}}
)

func decodeFeeCancel(inpatient bool) func(*decoder, []string, settlement.Request) []settlement.Request {
	layout := outpatientFeeCancel
	if inpatient {
		layout = inpatientFeeCancel
	}
	return func(d *decoder, recs []string, base settlement.Request) []settlement.Request {
		only(d, recs)
		d.start(1, recs[0], '|', layout, len(layout))
		base.Ref = d.ref(certTypes)
		base.FeeCancel = &settlement.FeeCancel{}
		if inpatient {
			base.FeeCancel.FeedetlSn = d.id()
		} else {
			base.FeeCancel.ChrgBchno = d.id()
		}
		return []settlement.Request{base}
	}
}

// decodeFeesAndSettle reads 2720: record 1 is an outpatient settlement
// (the layout of 2207, split amounts optional) and records 2.. its fee
// lines. The lines are uploaded under the settlement's charge batch, then
// the batch is settled. The bill total must be the lines' sum: checked here,
// so that a wrong total refuses the message before any step is submitted.
func decodeFeesAndSettle(d *decoder, recs []string, base settlement.Request) []settlement.Request {
	settle := base
	settle.Kind = settlement.KindSettle
	d.outpatientSettle(recs[0], &settle, false)
	if d.err != nil {
		return nil
	}
	fees := base
	fees.Kind = settlement.KindUploadFees
	ref := *settle.Ref // each step owns its Ref
	fees.Ref = &ref
	fees.Fees = &settlement.FeeUpload{Lines: d.feeLines(recs[1:], 2, settle.Settle.ChrgBchno, true)}
	if d.err != nil {
		return nil
	}
	var sum settlement.Fen
	for _, l := range fees.Fees.Lines {
		sum += l.Amount
	}
	if sum != settle.Settle.Medfee {
		d.fail(settlement.Errorf(settlement.CodeAmountsMismatch, "medfee_sumamt", settle.Settle.Medfee.String(), sum.String()))
		return nil
	}
	return []settlement.Request{fees, settle}
}
