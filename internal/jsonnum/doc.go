// Package jsonnum recognises a strict JSON number (RFC 8259) at the start of
// a byte slice. The adapters' fast readers (nhsa's fee lines, FHIR's tape)
// take only the numbers it accepts and leave anything else to their general
// JSON path, so both agree on what a number is.
package jsonnum
