// Package nhsa translates the national medical-insurance platform's JSON
// interface (国家医疗保障信息平台 定点医药机构接口) to and from settlement
// types: the request envelope with its header and input nodes, and the
// response envelope with infcode, inf_refmsgid and output.
//
// Decode is strict where a mistake would change money or identity (amounts
// with more than two decimals, a fee line whose amount is not price ×
// quantity, missing required fields) and lenient where HIS vendors differ
// harmlessly (numbers sent as strings and strings as numbers, extra fields,
// the infno in the URL or only in the envelope). Every refusal is a
// *settlement.Error naming the field.
//
// Encode is deterministic: the same answer and stamp always give the same
// bytes, so a replayed msgid gets a byte-identical response.
//
// Field names and formats follow ../shared/docs/NATIONAL-INTERFACE.md.
// Golden request/response pairs are in testdata/.
package nhsa
