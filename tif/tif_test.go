package tif

import (
	"net/http"
	"testing"
	"time"
)

func TestSign(t *testing.T) {
	// sha256("1700000000" + "secret" + "abc" + "1700000000"), computed with sha256sum.
	const want = "fdc48fe9d788109715ef6992d91898144cf86682942883a8ceec4dfebddb3d0f"
	if got := Sign("1700000000", "secret", "abc"); got != want {
		t.Fatalf("Sign = %s, want %s", got, want)
	}
	if Sign("1", "t", "n") == Sign("1", "t", "m") || Sign("1", "t", "n") != Sign("1", "t", "n") {
		t.Fatal("signature must depend on the nonce and be stable")
	}
}

func TestSignRequestVerifies(t *testing.T) {
	req, _ := http.NewRequest("POST", "http://x/", nil)
	SignRequest(req, "p1", "s3cret", time.Unix(1700000000, 0))
	if req.Header.Get(HeaderPaasID) != "p1" || req.Header.Get(HeaderTimestamp) != "1700000000" {
		t.Fatalf("headers: %v", req.Header)
	}
	n := req.Header.Get(HeaderNonce)
	if len(n) != 32 {
		t.Fatalf("nonce %q", n)
	}
	if req.Header.Get(HeaderSignature) != Sign("1700000000", "s3cret", n) {
		t.Fatal("signature does not verify")
	}
}
