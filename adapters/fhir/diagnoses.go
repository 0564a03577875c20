package fhir

import (
	"strconv"

	"github.com/provgate/provgate/settlement"
)

// diagSet is a Claim's diagnoses as national diseinfo rows.
type diagSet struct {
	rows      []settlement.Diagnosis
	seqs      []int // Claim.diagnosis.sequence of each row
	principal int   // index of the main diagnosis
	dscg      int   // index of the discharge diagnosis
}

func (d diagSet) main() settlement.Diagnosis      { return d.at(d.principal) }
func (d diagSet) discharge() settlement.Diagnosis { return d.at(d.dscg) }

func (d diagSet) at(i int) settlement.Diagnosis {
	if i < 0 || i >= len(d.rows) {
		return settlement.Diagnosis{}
	}
	return d.rows[i]
}

// code returns the diagnosis code of the diagnosis with sequence seq.
func (d diagSet) code(seq int) (string, bool) {
	for i, s := range d.seqs {
		if s == seq {
			return d.rows[i].Code, true
		}
	}
	return "", false
}

// readDiagnoses reads Claim.diagnosis. The main diagnosis is the one typed
// principal, else the lowest sequence; the discharge diagnosis the one
// typed discharge, else the main one. diag_type comes from a coding in
// csDiagType and is 1 (Western medicine) when absent.
func readDiagnoses(c value) (diagSet, error) {
	d := diagSet{principal: -1, dscg: -1}
	all, err := list(c, "diagnosis")
	if err != nil || len(all) == 0 {
		return d, err
	}
	if len(all) > maxDiagnoses {
		return d, tooMany(c, ".diagnosis", maxDiagnoses)
	}
	d.rows = make([]settlement.Diagnosis, 0, len(all))
	d.seqs = make([]int, 0, len(all))
	lowest, lowestSeq := 0, 0
	for i, g := range all {
		seq, _, err := integer(g, "sequence")
		if err != nil {
			return d, err
		}
		if seq < 1 {
			return d, badAt(g, ".sequence", "应为正整数", "must be a positive integer")
		}
		if _, dup := d.code(seq); dup {
			return d, badAt(g, ".sequence", "序号重复："+strconv.Itoa(seq), "repeats sequence "+strconv.Itoa(seq))
		}
		cd, ok, err := pick(g, "diagnosisCodeableConcept", "")
		if err != nil {
			return d, err
		}
		if !ok {
			return d, missingAt(g, ".diagnosisCodeableConcept.coding.code")
		}
		if cd.display == "" {
			return d, missingAt(g, ".diagnosisCodeableConcept.coding.display")
		}
		row := settlement.Diagnosis{Type: "1", SrtNo: strconv.Itoa(seq), Code: cd.code, Name: cd.display}
		types, err := list(g, "type")
		if err != nil {
			return d, err
		}
		for _, t := range types {
			codings, _ := list(t, "coding")
			for _, tc := range codings {
				code := raw(tc, "code")
				switch {
				case string(raw(tc, "system")) == csDiagType:
					if err := checkCode(tc, ".code", string(code), "1 2 3"); err != nil {
						return d, err
					}
					row.Type = string(code)
				case string(code) == "principal":
					row.Main = true
					d.principal = len(d.rows)
				case string(code) == "discharge":
					d.dscg = len(d.rows)
				}
			}
		}
		if i == 0 || seq < lowestSeq {
			lowest, lowestSeq = len(d.rows), seq
		}
		d.rows = append(d.rows, row)
		d.seqs = append(d.seqs, seq)
	}
	if d.principal < 0 {
		d.principal = lowest
	}
	if d.dscg < 0 {
		d.dscg = d.principal
	}
	return d, nil
}
