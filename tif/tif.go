package tif

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"time"
)

// The header names.
const (
	HeaderPaasID    = "x-tif-paasid"
	HeaderTimestamp = "x-tif-timestamp"
	HeaderNonce     = "x-tif-nonce"
	HeaderSignature = "x-tif-signature"
)

// Sign computes x-tif-signature: the lowercase hex SHA-256 of timestamp +
// token + nonce + timestamp.
func Sign(timestamp, token, nonce string) string {
	sum := sha256.Sum256([]byte(timestamp + token + nonce + timestamp))
	return hex.EncodeToString(sum[:])
}

// SignRequest sets the four headers on req for paasID with its secret, at
// time now (Unix seconds) with a fresh random nonce.
func SignRequest(req *http.Request, paasID, secret string, now time.Time) {
	ts := strconv.FormatInt(now.Unix(), 10)
	var b [16]byte
	rand.Read(b[:])
	nonce := hex.EncodeToString(b[:])
	req.Header.Set(HeaderPaasID, paasID)
	req.Header.Set(HeaderTimestamp, ts)
	req.Header.Set(HeaderNonce, nonce)
	req.Header.Set(HeaderSignature, Sign(ts, secret, nonce))
}
