// Package swar tests eight bytes of a string at a time in a 64-bit word
// ("SIMD within a register"): the message scanners of the adapters find
// separators and stop bytes in short fields this way, where a call to
// strings.IndexByte per field costs more than the bytes.
//
// What belongs here: word-at-a-time byte tests, nothing that knows a
// message format.
package swar
