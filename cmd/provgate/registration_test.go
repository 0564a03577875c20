package main

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestHospitalFormatsAreValidated: a registration naming a format provgate
// does not speak, or an MLLP source that is no address, is refused by the
// CLI before it calls, and by the admin API for any other client, naming
// the value; a good one is stored and listed.
func TestHospitalFormatsAreValidated(t *testing.T) {
	p := startServe(t, t.TempDir(), freeAddr(t), freeAddr(t), "PROVGATE_ADMIN_TOKEN=s3cret")
	add := func(extra ...string) (string, error) {
		return run(t, append([]string{"hospital", "add", "--code", "H15010200009", "--name", "示例九院", "--admdvs", "150102",
			"--addr", p.base, "--token", "s3cret"}, extra...)...)
	}
	cli := []struct {
		name string
		args []string
		want string // in the output; "" means success
	}{
		{"a misspelt format", []string{"--formats", "nhsa,legacy-xml"}, "E4010"},
		{"a source that is no address", []string{"--formats", "hl7v2", "--mllp-sources", "his.example"}, "E4006"},
		{"every format with MLLP sources", []string{"--formats", "nhsa, legacyxml,delimited,hl7v2,fhir", "--mllp-sources", "10.1.2.0/24,192.0.2.7"}, ""},
	}
	for _, tt := range cli {
		out, err := add(tt.args...)
		if tt.want == "" && err != nil {
			t.Errorf("%s: %v\n%s", tt.name, err, out)
		}
		if tt.want != "" && (err == nil || !strings.Contains(out, tt.want)) {
			t.Errorf("%s: %v, want a refusal with %s:\n%s", tt.name, err, tt.want, out)
		}
	}
	out, err := run(t, "hospital", "list", "--addr", p.base, "--token", "s3cret")
	if err != nil || !strings.Contains(out, "nhsa,legacyxml,delimited,hl7v2,fhir") || !strings.Contains(out, "10.1.2.0/24,192.0.2.7") {
		t.Errorf("hospital list: %v\n%s", err, out)
	}

	api := []struct {
		body   string
		status int
		want   string
	}{
		{`{"code":"H15010200008","name":"八院","admdvs":"150102","grade":"2","formats":["hl7"]}`, http.StatusBadRequest, `"code":"E4010"`},
		{`{"code":"H15010200008","name":"八院","admdvs":"150102","grade":"2","formats":["hl7v2"],"mllp_sources":["10.1.2.0/33"]}`, http.StatusBadRequest, "mllp_sources"},
		{`{"code":"H15010200008","name":"八院","admdvs":"150102","grade":"2","formats":["hl7v2"],"mllp_sources":["10.1.2.0/24"]}`, http.StatusOK, "H15010200008"},
	}
	for _, tt := range api {
		req, _ := http.NewRequest(http.MethodPost, p.base+"/admin/v1/hospitals", strings.NewReader(tt.body))
		req.Header.Set("Authorization", "Bearer s3cret")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.status || !strings.Contains(string(b), tt.want) {
			t.Errorf("POST %s: %d %s, want %d with %s", tt.body, resp.StatusCode, b, tt.status, tt.want)
		}
	}
}
