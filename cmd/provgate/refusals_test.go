package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/provgate/provgate/tif"
)

// counter is a hospital client for refusal tests: any credentials, fresh
// msgids, signed like a HIS.
type counter struct {
	t            *testing.T
	p            *process
	code, paasID string
	token        string
	region       string
	seq          int
}

func (c *counter) call(infno string, input any) answer {
	c.t.Helper()
	c.seq++
	body, _ := json.Marshal(map[string]any{
		"infno": infno, "msgid": fmt.Sprintf("%s20260101%06d%04d", c.code, c.seq, c.seq), "mdtrtarea_admvs": c.region,
		"recer_sys_code": "YBXT", "infver": "V1.0", "opter_type": "1", "opter": "0001", "opter_name": "t",
		"inf_time": "2026-01-01 10:00:00", "fixmedins_code": c.code, "fixmedins_name": "t", "input": input,
	})
	return c.p.postSigned("/nhsa/"+infno, body, func(req *http.Request) {
		ts := strconv.FormatInt(time.Now().Unix(), 10)
		nonce := fmt.Sprintf("%s-%d-%d", c.code, c.seq, time.Now().UnixNano())
		req.Header.Set("x-tif-paasid", c.paasID)
		req.Header.Set("x-tif-timestamp", ts)
		req.Header.Set("x-tif-nonce", nonce)
		req.Header.Set("x-tif-signature", tif.Sign(ts, c.token, nonce))
	})
}

func (c *counter) ok(infno string, input any) answer {
	c.t.Helper()
	a := c.call(infno, input)
	if a.code() != "0" {
		c.t.Fatalf("%s: %s", infno, a.raw)
	}
	return a
}

func (c *counter) visit(psn, cert string) string {
	c.t.Helper()
	a := c.ok("2201", map[string]any{"data": map[string]any{"psn_no": psn, "insutype": "310", "begntime": "2026-01-01 09:00:00",
		"mdtrt_cert_type": "02", "mdtrt_cert_no": cert, "ipt_otp_no": "MZ" + strconv.Itoa(c.seq), "atddr_no": "D1",
		"dr_name": "医生", "dept_code": "A03", "dept_name": "内科", "caty": "A03"}})
	return field(c.t, a.Output, "data", "mdtrt_id")
}

func (c *counter) fees(m, psn, batch string) {
	c.t.Helper()
	fl := feeLines(m)
	for _, l := range fl["feedetail"].([]any) {
		l.(map[string]any)["psn_no"], l.(map[string]any)["chrg_bchno"] = psn, batch
	}
	c.ok("2204", fl)
}

func (c *counter) settleInput(m, psn, batch, medType string) map[string]any {
	in := settleInput(m)
	d := in["data"].(map[string]any)
	d["psn_no"], d["chrg_bchno"], d["med_type"] = psn, batch, medType
	return in
}

func admin(t *testing.T, p *process, path string, body any) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, p.base+path, bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer s3cret")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("admin %s: %v %v", path, err, resp)
	}
	resp.Body.Close()
}

// TestRefusals drives, over HTTP against a real node, each refusal that the
// day, the bad-input test and the flow tests do not already show. Each case
// checks the stable code that leads err_msg.
func TestRefusals(t *testing.T) {
	p := startServeArgs(t, nil, "PROVGATE_ADMIN_TOKEN=s3cret")
	c := &counter{t: t, p: p, code: "H15010100001", paasID: demoPaasID, token: demoToken, region: "150100"}
	const wang, wangCert = "15082600000001", "150826198003150018"
	// Registries the cases need: a person enrolled twice, a person insured
	// where no policy exists, a hospital in a region without a catalog, one
	// registered for another format, and one to disable.
	person := func(psn, cert string, ins ...map[string]any) map[string]any {
		return map[string]any{"psn_no": psn, "certno": cert, "psn_name": "测试", "insurances": ins}
	}
	insured := func(region string) map[string]any {
		return map[string]any{"insutype": "310", "psn_type": "11", "psn_insu_stas": "1", "insuplc_admdvs": region}
	}
	admin(t, p, "/admin/v1/persons", person("DUP1", "DUPCERT1", insured("150826"), insured("150100")))
	admin(t, p, "/admin/v1/persons", person("NOPOL1", "NOPOLCERT1", insured("150999")))
	hospital := func(code, region string, formats []string) {
		admin(t, p, "/admin/v1/hospitals", map[string]any{"code": code, "name": "t", "admdvs": region, "grade": "2",
			"in_network": true, "formats": formats, "paas_id": "paas-" + code, "token": "tok-" + code})
	}
	hospital("H15010200002", "150102", []string{"nhsa"})
	hospital("H15010100003", "150100", []string{"legacyxml"})
	hospital("H15010100004", "150100", []string{"nhsa"})
	other := func(code, region string) *counter {
		return &counter{t: t, p: p, code: code, paasID: "paas-" + code, token: "tok-" + code, region: region}
	}

	m := c.visit(wang, wangCert)
	c.fees(m, wang, "CB1")
	s := c.ok("2207", c.settleInput(m, wang, "CB1", "11"))
	setl := field(t, s.Output, "setlinfo", "setl_id")
	cancel := c.ok("2208", map[string]any{"data": map[string]any{"setl_id": setl, "mdtrt_id": m, "psn_no": wang}})
	cancelID := field(t, cancel.Output, "setlinfo", "setl_id")
	m2 := c.visit(wang, wangCert)
	c.fees(m2, wang, "CB2")

	data := func(kv ...string) map[string]any {
		d := map[string]any{}
		for i := 0; i+1 < len(kv); i += 2 {
			d[kv[i]] = kv[i+1]
		}
		return map[string]any{"data": d}
	}
	cases := []struct {
		code string
		run  func() answer
	}{
		{"E4006", func() answer { return c.call("2208", data("setl_id", "S", "mdtrt_id", "M", "psn_no", "P")) }}, // no: E4205; replaced below
		{"E4103", func() answer {
			return c.call("1101", data("mdtrt_cert_type", "02", "mdtrt_cert_no", "000000000000000000"))
		}},
		{"E4104", func() answer {
			return c.call("2201", data("psn_no", "15082600000003", "insutype", "310", "begntime", "2026-01-01 09:00:00",
				"mdtrt_cert_type", "02", "mdtrt_cert_no", "x", "ipt_otp_no", "x", "atddr_no", "x", "dr_name", "x", "dept_code", "x", "dept_name", "x", "caty", "x"))
		}},
		{"E4105", func() answer {
			li := c.visit("15082600000002", "150826197507200027")
			c.fees(li, "15082600000002", "CB9")
			return c.call("2207", c.settleInput(li, "15082600000002", "CB9", "11"))
		}},
		{"E4106", func() answer { return c.call("2207", c.settleInput(m2, "15082600000002", "CB2", "11")) }},
		{"E4111", func() answer {
			return c.call("2201", data("psn_no", "DUP1", "insutype", "310", "begntime", "2026-01-01 09:00:00",
				"mdtrt_cert_type", "02", "mdtrt_cert_no", "x", "ipt_otp_no", "x", "atddr_no", "x", "dr_name", "x", "dept_code", "x", "dept_name", "x", "caty", "x"))
		}},
		{"E4112", func() answer { return c.call("2502", data("trt_dcla_detl_sn", "F-NONE", "psn_no", wang)) }},
		{"E4201", func() answer { return c.call("2202", data("psn_no", wang, "mdtrt_id", "M-NONE", "ipt_otp_no", "x")) }},
		{"E4204", func() answer { c.t.Helper(); return c.call("2204", feeLinesFor(m2, wang, "CB3")) }},
		{"E4205", func() answer { return c.call("2208", data("setl_id", "S-NONE", "mdtrt_id", m, "psn_no", wang)) }},
		{"E4207", func() answer { return c.call("2208", data("setl_id", cancelID, "mdtrt_id", m, "psn_no", wang)) }},
		{"E4208", func() answer { return c.call("2207", c.settleInput(m2, wang, "CB2", "21")) }},
		{"E4209", func() answer {
			return c.call("2402", map[string]any{"dscginfo": map[string]any{"mdtrt_id": m2, "psn_no": wang, "insutype": "310",
				"endtime": "2026-01-01 18:00:00", "dscg_way": "1"}})
		}},
		{"E4211", func() answer { return c.call("2601", data("psn_no", wang, "omsgid", "X", "oinfno", "2204")) }},
		{"E4301", func() answer {
			in := c.settleInput(m2, wang, "CB2", "11")
			in["data"].(map[string]any)["inscp_scp_amt"] = json.Number("17150.01")
			return c.call("2207", in)
		}},
		{"E4401", func() answer {
			np := c.visit("NOPOL1", "NOPOLCERT1")
			c.fees(np, "NOPOL1", "CB8")
			return c.call("2207", c.settleInput(np, "NOPOL1", "CB8", "11"))
		}},
		{"E4402", func() answer {
			o := other("H15010200002", "150102")
			mo := o.visit(wang, wangCert)
			return o.call("2204", feeLinesFor(mo, wang, "CB1"))
		}},
		{"E4403", func() answer { return c.call("2207", c.settleInput(m2, wang, "CB2", "16")) }},
		{"E4606", func() answer {
			return other("H15010100003", "150100").call("1101", data("mdtrt_cert_type", "02", "mdtrt_cert_no", wangCert))
		}},
		{"E4102", func() answer {
			out, err := run(t, "hospital", "disable", "H15010100004", "--addr", p.base, "--token", "s3cret")
			if err != nil {
				t.Fatalf("disable: %v %s", err, out)
			}
			return other("H15010100004", "150100").call("1101", data("mdtrt_cert_type", "02", "mdtrt_cert_no", wangCert))
		}},
	}
	// The first case checks a field contradicting the record.
	cases[0].run = func() answer {
		in := c.settleInput(m2, wang, "CB2", "11")
		in["data"].(map[string]any)["insutype"] = "390"
		return c.call("2207", in)
	}
	for _, tt := range cases {
		t.Run(tt.code, func(t *testing.T) {
			c.t = t
			a := tt.run()
			if a.code() != tt.code {
				t.Errorf("got %s, want %s", a.raw, tt.code)
			}
			if !strings.Contains(a.ErrMsg, " / ") || !containsHan(a.ErrMsg) {
				t.Errorf("err_msg %q is not in Chinese and English", a.ErrMsg)
			}
		})
	}
}

func feeLinesFor(m, psn, batch string) map[string]any {
	fl := feeLines(m)
	for _, l := range fl["feedetail"].([]any) {
		l.(map[string]any)["psn_no"], l.(map[string]any)["chrg_bchno"] = psn, batch
	}
	return fl
}
