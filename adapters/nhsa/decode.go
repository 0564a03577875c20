package nhsa

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	json "github.com/goccy/go-json"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/provgate/provgate/settlement"
)

// Message is a decoded request: the header as sent and the request in
// domain terms.
type Message struct {
	Header  Header
	Request settlement.Request
}

// Decode reads a national request envelope. pathInfno is the infno from the
// URL (POST /nhsa/{infno}); empty when the hospital posts to /nhsa. A
// failure is a *settlement.Error naming what is wrong.
func Decode(body []byte, pathInfno string) (Message, error) {
	if m, handled, err := decodeOnePass(body, pathInfno); handled {
		return m, err
	}
	return decodeGeneral(body, pathInfno)
}

// decodeGeneral is Decode through the JSON package: every body the one
// pass steps aside for, and the reference the pass is tested against.
func decodeGeneral(body []byte, pathInfno string) (Message, error) {
	var env envelope
	// A body that is one JSON value, the usual, is read in one call; only
	// another goes through the stream decoder, which says what is wrong
	// with it, or reads the first value of several.
	if json.Unmarshal(body, &env) != nil {
		env = envelope{}
		dec := json.NewDecoder(bytes.NewReader(body))
		if err := dec.Decode(&env); err != nil {
			return Message{}, malformed(err)
		}
		if dec.More() {
			return Message{}, settlement.Errorf(settlement.CodeMalformed, settlement.Bi("JSON对象之后还有多余内容", "data after the JSON object"))
		}
	}
	h, err := header(env.Header, pathInfno)
	if err != nil {
		return Message{}, err
	}
	if len(bytes.TrimSpace(env.Input)) == 0 || bytes.Equal(bytes.TrimSpace(env.Input), []byte("null")) {
		return Message{}, settlement.Errorf(settlement.CodeMissingField, "input")
	}
	digest, err := digestOf(string(h.Infno), env.Input)
	if err != nil {
		return Message{}, err
	}
	req := request(h, digest)
	nodes := map[string]json.RawMessage{}
	if err := json.Unmarshal(env.Input, &nodes); err != nil {
		return Message{}, settlement.Errorf(settlement.CodeBadField, "input", settlement.Bi("应为节点对象（data、feedetail 等）", "must be an object of nodes (data, feedetail, ...)"))
	}
	decode, ok := decoders[req.Kind]
	if !ok {
		return Message{}, settlement.Errorf(settlement.CodeUnknownInfno, string(h.Infno))
	}
	err = decode(nodes, &req)
	if err != nil {
		return Message{}, err
	}
	return Message{Header: h, Request: req}, nil
}

// header completes the header with the URL's infno and checks it.
func header(h Header, pathInfno string) (Header, error) {
	if pathInfno != "" {
		if h.Infno == "" {
			h.Infno = text(pathInfno)
		} else if string(h.Infno) != pathInfno {
			return h, settlement.Errorf(settlement.CodeBadField, "infno", settlement.Bi(
				fmt.Sprintf("报文中为 %s，URL 中为 %s", h.Infno, pathInfno),
				fmt.Sprintf("%s in the envelope but %s in the URL", h.Infno, pathInfno)))
		}
	}
	return h, checkHeader(h)
}

// request is the request a checked header stands for, before its input.
func request(h Header, digest string) settlement.Request {
	return settlement.Request{
		Kind: settlement.Kind(h.Infno), Hospital: string(h.FixmedinsCode), MsgID: string(h.MsgID),
		Digest: digest, TreatAdmdvs: string(h.MdtrtareaAdmv), InsuredAdmdvs: string(h.InsuplcAdmdvs),
		Operator: string(h.Opter), SignNo: string(h.SignNo),
	}
}

// isDateTime reports whether time.Parse(time.DateTime, s) accepts s. The
// usual 19-character value is checked by hand; time.Parse is left the
// rest (it also accepts fractions of a second and a one-digit hour).
func isDateTime(s string) bool {
	if settlement.IsDateTime(s) {
		return true
	}
	_, err := time.Parse(time.DateTime, s)
	return err == nil
}

func malformed(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return settlement.Errorf(settlement.CodeMalformed, settlement.Bi(
			fmt.Sprintf("第 %d 字节处语法错误", syn.Offset), fmt.Sprintf("syntax error at byte %d", syn.Offset)))
	case errors.As(err, &typ):
		return settlement.Errorf(settlement.CodeBadField, typ.Field, wrongType(typ.Value))
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return settlement.Errorf(settlement.CodeMalformed, settlement.Bi("报文为空或不完整", "the body is empty or cut short"))
	}
	return settlement.Errorf(settlement.CodeMalformed, settlement.Bi("不是JSON对象", "not a JSON object"))
}

// checkHeader enforces the header fields the national interface marks
// required, and the formats provgate relies on.
func checkHeader(h Header) error {
	required := []struct {
		name string
		v    text
	}{
		{"infno", h.Infno}, {"msgid", h.MsgID}, {"mdtrtarea_admvs", h.MdtrtareaAdmv},
		{"recer_sys_code", h.RecerSysCode}, {"infver", h.Infver}, {"opter_type", h.OpterType},
		{"opter", h.Opter}, {"opter_name", h.OpterName}, {"inf_time", h.InfTime},
		{"fixmedins_code", h.FixmedinsCode}, {"fixmedins_name", h.FixmedinsName},
	}
	for _, f := range required {
		if strings.TrimSpace(string(f.v)) == "" {
			return settlement.Errorf(settlement.CodeMissingField, f.name)
		}
	}
	if len(h.MsgID) > 30 || !printable(string(h.MsgID)) {
		return settlement.Errorf(settlement.CodeBadField, "msgid", asciiID)
	}
	if len(h.FixmedinsCode) > 30 || !printable(string(h.FixmedinsCode)) {
		return settlement.Errorf(settlement.CodeBadField, "fixmedins_code", asciiID)
	}
	if !isRegion(string(h.MdtrtareaAdmv)) {
		return settlement.Errorf(settlement.CodeBadField, "mdtrtarea_admvs", regionCode)
	}
	if h.InsuplcAdmdvs != "" && !isRegion(string(h.InsuplcAdmdvs)) {
		return settlement.Errorf(settlement.CodeBadField, "insuplc_admdvs", regionCode)
	}
	if !isDateTime(string(h.InfTime)) {
		return settlement.Errorf(settlement.CodeBadField, "inf_time", expect("yyyy-MM-dd HH:mm:ss", string(h.InfTime)))
	}
	return nil
}

// digestOf fingerprints the business content: the infno and the input as
// sent, whitespace aside. A retry repeats the body, so changes to header
// fields such as inf_time do not matter, while any change of the input does.
func digestOf(infno string, input json.RawMessage) (string, error) {
	var compact bytes.Buffer
	if err := json.Compact(&compact, input); err != nil {
		return "", malformed(err)
	}
	h := sha256.New()
	h.Write([]byte(infno + "\n"))
	h.Write(compact.Bytes())
	return hex.EncodeToString(h.Sum(nil)), nil
}

// node decodes input.<name> into v.
func node(nodes map[string]json.RawMessage, name string, v any) error {
	raw, ok := nodes[name]
	if !ok || bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return settlement.Errorf(settlement.CodeMissingField, "input."+name)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		var typ *json.UnmarshalTypeError
		if errors.As(err, &typ) {
			return settlement.Errorf(settlement.CodeBadField, "input."+name+"."+typ.Field, wrongType(typ.Value))
		}
		return settlement.Errorf(settlement.CodeBadField, "input."+name, settlement.Bi("结构不符合接口规范", "does not have the structure the interface defines"))
	}
	return nil
}

// fields checks required fields, naming the first one missing.
type fields struct {
	path string // what names in refusals start with: "input.data."
	// list and item name an element of a list instead: the name is then
	// list[item].name, made only for a refusal (a fee upload has hundreds
	// of fields and no refusal).
	list string
	item int
	err  error
}

// at names a field in a refusal.
func (f *fields) at(name string) string {
	if f.list != "" {
		return f.list + "[" + strconv.Itoa(f.item) + "]." + name
	}
	return f.path + name
}

func (f *fields) need(name string, v text) string {
	if f.err == nil && blank(string(v)) {
		f.err = settlement.Errorf(settlement.CodeMissingField, f.at(name))
	}
	return string(v)
}

func (f *fields) money(name string, v decimal) settlement.Fen {
	if f.err != nil {
		return 0
	}
	if v == "" {
		f.err = settlement.Errorf(settlement.CodeMissingField, f.at(name))
		return 0
	}
	a, err := settlement.ParseFen(string(v))
	if err != nil {
		f.err = settlement.Errorf(settlement.CodeBadAmount, f.at(name), string(v))
	}
	return a
}

func (f *fields) dateTime(name string, v text) string {
	s := f.need(name, v)
	if f.err == nil {
		if !isDateTime(s) {
			f.err = settlement.Errorf(settlement.CodeBadField, f.at(name), expect("yyyy-MM-dd HH:mm:ss", s))
		}
	}
	return s
}

func (f *fields) flag(name string, v text) bool {
	switch v {
	case "", "0":
		return false
	case "1":
		return true
	}
	if f.err == nil {
		f.err = settlement.Errorf(settlement.CodeBadField, f.at(name), expect("0 / 1", string(v)))
	}
	return false
}

func decodePersonQuery(nodes map[string]json.RawMessage) (*settlement.PersonQuery, error) {
	var d struct {
		MdtrtCertType text `json:"mdtrt_cert_type"`
		MdtrtCertNo   text `json:"mdtrt_cert_no"`
		CardSn        text `json:"card_sn"`
		PsnCertType   text `json:"psn_cert_type"`
		Certno        text `json:"certno"`
	}
	if err := node(nodes, "data", &d); err != nil {
		return nil, err
	}
	f := fields{path: "input.data."}
	q := &settlement.PersonQuery{CertType: f.need("mdtrt_cert_type", d.MdtrtCertType), CertNo: f.need("mdtrt_cert_no", d.MdtrtCertNo)}
	if q.CertType == "03" {
		f.need("card_sn", d.CardSn)
	}
	if f.err == nil && q.CertType != "01" && q.CertType != "02" && q.CertType != "03" {
		f.err = settlement.Errorf(settlement.CodeBadField, "input.data.mdtrt_cert_type", expect("01 / 02 / 03", q.CertType))
	}
	return q, f.err
}

func decodeRegistration(nodes map[string]json.RawMessage) (*settlement.Registration, error) {
	var d struct {
		PsnNo         text `json:"psn_no"`
		Insutype      text `json:"insutype"`
		Begntime      text `json:"begntime"`
		MdtrtCertType text `json:"mdtrt_cert_type"`
		MdtrtCertNo   text `json:"mdtrt_cert_no"`
		IptOtpNo      text `json:"ipt_otp_no"`
		AtddrNo       text `json:"atddr_no"`
		DrName        text `json:"dr_name"`
		DeptCode      text `json:"dept_code"`
		DeptName      text `json:"dept_name"`
		Caty          text `json:"caty"`
	}
	if err := node(nodes, "data", &d); err != nil {
		return nil, err
	}
	f := fields{path: "input.data."}
	r := &settlement.Registration{
		PsnNo: f.need("psn_no", d.PsnNo), Insutype: f.need("insutype", d.Insutype),
		Begntime: f.dateTime("begntime", d.Begntime), CertType: f.need("mdtrt_cert_type", d.MdtrtCertType),
		CertNo: f.need("mdtrt_cert_no", d.MdtrtCertNo), IptOtpNo: f.need("ipt_otp_no", d.IptOtpNo),
		AtddrNo: f.need("atddr_no", d.AtddrNo), DrName: f.need("dr_name", d.DrName),
		DeptCode: f.need("dept_code", d.DeptCode), DeptName: f.need("dept_name", d.DeptName),
		Caty: f.need("caty", d.Caty),
	}
	return r, f.err
}

type feeLine struct {
	FeedetlSn      text    `json:"feedetl_sn"`
	MdtrtID        text    `json:"mdtrt_id"`
	PsnNo          text    `json:"psn_no"`
	ChrgBchno      text    `json:"chrg_bchno"`
	MedType        text    `json:"med_type"`
	DiseCodg       text    `json:"dise_codg"`
	RxCircFlag     text    `json:"rx_circ_flag"`
	FeeOcurTime    text    `json:"fee_ocur_time"`
	MedListCodg    text    `json:"med_list_codg"`
	MedinsListCodg text    `json:"medins_list_codg"`
	Amount         decimal `json:"det_item_fee_sumamt"`
	Cnt            decimal `json:"cnt"`
	Pric           decimal `json:"pric"`
	BilgDeptCodg   text    `json:"bilg_dept_codg"`
	BilgDeptName   text    `json:"bilg_dept_name"`
	BilgDrCodg     text    `json:"bilg_dr_codg"`
	BilgDrName     text    `json:"bilg_dr_name"`
	HospApprFlag   text    `json:"hosp_appr_flag"`
}

// maxFeeLines bounds one upload; hospitals batch at 100 lines in practice.
const maxFeeLines = 1000

func decodeFees(nodes map[string]json.RawMessage, inpatient bool) (*settlement.FeeUpload, error) {
	var lines []feeLine
	raw, ok := nodes["feedetail"]
	if ok {
		lines, ok = scanFeeLines(raw)
	}
	if !ok {
		if err := node(nodes, "feedetail", &lines); err != nil {
			return nil, err
		}
	}
	return checkFeeLines(lines, inpatient)
}

// checkFeeLines turns the lines of a fee upload into the request's,
// refusing the first line that is incomplete or does not add up.
func checkFeeLines(lines []feeLine, inpatient bool) (*settlement.FeeUpload, error) {
	c := feeChecker{inpatient: inpatient, lines: make([]settlement.FeeLine, 0, len(lines))}
	for i := range lines {
		c.add(&lines[i])
	}
	return c.upload()
}

// feeChecker checks lines as they come, keeping the first refusal; the
// refusals about the whole list (none, too many) come before it.
type feeChecker struct {
	inpatient bool
	n         int // lines seen
	lines     []settlement.FeeLine
	time      string // the last fee_ocur_time accepted: a bill's lines share it
	err       error
}

func (c *feeChecker) add(l *feeLine) {
	if c.err == nil && c.n < maxFeeLines {
		// The line is written in place, not copied in: a FeeLine is ten
		// strings.
		if len(c.lines) < cap(c.lines) {
			// Past its length the slice is still as make cleared it:
			// appending a zero line would clear it again, through the
			// collector's barriers while it marks.
			c.lines = c.lines[:len(c.lines)+1]
		} else {
			c.lines = append(c.lines, settlement.FeeLine{})
		}
		if c.err = checkFeeLine(c.n, l, c.inpatient, &c.lines[len(c.lines)-1], c.time); c.err == nil {
			c.time = string(l.FeeOcurTime)
		}
	}
	c.n++
}

func (c *feeChecker) upload() (*settlement.FeeUpload, error) {
	if c.n == 0 {
		return nil, settlement.Errorf(settlement.CodeMissingField, "input.feedetail[0]")
	}
	if c.n > maxFeeLines {
		return nil, settlement.Errorf(settlement.CodeBadField, "input.feedetail", settlement.Bi(
			fmt.Sprintf("每次最多上传 %d 条明细", maxFeeLines), fmt.Sprintf("at most %d lines per upload", maxFeeLines)))
	}
	if c.err != nil {
		return nil, c.err
	}
	return &settlement.FeeUpload{Lines: c.lines}, nil
}

// checkFeeLine checks line i of an upload into fl. A fee_ocur_time equal
// to okTime was checked before.
func checkFeeLine(i int, l *feeLine, inpatient bool, fl *settlement.FeeLine, okTime string) error {
	f := fields{list: "input.feedetail", item: i}
	fl.FeedetlSn, fl.MdtrtID = f.need("feedetl_sn", l.FeedetlSn), f.need("mdtrt_id", l.MdtrtID)
	fl.PsnNo, fl.ChrgBchno = f.need("psn_no", l.PsnNo), string(l.ChrgBchno)
	if t := string(l.FeeOcurTime); t != "" && t == okTime {
		fl.FeeOcurTime = t
	} else {
		fl.FeeOcurTime = f.dateTime("fee_ocur_time", l.FeeOcurTime)
	}
	fl.MedListCodg, fl.MedinsListCodg = f.need("med_list_codg", l.MedListCodg), f.need("medins_list_codg", l.MedinsListCodg)
	fl.Amount = f.money("det_item_fee_sumamt", l.Amount)
	fl.HospApprFlag, fl.DiseCodg = string(l.HospApprFlag), string(l.DiseCodg)
	if inpatient {
		f.need("med_type", l.MedType)
	} else {
		f.need("chrg_bchno", l.ChrgBchno)
		f.need("rx_circ_flag", l.RxCircFlag)
	}
	f.need("bilg_dept_codg", l.BilgDeptCodg)
	f.need("bilg_dept_name", l.BilgDeptName)
	f.need("bilg_dr_codg", l.BilgDrCodg)
	f.need("bilg_dr_name", l.BilgDrName)
	if f.err != nil {
		return f.err
	}
	if l.Cnt == "" {
		return settlement.Errorf(settlement.CodeMissingField, f.at("cnt"))
	}
	if l.Pric == "" {
		return settlement.Errorf(settlement.CodeMissingField, f.at("pric"))
	}
	var err error
	if fl.Qty, err = settlement.ParseQty(string(l.Cnt)); err != nil {
		return settlement.Errorf(settlement.CodeBadField, f.at("cnt"), expect("数量，最多4位小数 / a quantity with at most 4 decimals", string(l.Cnt)))
	}
	if fl.Price, err = settlement.ParsePrice(string(l.Pric)); err != nil {
		return settlement.Errorf(settlement.CodeBadField, f.at("pric"), expect("单价，最多6位小数 / a price with at most 6 decimals", string(l.Pric)))
	}
	if fl.Qty <= 0 || fl.Price < 0 || fl.Amount < 0 {
		return settlement.Errorf(settlement.CodeBadField, f.at("cnt"), settlement.Bi(
			"暂不支持退费明细（负数数量或金额），请以新的收费批次号上传更正后的明细",
			"refund lines (negative quantity or amount) are not supported yet; upload the corrected lines under a new chrg_bchno"))
	}
	want, ok := settlement.LineAmount(fl.Price, fl.Qty)
	if !ok || want != fl.Amount {
		return settlement.Errorf(settlement.CodeLineAmount, fl.FeedetlSn, fl.Amount.String(), want.String())
	}
	if a := fl.HospApprFlag; a != "" && a != "0" && a != "1" && a != "2" {
		return settlement.Errorf(settlement.CodeBadField, f.at("hosp_appr_flag"), expect("0 / 1 / 2", a))
	}
	return nil
}

func decodeSettle(nodes map[string]json.RawMessage, kind settlement.Kind) (*settlement.SettleRequest, error) {
	inpatient := kind == settlement.KindInpSettle || kind == settlement.KindInpPreSettle
	var d struct {
		MidSetlFlag   text    `json:"mid_setl_flag"`
		DscgTime      text    `json:"dscg_time"`
		PsnNo         text    `json:"psn_no"`
		MdtrtCertType text    `json:"mdtrt_cert_type"`
		MdtrtCertNo   text    `json:"mdtrt_cert_no"`
		MedType       text    `json:"med_type"`
		Medfee        decimal `json:"medfee_sumamt"`
		PsnSetlway    text    `json:"psn_setlway"`
		MdtrtID       text    `json:"mdtrt_id"`
		ChrgBchno     text    `json:"chrg_bchno"`
		AcctUsedFlag  text    `json:"acct_used_flag"`
		Insutype      text    `json:"insutype"`
		Invono        text    `json:"invono"`
		Fulamt        decimal `json:"fulamt_ownpay_amt"`
		Overlmt       decimal `json:"overlmt_selfpay"`
		Preselfpay    decimal `json:"preselfpay_amt"`
		Inscp         decimal `json:"inscp_scp_amt"`
	}
	wrapper := "data"
	if _, ok := nodes["data"]; !ok && inpatient {
		wrapper = "mdtrtinfo" // Guangzhou wraps 2304 in mdtrtinfo
	}
	if err := node(nodes, wrapper, &d); err != nil {
		return nil, err
	}
	f := fields{path: "input." + wrapper + "."}
	s := &settlement.SettleRequest{
		PsnNo: f.need("psn_no", d.PsnNo), CertType: f.need("mdtrt_cert_type", d.MdtrtCertType),
		Medfee: f.money("medfee_sumamt", d.Medfee), PsnSetlway: f.need("psn_setlway", d.PsnSetlway),
		MdtrtID: f.need("mdtrt_id", d.MdtrtID), Insutype: f.need("insutype", d.Insutype),
		AcctUsed: f.flag("acct_used_flag", d.AcctUsedFlag), Invono: string(d.Invono), MedType: string(d.MedType),
	}
	f.need("mdtrt_cert_no", d.MdtrtCertNo)
	f.need("acct_used_flag", d.AcctUsedFlag)
	if inpatient {
		f.need("mid_setl_flag", d.MidSetlFlag)
		s.MidSetl = f.flag("mid_setl_flag", d.MidSetlFlag)
	} else {
		s.MedType = f.need("med_type", d.MedType)
		s.ChrgBchno = f.need("chrg_bchno", d.ChrgBchno)
	}
	// 2207 must echo the four split amounts; 2304 may.
	if kind == settlement.KindSettle || (kind == settlement.KindInpSettle && d.Fulamt+d.Overlmt+d.Preselfpay+d.Inscp != "") {
		s.Split = &settlement.SplitTotals{
			Fulamt: f.money("fulamt_ownpay_amt", d.Fulamt), Overlmt: f.money("overlmt_selfpay", d.Overlmt),
			Preselfpay: f.money("preselfpay_amt", d.Preselfpay), Inscp: f.money("inscp_scp_amt", d.Inscp),
		}
	}
	return s, f.err
}

func decodeCancel(nodes map[string]json.RawMessage) (*settlement.CancelRequest, error) {
	var d struct {
		SetlID  text `json:"setl_id"`
		MdtrtID text `json:"mdtrt_id"`
		PsnNo   text `json:"psn_no"`
	}
	if err := node(nodes, "data", &d); err != nil {
		return nil, err
	}
	f := fields{path: "input.data."}
	c := &settlement.CancelRequest{SetlID: f.need("setl_id", d.SetlID), MdtrtID: f.need("mdtrt_id", d.MdtrtID), PsnNo: f.need("psn_no", d.PsnNo)}
	return c, f.err
}

// blank is strings.TrimSpace(s) == "", without the call for the usual
// value, which starts with a printable ASCII character.
func blank(s string) bool {
	if s == "" {
		return true
	}
	if c := s[0]; c < utf8.RuneSelf {
		if c > ' ' {
			return false
		}
	} else if c != 0xc2 && c-0xe1 > 2 {
		// Only these lead bytes start white space beyond ASCII (U+0085,
		// U+00A0, U+1680, U+2000–U+205F, U+3000); the usual Chinese name
		// starts with another.
		return false
	} else if r, _ := utf8.DecodeRuneInString(s); !unicode.IsSpace(r) {
		return false
	}
	return strings.TrimSpace(s) == ""
}

func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

func isRegion(s string) bool {
	if len(s) != 6 {
		return false
	}
	for i := 0; i < 6; i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

var (
	asciiID    = settlement.Bi("最多30位可打印ASCII字符", "at most 30 printable ASCII characters")
	regionCode = settlement.Bi("应为6位医保区划代码", "a 6-digit region code")
)

// expect describes what a field should hold and what it held.
func expect(want, got string) settlement.Text {
	return settlement.Bi("应为 "+want+"，实际为 "+quote(got), "expected "+want+", got "+quote(got))
}

func wrongType(jsonType string) settlement.Text {
	return settlement.Bi("JSON类型错误（"+jsonType+"）", "wrong JSON type "+jsonType)
}

// quote shows a value in an error, shortened so a long value cannot flood
// the message.
func quote(s string) string {
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return fmt.Sprintf("%q", s)
}
