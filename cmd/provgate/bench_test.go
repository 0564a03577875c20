package main

import (
	"regexp"
	"strconv"
	"testing"
)

// TestBenchRunsTheOutpatientFlow runs the load tool briefly against one
// node: every step of every visit succeeds and the report counts them.
func TestBenchRunsTheOutpatientFlow(t *testing.T) {
	p := startServe(t, t.TempDir(), freeAddr(t), freeAddr(t))
	out, err := run(t, "bench", "--addr", p.base, "--clients", "4", "--duration", "1s")
	if err != nil {
		t.Fatalf("bench: %v\n%s", err, out)
	}
	writes := regexp.MustCompile(`replicated writes\s+(\d+)`).FindStringSubmatch(out)
	if writes == nil {
		t.Fatalf("no count of replicated writes:\n%s", out)
	}
	if n, _ := strconv.Atoi(writes[1]); n < 3 {
		t.Errorf("%d replicated writes in a second", n)
	}
	rows := regexp.MustCompile(`(?m)^\s+(22\d\d)\s+(\d+).*\s(\d+)$`).FindAllStringSubmatch(out, -1)
	if len(rows) != 4 {
		t.Fatalf("%d rows for 2201, 2204, 2206 and 2207:\n%s", len(rows), out)
	}
	for _, row := range rows {
		if row[3] != "0" {
			t.Errorf("%s: %s failed\n%s", row[1], row[3], out)
		}
		if row[2] == "0" {
			t.Errorf("%s: none succeeded\n%s", row[1], out)
		}
	}
	if !regexp.MustCompile(`load tool CPU .*µs per replicated write`).MatchString(out) {
		t.Errorf("no load tool CPU in the report:\n%s", out)
	}
}
