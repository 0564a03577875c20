package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestComposeClusterSurvivesANetworkCut runs deploy/docker-compose.yml with
// an image built from the static binary, cuts a follower off with `docker
// network disconnect`, keeps settling, reconnects it, and checks that every
// node then holds every settlement, none twice. Without Docker it skips and
// says so; the core suite never needs Docker.
func TestComposeClusterSurvivesANetworkCut(t *testing.T) {
	if testing.Short() {
		t.Skip("compose test (-short)")
	}
	for _, tool := range []string{"docker", "docker-compose"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("SKIPPED: %s is not installed; the compose cluster test needs Docker", tool)
		}
	}
	if out, err := exec.Command("docker", "info").CombinedOutput(); err != nil {
		t.Skipf("SKIPPED: the Docker daemon is not reachable: %s", strings.TrimSpace(string(out)))
	}
	sh := func(dir string, env []string, name string, args ...string) string {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Dir, cmd.Env = dir, append(os.Environ(), env...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	// The image: a static binary and the configuration, FROM scratch.
	ctxDir := t.TempDir()
	sh(".", []string{"CGO_ENABLED=0"}, "go", "build", "-o", filepath.Join(ctxDir, "bin", "provgate"), ".")
	sh(".", nil, "cp", "-r", "../../configs", ctxDir)
	tag := fmt.Sprintf("provgate:test-%d", time.Now().UnixNano())
	sh(ctxDir, nil, "docker", "build", "-q", "-f", filepath.Join(mustAbs(t, "../../deploy"), "Dockerfile"), "-t", tag, ".")
	t.Cleanup(func() { exec.Command("docker", "rmi", "-f", tag).Run() })

	project := fmt.Sprintf("pgtest%d", time.Now().UnixNano()%1e9)
	ports := []string{freeAddr(t), freeAddr(t), freeAddr(t)}
	env := []string{"PROVGATE_IMAGE=" + tag, "PROVGATE_ADMIN_TOKEN=s3cret"}
	for i, p := range ports {
		env = append(env, fmt.Sprintf("NODE%d_PORT=%s", i+1, strings.Split(p, ":")[1]))
	}
	compose := func(args ...string) string {
		return sh("../../deploy", env, "docker-compose", append([]string{"-p", project}, args...)...)
	}
	compose("up", "-d")
	t.Cleanup(func() {
		c := exec.Command("docker-compose", "-p", project, "down", "-v")
		c.Dir, c.Env = "../../deploy", append(os.Environ(), env...)
		c.Run()
	})
	nodes := make([]*process, 3)
	for i, p := range ports {
		nodes[i] = &process{t: t, base: "http://" + p}
		deadline := time.Now().Add(60 * time.Second)
		for {
			var r struct{ Status string }
			if (&procCluster{}).get(nodes[i], "/readyz", &r) == nil && r.Status == "ready" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("node%d not ready:\n%s", i+1, compose("logs", "--tail", "20"))
			}
			time.Sleep(300 * time.Millisecond)
		}
	}
	settled := 0
	visit := func(p *process, n int) {
		t.Helper()
		msg := func(k int) string { return fmt.Sprintf("H15010100001202601010%03d%04d", n, k) }
		a := p.post("/nhsa/2201", envelope("2201", msg(1), map[string]any{"data": map[string]any{
			"psn_no": psn, "insutype": "310", "begntime": "2026-01-01 09:00:00", "mdtrt_cert_type": "02",
			"mdtrt_cert_no": "150826198003150018", "ipt_otp_no": msg(0), "atddr_no": "D1", "dr_name": "医生",
			"dept_code": "A03", "dept_name": "内科", "caty": "A03"}}))
		m := field(t, a.Output, "data", "mdtrt_id")
		p.post("/nhsa/2204", envelope("2204", msg(2), feeLines(m)))
		in := settleInput(m)
		in["data"].(map[string]any)["acct_used_flag"] = "0"
		if s := p.post("/nhsa/2207", envelope("2207", msg(3), in)); s.code() != "0" {
			t.Fatalf("settle: %s", s.raw)
		}
		settled++
	}
	for i := 0; i < 3; i++ {
		visit(nodes[1], i) // through a follower
	}
	// Cut node3 off the cluster's network; the other two keep settling.
	network, container := project+"_provgate", project+"_node3_1"
	sh(".", nil, "docker", "network", "disconnect", network, container)
	for i := 3; i < 6; i++ {
		visit(nodes[0], i)
	}
	sh(".", nil, "docker", "network", "connect", "--alias", "node3", network, container)

	deadline := time.Now().Add(60 * time.Second)
	for {
		digests := map[string]bool{}
		for _, p := range nodes {
			var v struct {
				Records  int
				Digest   string
				Problems []string
			}
			if err := (&procCluster{}).get(p, "/admin/v1/verify", &v); err == nil && v.Records == settled {
				if len(v.Problems) > 0 {
					t.Errorf("%s: %v", p.base, v.Problems)
				}
				digests[v.Digest] = true
			} else {
				digests["behind"] = true
			}
		}
		if len(digests) == 1 && !digests["behind"] {
			t.Logf("%d settlements on all three containers after the cut healed", settled)
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the containers did not converge:\n%s", compose("logs", "--tail", "20"))
		}
		time.Sleep(300 * time.Millisecond)
	}
}

func mustAbs(t *testing.T, p string) string {
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
