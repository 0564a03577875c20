package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestHubCommand starts `provgate hub` from the committed example
// configuration on a free port, checks /healthz and the admin API with the
// file's token, and stops it as a signal would.
func TestHubCommand(t *testing.T) {
	out, w := io.Pipe()
	cmd := rootCommand()
	cmd.SetArgs([]string{"hub", "--config", "../../configs/hub.yaml", "--addr", "127.0.0.1:0"})
	cmd.SetOut(w)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- cmd.ExecuteContext(ctx)
		w.Close()
	}()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("no banner: %v (%v)", err, <-done)
	}
	go io.Copy(io.Discard, out)
	base := regexp.MustCompile(`http://127\.0\.0\.1:\d+`).FindString(line)
	if base == "" || !strings.Contains(line, "内蒙古 15*") || !strings.Contains(line, "江西 36*") {
		t.Fatalf("banner %q", line)
	}

	resp, err := http.Get(base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	var health map[string]string
	json.NewDecoder(resp.Body).Decode(&health)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || health["status"] != "ok" {
		t.Fatalf("healthz: HTTP %d %v", resp.StatusCode, health)
	}
	req, _ := http.NewRequest(http.MethodGet, base+"/hub/v1/stats", nil)
	req.Header.Set("Authorization", "Bearer demo-hub-admin-token")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("stats with the configured admin token: HTTP %d", resp.StatusCode)
	}

	cancel()
	if err := <-done; err != nil {
		t.Fatalf("hub did not stop cleanly: %v", err)
	}
}

// TestHubCommandRefusesBadConfig: a mistake in the file is reported with
// the file's name and what is wrong, before anything listens.
func TestHubCommandRefusesBadConfig(t *testing.T) {
	example, err := os.ReadFile("../../configs/hub.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, from, to, want string
	}{
		{"misspelt field", "    paas_id: prov-36", "    pass_id: prov-36", "pass_id"},
		{"bad prefix", `prefix: "36"`, `prefix: "3x"`, "provinces[1].prefix"},
		{"duplicate prefix", `prefix: "36"`, `prefix: "15"`, "prefix 15"},
		{"no listen address", "listen: 127.0.0.1:9000", "listen: \"\"", "listen"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "hub.yaml")
			changed := strings.Replace(string(example), tc.from, tc.to, 1)
			if changed == string(example) {
				t.Fatalf("%q is not in configs/hub.yaml", tc.from)
			}
			os.WriteFile(path, []byte(changed), 0o600)
			cmd := rootCommand()
			cmd.SetArgs([]string{"hub", "--config", path})
			cmd.SetOut(io.Discard)
			err := cmd.Execute()
			if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one naming %s and %s", err, path, tc.want)
			}
		})
	}
}
