package settlement

import (
	"fmt"
	"slices"
	"strings"
)

// Policy is an insured place's benefit policy for one insurance type,
// versioned by effective date (参保地政策). Published versions are immutable;
// a change is a new version with a later effective date.
type Policy struct {
	InsuredAdmdvs string `json:"insured_admdvs" yaml:"insured_admdvs"`
	Insutype      string `json:"insutype" yaml:"insutype"`
	Version       string `json:"version" yaml:"version"`
	EffectiveFrom string `json:"effective_from" yaml:"effective_from"`
	Name          string `json:"name" yaml:"name"`
	// UnfiledAction is what happens to a cross-region visit without a valid
	// filing: "REJECT" refuses it (filing needed), "TEMP_OTHER" settles it as
	// an other-temporary trip.
	UnfiledAction string `json:"unfiled_action" yaml:"unfiled_action"`
	// FilingReductionBP lowers the pooled ratio by filing category.
	FilingReductionBP map[FilingCategory]BP `json:"filing_reduction_bp" yaml:"filing_reduction_bp"`
	Account           AccountRule           `json:"personal_account" yaml:"personal_account"`
	MedTypes          []MedTypeRule         `json:"med_types" yaml:"med_types"`
}

// Ref names the policy version in records: "450100/310@2024.1".
func (p Policy) Ref() string { return p.InsuredAdmdvs + "/" + p.Insutype + "@" + p.Version }

// AccountRule says whether the personal account exists and what it may pay.
type AccountRule struct {
	Exists bool `json:"exists" yaml:"exists"`
	// PayableParts lists the parts of the personal share the account may pay:
	// FULL_OWNPAY, OVER_LIMIT, PRESELFPAY, INSCOPE_SELF.
	PayableParts []string `json:"payable_parts" yaml:"payable_parts"`
}

// The payable parts of the personal account.
const (
	PartFullOwnpay = "FULL_OWNPAY"
	PartOverLimit  = "OVER_LIMIT"
	PartPreselfpay = "PRESELFPAY"
	PartInscpSelf  = "INSCOPE_SELF"
)

// MedTypeRule holds the deductible and pooled-fund rules for a set of
// medical types (med_type 11 普通门诊, 21 普通住院, ...).
type MedTypeRule struct {
	MedTypes   []string       `json:"med_types" yaml:"med_types"`
	Deductible DeductibleRule `json:"deductible" yaml:"deductible"`
	Pool       PoolRule       `json:"pool" yaml:"pool"`
}

// Deductible modes.
const (
	DeductiblePerAdmission = "PER_ADMISSION" // charged again for every admission, by ordinal
	DeductibleAnnual       = "ANNUAL"        // charged once per benefit year
)

// DeductibleRule is the 起付线.
type DeductibleRule struct {
	Mode string `json:"mode" yaml:"mode"`
	// Standards give the amount by hospital grade and person type; the first
	// row that matches wins. Empty lists match everything.
	Standards []Standard `json:"standards" yaml:"standards"`
	// OrdinalAmounts, when set, give the amount for the 1st, 2nd, ...
	// admission of the year directly; beyond the list the last one applies.
	OrdinalAmounts []Fen `json:"ordinal_amounts,omitempty" yaml:"ordinal_amounts"`
	// OrdinalFactorsBP scale the standard by admission ordinal, for example
	// [10000, 5000] halves it from the 2nd admission on.
	OrdinalFactorsBP []BP `json:"ordinal_factors_bp,omitempty" yaml:"ordinal_factors_bp"`
}

// Standard is one row of a deductible table.
type Standard struct {
	Grades   []string `json:"grades,omitempty" yaml:"grades"`
	PsnTypes []string `json:"psn_types,omitempty" yaml:"psn_types"`
	Amount   Fen      `json:"amount" yaml:"amount"`
}

// PoolRule is the pooled fund (统筹): bands of ratios and an annual cap.
type PoolRule struct {
	// BandSets give the bands by hospital grade and person type; the first
	// set that matches wins. Empty lists match everything.
	BandSets  []BandSet `json:"band_sets" yaml:"band_sets"`
	AnnualCap Fen       `json:"annual_cap" yaml:"annual_cap"`
}

// BandSet is the list of bands that applies to some grades and person types.
type BandSet struct {
	Grades   []string `json:"grades,omitempty" yaml:"grades"`
	PsnTypes []string `json:"psn_types,omitempty" yaml:"psn_types"`
	Bands    []Band   `json:"bands" yaml:"bands"`
}

// Band pays RatioBP of the expense whose cumulative position (year-to-date
// in-scope expense above the deductible) lies below Upper. The last band's
// Upper is 0, meaning no upper edge.
type Band struct {
	Upper   Fen `json:"upper" yaml:"upper"`
	RatioBP BP  `json:"ratio_bp" yaml:"ratio_bp"`
}

func matches(list []string, v string) bool { return len(list) == 0 || slices.Contains(list, v) }

// Rule returns the rule for a medical type.
func (p Policy) Rule(medType string) (*MedTypeRule, bool) {
	for i := range p.MedTypes {
		if slices.Contains(p.MedTypes[i].MedTypes, medType) {
			return &p.MedTypes[i], true
		}
	}
	return nil, false
}

// Validate checks a policy for mistakes that would make its answers wrong,
// naming the field at fault.
func (p Policy) Validate() error {
	var errs problems
	bad := errs.add
	if !isDigits(p.InsuredAdmdvs, 6) {
		bad("insured_admdvs", "must be a 6-digit region code, got %q", p.InsuredAdmdvs)
	}
	if p.Insutype == "" {
		bad("insutype", "is required")
	}
	if p.Version == "" {
		bad("version", "is required")
	}
	if !isDate(p.EffectiveFrom) {
		bad("effective_from", "must be a date YYYY-MM-DD, got %q", p.EffectiveFrom)
	}
	switch p.UnfiledAction {
	case "REJECT", string(FilingTempOther):
	default:
		bad("unfiled_action", "must be REJECT or TEMP_OTHER, got %q", p.UnfiledAction)
	}
	for cat, r := range p.FilingReductionBP {
		switch cat {
		case FilingLongTerm, FilingReferral, FilingEmergency, FilingTempOther:
		default:
			bad("filing_reduction_bp", "unknown filing category %q", cat)
		}
		if r < 0 || r > Full {
			bad("filing_reduction_bp."+string(cat), "must be 0..10000, got %d", r)
		}
	}
	for _, part := range p.Account.PayableParts {
		switch part {
		case PartFullOwnpay, PartOverLimit, PartPreselfpay, PartInscpSelf:
		default:
			bad("personal_account.payable_parts", "unknown part %q", part)
		}
	}
	if len(p.MedTypes) == 0 {
		bad("med_types", "at least one rule is required")
	}
	seen := map[string]bool{}
	for i, r := range p.MedTypes {
		at := fmt.Sprintf("med_types[%d]", i)
		if len(r.MedTypes) == 0 {
			bad(at+".med_types", "list the medical types this rule covers")
		}
		for _, mt := range r.MedTypes {
			if seen[mt] {
				bad(at+".med_types", "medical type %s is covered twice", mt)
			}
			seen[mt] = true
		}
		d := r.Deductible
		switch d.Mode {
		case DeductiblePerAdmission, DeductibleAnnual:
		default:
			bad(at+".deductible.mode", "must be PER_ADMISSION or ANNUAL, got %q", d.Mode)
		}
		if len(d.Standards) == 0 && len(d.OrdinalAmounts) == 0 {
			bad(at+".deductible", "give standards or ordinal_amounts")
		}
		for j, s := range d.Standards {
			if s.Amount < 0 {
				bad(fmt.Sprintf("%s.deductible.standards[%d].amount", at, j), "must not be negative")
			}
		}
		for j, a := range d.OrdinalAmounts {
			if a < 0 {
				bad(fmt.Sprintf("%s.deductible.ordinal_amounts[%d]", at, j), "must not be negative")
			}
		}
		for j, f := range d.OrdinalFactorsBP {
			if f < 0 || f > Full {
				bad(fmt.Sprintf("%s.deductible.ordinal_factors_bp[%d]", at, j), "must be 0..10000")
			}
		}
		if r.Pool.AnnualCap <= 0 {
			bad(at+".pool.annual_cap", "must be a positive amount")
		}
		if len(r.Pool.BandSets) == 0 {
			bad(at+".pool.band_sets", "at least one band set is required")
		}
		for j, bs := range r.Pool.BandSets {
			bat := fmt.Sprintf("%s.pool.band_sets[%d].bands", at, j)
			if len(bs.Bands) == 0 {
				bad(bat, "at least one band is required")
			}
			var prev Fen
			for k, b := range bs.Bands {
				last := k == len(bs.Bands)-1
				switch {
				case last && b.Upper != 0:
					bad(fmt.Sprintf("%s[%d].upper", bat, k), "the last band must be open (upper 0)")
				case !last && b.Upper <= prev:
					bad(fmt.Sprintf("%s[%d].upper", bat, k), "band edges must increase")
				}
				prev = b.Upper
				if b.RatioBP < 0 || b.RatioBP > Full {
					bad(fmt.Sprintf("%s[%d].ratio_bp", bat, k), "must be 0..10000")
				}
			}
		}
	}
	return errs.err("policy " + p.Ref())
}

// CatalogVersion is one version of a treatment place's catalog (就医地目录).
// Its items are stored one by one; the version carries the reference.
type CatalogVersion struct {
	TreatAdmdvs   string `json:"treat_admdvs" yaml:"treat_admdvs"`
	Version       string `json:"version" yaml:"version"`
	EffectiveFrom string `json:"effective_from" yaml:"effective_from"`
	Name          string `json:"name" yaml:"name"`
}

// Ref names the catalog version in records: "450100@2024.1".
func (c CatalogVersion) Ref() string { return c.TreatAdmdvs + "@" + c.Version }

// Catalog is a catalog version with its items, as loaded from a file.
type Catalog struct {
	CatalogVersion `yaml:",inline"`
	Items          []CatalogItem `json:"items" yaml:"items"`
}

// CatalogItem is how the treatment place classifies one national list code.
type CatalogItem struct {
	Code       string    `json:"med_list_codg" yaml:"med_list_codg"`
	Name       string    `json:"name" yaml:"name"`
	Class      ItemClass `json:"chrgitm_lv" yaml:"chrgitm_lv"`
	ChargeType string    `json:"med_chrgitm_type" yaml:"med_chrgitm_type"`
	SelfPayBP  BP        `json:"selfpay_prop_bp" yaml:"selfpay_prop_bp"`
	PriceCap   Fen       `json:"pric_uplmt_amt" yaml:"pric_uplmt_amt"` // per unit; 0 = none
	Restricted bool      `json:"lmt_used_flag" yaml:"lmt_used_flag"`
}

// Validate checks a catalog and its items.
func (c Catalog) Validate() error {
	var errs problems
	bad := errs.add
	if !isDigits(c.TreatAdmdvs, 6) {
		bad("treat_admdvs", "must be a 6-digit region code, got %q", c.TreatAdmdvs)
	}
	if c.Version == "" {
		bad("version", "is required")
	}
	if !isDate(c.EffectiveFrom) {
		bad("effective_from", "must be a date YYYY-MM-DD, got %q", c.EffectiveFrom)
	}
	seen := map[string]bool{}
	for i, it := range c.Items {
		at := fmt.Sprintf("items[%d]", i)
		if it.Code == "" {
			bad(at+".med_list_codg", "is required")
		}
		if seen[it.Code] {
			bad(at+".med_list_codg", "code %s appears twice", it.Code)
		}
		seen[it.Code] = true
		switch it.Class {
		case ClassA, ClassB, ClassC:
		default:
			bad(at+".chrgitm_lv", "must be 01, 02 or 03, got %q", it.Class)
		}
		if it.SelfPayBP < 0 || it.SelfPayBP > Full {
			bad(at+".selfpay_prop_bp", "must be 0..10000")
		}
		if it.Class == ClassA && it.SelfPayBP != 0 {
			bad(at+".selfpay_prop_bp", "a 甲类 item has no self-pay-first part")
		}
		if it.PriceCap < 0 {
			bad(at+".pric_uplmt_amt", "must not be negative")
		}
	}
	return errs.err("catalog " + c.Ref())
}

// problems collects configuration mistakes, each naming its field, so one
// pass reports all of them.
type problems []string

func (p *problems) add(field, format string, args ...any) {
	*p = append(*p, field+": "+fmt.Sprintf(format, args...))
}

func (p problems) err(what string) error {
	if len(p) == 0 {
		return nil
	}
	return Errorf(CodeBadConfig, what+": "+strings.Join(p, "; "))
}

func isDigits(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func isDate(s string) bool {
	return len(s) == 10 && isDigits(s[:4], 4) && s[4] == '-' && isDigits(s[5:7], 2) && s[7] == '-' && isDigits(s[8:], 2)
}
