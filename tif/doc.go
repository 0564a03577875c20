// Package tif holds the x-tif gateway signature that HIS send to provincial
// platforms (NATIONAL-INTERFACE §1.6.1) and that provgate, its hub and the
// national platform client use between themselves: a paas id, a timestamp,
// a nonce and the SHA-256 signature over them with the caller's secret.
// It is shared by the gateway (verifying) and every client (signing).
package tif
