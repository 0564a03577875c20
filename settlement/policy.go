package settlement

import (
	"fmt"
	"slices"
	"strings"
	"time"
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
	// IntraProvinceNoFiling (免备案) lets the insured settle anywhere in
	// their own province without a filing and without a reduction.
	IntraProvinceNoFiling bool `json:"intra_province_no_filing" yaml:"intra_province_no_filing"`
	// FilingReductionBP lowers ratios by filing category.
	FilingReductionBP map[FilingCategory]BP `json:"filing_reduction_bp" yaml:"filing_reduction_bp"`
	// FilingReductionAppliesTo names the funds the reduction lowers: POOL
	// (the default) and LARGE (职工大额).
	FilingReductionAppliesTo []string      `json:"filing_reduction_applies_to,omitempty" yaml:"filing_reduction_applies_to"`
	Account                  AccountRule   `json:"personal_account" yaml:"personal_account"`
	MedTypes                 []MedTypeRule `json:"med_types" yaml:"med_types"`

	// The second and third layers and the supplements, each optional. They
	// apply to medical types whose rule sets three_layers.
	LargeExpense *LargeExpenseRule `json:"large_expense,omitempty" yaml:"large_expense"` // 职工大额 (employees)
	CII          *CIIRule          `json:"cii,omitempty" yaml:"cii"`                     // 居民大病 (residents)
	MAF          *MAFRule          `json:"maf,omitempty" yaml:"maf"`                     // 医疗救助
	Cvlserv      *SupplementRule   `json:"cvlserv,omitempty" yaml:"cvlserv"`             // 公务员医疗补助 (cvlserv_flag 1)
	Hifes        *SupplementRule   `json:"hifes,omitempty" yaml:"hifes"`                 // 企业补充医疗保险
}

// Funds a filing reduction may apply to.
const (
	ReducePool  = "POOL"
	ReduceLarge = "LARGE"
)

func (p Policy) reduces(fund string) bool {
	if len(p.FilingReductionAppliesTo) == 0 {
		return fund == ReducePool
	}
	return slices.Contains(p.FilingReductionAppliesTo, fund)
}

// LargeExpenseRule is the employees' large-expense subsidy (职工大额): it pays
// a share of the in-scope expense above the pooled fund's annual cap.
type LargeExpenseRule struct {
	Ratios    []RatioRow `json:"ratios" yaml:"ratios"`
	AnnualCap Fen        `json:"annual_cap" yaml:"annual_cap"`
}

// RatioRow is a ratio for some person types; empty matches every type.
type RatioRow struct {
	PsnTypes []string `json:"psn_types,omitempty" yaml:"psn_types"`
	RatioBP  BP       `json:"ratio_bp" yaml:"ratio_bp"`
}

func ratioFor(rows []RatioRow, psnType string) (BP, bool) {
	for _, r := range rows {
		if matches(r.PsnTypes, psnType) {
			return r.RatioBP, true
		}
	}
	return 0, false
}

// CIIRule is residents' critical-illness insurance (居民大病): above an
// annual deductible on the qualifying personal burden, it pays by segments
// of the cumulative burden.
type CIIRule struct {
	AnnualDeductible Fen `json:"annual_deductible" yaml:"annual_deductible"`
	// Segments are bands on the cumulative burden above the deductible.
	Segments  []Band `json:"segments" yaml:"segments"`
	AnnualCap Fen    `json:"annual_cap" yaml:"annual_cap"`
	// BaseIncludesPreselfpay counts 乙类 self-pay-first in the burden.
	BaseIncludesPreselfpay bool           `json:"base_includes_preselfpay" yaml:"base_includes_preselfpay"`
	PoorGroups             *PoorGroupRule `json:"poor_groups,omitempty" yaml:"poor_groups"`
}

// PoorGroupRule is the tilt for 低保, 特困 and 返贫致贫 people (国办发〔2021〕42号).
type PoorGroupRule struct {
	Identities         []string `json:"identities" yaml:"identities"`
	DeductibleFactorBP BP       `json:"deductible_factor_bp" yaml:"deductible_factor_bp"`
	RatioPlusBP        BP       `json:"ratio_plus_bp" yaml:"ratio_plus_bp"`
	CapWaived          bool     `json:"cap_waived" yaml:"cap_waived"`
}

// MAFRule is medical assistance (医疗救助), by identity group.
type MAFRule struct {
	// Groups are tried in order; the first whose identity the person holds
	// on the settlement date applies.
	Groups                 []MAFGroup `json:"groups" yaml:"groups"`
	BaseIncludesPreselfpay bool       `json:"base_includes_preselfpay" yaml:"base_includes_preselfpay"`
	// EnabledCrossProvince allows assistance for visits outside the
	// insured province.
	EnabledCrossProvince bool `json:"enabled_cross_province" yaml:"enabled_cross_province"`
}

// MAFGroup is the assistance for one identity.
type MAFGroup struct {
	Identity         string `json:"identity" yaml:"identity"`
	AnnualDeductible Fen    `json:"annual_deductible" yaml:"annual_deductible"`
	RatioBP          BP     `json:"ratio_bp" yaml:"ratio_bp"`
	AnnualCap        Fen    `json:"annual_cap" yaml:"annual_cap"`
}

// SupplementRule is an optional fund with the base → ratio → cap shape: it
// pays RatioBP of the in-scope burden left after the funds before it, up to
// an annual cap.
type SupplementRule struct {
	RatioBP   BP  `json:"ratio_bp" yaml:"ratio_bp"`
	AnnualCap Fen `json:"annual_cap" yaml:"annual_cap"`
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
// medical types (med_type 11 普通门诊, 14 门诊慢特病, 21 普通住院, ...).
type MedTypeRule struct {
	MedTypes []string `json:"med_types" yaml:"med_types"`
	// Scope chooses the year-to-date figures the rule's deductible and cap
	// run against: INPATIENT (default), OUTPATIENT, or CHRONIC.
	Scope string `json:"scope,omitempty" yaml:"scope"`
	// Disease and DiseaseCodes, for a CHRONIC rule: which of the five
	// diseases it is, and the national disease codes (opsp_dise_code) that
	// select it.
	Disease      ChronicDisease `json:"disease,omitempty" yaml:"disease"`
	DiseaseCodes []string       `json:"dise_codes,omitempty" yaml:"dise_codes"`
	// ThreeLayers lets the second and third layers (大额 or 大病, then 救助)
	// and the supplements pay for this medical type.
	ThreeLayers bool           `json:"three_layers" yaml:"three_layers"`
	Deductible  DeductibleRule `json:"deductible" yaml:"deductible"`
	Pool        PoolRule       `json:"pool" yaml:"pool"`
}

// Rule scopes.
const (
	ScopeInpatient  = "INPATIENT"
	ScopeOutpatient = "OUTPATIENT"
	ScopeChronic    = "CHRONIC"
)

// Deductible modes.
const (
	DeductiblePerAdmission          = "PER_ADMISSION"            // charged again for every admission, by ordinal
	DeductibleAnnual                = "ANNUAL"                   // charged once per benefit year
	DeductiblePerAdmissionAnnualCap = "PER_ADMISSION_ANNUAL_CAP" // per admission, but at most annual_cap a year
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
	// AnnualCap bounds the deductible charged in a year
	// (PER_ADMISSION_ANNUAL_CAP).
	AnnualCap Fen `json:"annual_cap,omitempty" yaml:"annual_cap"`
	// WaivedFor lists identities (psn_idet_type) that pay no deductible.
	WaivedFor []string `json:"waived_for,omitempty" yaml:"waived_for"`
}

// Standard is one row of a deductible table.
type Standard struct {
	Grades   []string `json:"grades,omitempty" yaml:"grades"`
	PsnTypes []string `json:"psn_types,omitempty" yaml:"psn_types"`
	Amount   Fen      `json:"amount" yaml:"amount"`
}

// PoolRule is the pooled fund (统筹): bands of ratios and an annual cap.
type PoolRule struct {
	// Basis is what band edges measure: EXPENSE (default), the cumulative
	// in-scope expense above the deductible, or FUND_PAID, the cumulative
	// payment of the pooled fund.
	Basis string `json:"basis,omitempty" yaml:"basis"`
	// BandSets give the bands by hospital grade and person type; the first
	// set that matches wins. Empty lists match everything.
	BandSets  []BandSet `json:"band_sets" yaml:"band_sets"`
	AnnualCap Fen       `json:"annual_cap" yaml:"annual_cap"`
}

// Band bases.
const (
	BasisExpense  = "EXPENSE"
	BasisFundPaid = "FUND_PAID"
)

// BandSet is the list of bands that applies to some grades and person types.
type BandSet struct {
	Grades   []string `json:"grades,omitempty" yaml:"grades"`
	PsnTypes []string `json:"psn_types,omitempty" yaml:"psn_types"`
	Bands    []Band   `json:"bands" yaml:"bands"`
}

// Band pays RatioBP of the expense while the cumulative position (by the
// pool's basis) lies below Upper. The last band's Upper is 0, meaning no
// upper edge.
type Band struct {
	Upper   Fen `json:"upper" yaml:"upper"`
	RatioBP BP  `json:"ratio_bp" yaml:"ratio_bp"`
}

func matches(list []string, v string) bool { return len(list) == 0 || slices.Contains(list, v) }

// Rule returns the rule for a medical type. For a chronic-disease type
// (14) the disease code chooses among the rules covering it.
func (p Policy) Rule(medType, diseCode string) (*MedTypeRule, bool) {
	for i := range p.MedTypes {
		r := &p.MedTypes[i]
		if !slices.Contains(r.MedTypes, medType) {
			continue
		}
		if r.Scope == ScopeChronic && !slices.Contains(r.DiseaseCodes, diseCode) {
			continue
		}
		return r, true
	}
	return nil, false
}

// Validate checks a policy for mistakes that would make its answers wrong,
// naming the fields at fault.
func (p Policy) Validate() error { return p.Check().err("policy " + p.Ref()) }

// Check lists a policy's mistakes, each naming its field by its path in the
// policy file (med_types[0].pool.annual_cap).
func (p Policy) Check() Problems {
	var errs Problems
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
	cats := make([]FilingCategory, 0, len(p.FilingReductionBP))
	for cat := range p.FilingReductionBP {
		cats = append(cats, cat)
	}
	slices.Sort(cats) // messages in a stable order on every replica
	for _, cat := range cats {
		r := p.FilingReductionBP[cat]
		switch cat {
		case FilingLongTerm, FilingReferral, FilingEmergency, FilingTempOther:
		default:
			bad("filing_reduction_bp."+string(cat), "unknown filing category %q (LONG_TERM, REFERRAL, EMERGENCY or TEMP_OTHER)", cat)
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
	for _, f := range p.FilingReductionAppliesTo {
		if f != ReducePool && f != ReduceLarge {
			bad("filing_reduction_applies_to", "unknown fund %q (POOL or LARGE)", f)
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
		switch r.Scope {
		case "", ScopeInpatient, ScopeOutpatient:
			if r.Disease != "" || len(r.DiseaseCodes) > 0 {
				bad(at+".disease", "only a CHRONIC rule names a disease")
			}
		case ScopeChronic:
			if chronicIndex(r.Disease) < 0 {
				bad(at+".disease", "must be one of HTN, DM, CANCER_RT_CT, URAEMIA_DIALYSIS, TRANSPLANT_ANTIREJECTION, got %q", r.Disease)
			}
			if len(r.DiseaseCodes) == 0 {
				bad(at+".dise_codes", "list the national disease codes of %s", r.Disease)
			}
		default:
			bad(at+".scope", "must be INPATIENT, OUTPATIENT or CHRONIC, got %q", r.Scope)
		}
		for _, mt := range r.MedTypes {
			keys := []string{mt}
			if r.Scope == ScopeChronic {
				keys = keys[:0]
				for _, code := range r.DiseaseCodes {
					keys = append(keys, mt+"/"+code)
				}
			}
			for _, k := range keys {
				if seen[k] {
					bad(at+".med_types", "medical type %s is covered twice", k)
				}
				seen[k] = true
			}
		}
		d := r.Deductible
		switch d.Mode {
		case DeductiblePerAdmission, DeductibleAnnual:
		case DeductiblePerAdmissionAnnualCap:
			if d.AnnualCap <= 0 {
				bad(at+".deductible.annual_cap", "PER_ADMISSION_ANNUAL_CAP needs a positive annual_cap")
			}
		default:
			bad(at+".deductible.mode", "must be PER_ADMISSION, ANNUAL or PER_ADMISSION_ANNUAL_CAP, got %q", d.Mode)
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
		switch r.Pool.Basis {
		case "", BasisExpense, BasisFundPaid:
		default:
			bad(at+".pool.basis", "must be EXPENSE or FUND_PAID, got %q", r.Pool.Basis)
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
				if r.Pool.Basis == BasisFundPaid && !last && b.RatioBP == 0 {
					bad(fmt.Sprintf("%s[%d].ratio_bp", bat, k), "a band on fund paid needs a positive ratio, or the position never moves")
				}
			}
		}
	}
	p.validateLayers(bad)
	return errs
}

func (p Policy) validateLayers(bad func(field, format string, args ...any)) {
	ratio := func(field string, r BP) {
		if r < 0 || r > Full {
			bad(field, "must be 0..10000, got %d", r)
		}
	}
	positive := func(field string, f Fen) {
		if f <= 0 {
			bad(field, "must be a positive amount")
		}
	}
	if le := p.LargeExpense; le != nil {
		if len(le.Ratios) == 0 {
			bad("large_expense.ratios", "at least one ratio is required")
		}
		for i, r := range le.Ratios {
			ratio(fmt.Sprintf("large_expense.ratios[%d].ratio_bp", i), r.RatioBP)
		}
		positive("large_expense.annual_cap", le.AnnualCap)
	}
	if c := p.CII; c != nil {
		if c.AnnualDeductible < 0 {
			bad("cii.annual_deductible", "must not be negative")
		}
		positive("cii.annual_cap", c.AnnualCap)
		if len(c.Segments) == 0 {
			bad("cii.segments", "at least one segment is required")
		}
		var prev Fen
		for i, s := range c.Segments {
			last := i == len(c.Segments)-1
			if last && s.Upper != 0 {
				bad(fmt.Sprintf("cii.segments[%d].upper", i), "the last segment must be open (upper 0)")
			} else if !last && s.Upper <= prev {
				bad(fmt.Sprintf("cii.segments[%d].upper", i), "segment edges must increase")
			}
			prev = s.Upper
			ratio(fmt.Sprintf("cii.segments[%d].ratio_bp", i), s.RatioBP)
		}
		if pg := c.PoorGroups; pg != nil {
			ratio("cii.poor_groups.deductible_factor_bp", pg.DeductibleFactorBP)
			ratio("cii.poor_groups.ratio_plus_bp", pg.RatioPlusBP)
		}
	}
	if m := p.MAF; m != nil {
		if len(m.Groups) == 0 {
			bad("maf.groups", "at least one group is required")
		}
		for i, g := range m.Groups {
			at := fmt.Sprintf("maf.groups[%d]", i)
			if g.Identity == "" {
				bad(at+".identity", "is required")
			}
			ratio(at+".ratio_bp", g.RatioBP)
			positive(at+".annual_cap", g.AnnualCap)
		}
	}
	for _, s := range []struct {
		name string
		rule *SupplementRule
	}{{"cvlserv", p.Cvlserv}, {"hifes", p.Hifes}} {
		if s.rule != nil {
			ratio(s.name+".ratio_bp", s.rule.RatioBP)
			positive(s.name+".annual_cap", s.rule.AnnualCap)
		}
	}
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
func (c Catalog) Validate() error { return c.Check().err("catalog " + c.Ref()) }

// Check lists a catalog's mistakes, each naming its field.
func (c Catalog) Check() Problems {
	var errs Problems
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
	return errs
}

// Problem is one mistake in a configuration object.
type Problem struct {
	Field   string // path in the file: med_types[0].pool.annual_cap
	Message string
}

func (p Problem) String() string { return p.Field + ": " + p.Message }

// Problems collects configuration mistakes so one pass reports all of them.
type Problems []Problem

func (p *Problems) add(field, format string, args ...any) {
	*p = append(*p, Problem{Field: field, Message: fmt.Sprintf(format, args...)})
}

// Err is nil without problems, else one E4404 refusal listing them all.
func (p Problems) Err(what string) error { return p.err(what) }

func (p Problems) err(what string) error {
	if len(p) == 0 {
		return nil
	}
	lines := make([]string, len(p))
	for i, pr := range p {
		lines[i] = pr.String()
	}
	return Errorf(CodeBadConfig, what+": "+strings.Join(lines, "; "))
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

// isDate reports whether s is a real calendar date YYYY-MM-DD.
func isDate(s string) bool {
	if len(s) != 10 {
		return false
	}
	_, err := time.Parse(time.DateOnly, s)
	return err == nil
}
