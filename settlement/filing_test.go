package settlement

import (
	"strings"
	"testing"
)

func TestFilingCategory(t *testing.T) {
	withFiling := func(cat FilingCategory, region, from, to string) Person {
		return Person{Filings: []Filing{{Category: cat, TreatAdmdvs: region, ValidFrom: from, ValidTo: to}}}
	}
	reject := policyP1() // insured in 150826, unfiled visits refused
	temp := policyP1()
	temp.UnfiledAction = string(FilingTempOther)
	free := policyP1()
	free.IntraProvinceNoFiling = true
	tests := []struct {
		name         string
		policy       Policy
		person       Person
		treat        string
		medType      string
		visit, settl string
		want         FilingCategory
		note         string
		refused      bool
	}{
		{"treated in the insured region", reject, Person{}, "150826", "11", "2024-05-01", "2024-05-01", FilingLocal, "insured region", false},
		{"valid filing", reject, withFiling(FilingLongTerm, "1501", "2024-01-01", "2024-12-31"), "150102", "21", "2024-05-01", "2024-05-10", FilingLongTerm, "LONG_TERM", false},
		{"filing for another place", reject, withFiling(FilingLongTerm, "4401", "2024-01-01", ""), "150102", "21", "2024-05-01", "2024-05-10", "", "", true},
		{"filing expired before the visit", reject, withFiling(FilingReferral, "15", "2023-01-01", "2024-04-30"), "150102", "21", "2024-05-01", "2024-05-10", "", "expired", true},
		{"filed after admission, before the discharge settlement (补办)", reject, withFiling(FilingReferral, "15", "2024-05-05", ""), "150102", "21", "2024-05-01", "2024-05-10", FilingReferral, "补办", false},
		{"filed after the settlement does not count", reject, withFiling(FilingReferral, "15", "2024-05-11", ""), "150102", "21", "2024-05-01", "2024-05-10", "", "expired", true},
		{"emergency counts as filed", reject, Person{}, "150102", "13", "2024-05-01", "2024-05-01", FilingEmergency, "emergency", false},
		{"emergency admission counts as filed", reject, Person{}, "150102", "24", "2024-05-01", "2024-05-03", FilingEmergency, "emergency", false},
		{"unfiled, policy settles as temporary", temp, Person{}, "150102", "11", "2024-05-01", "2024-05-01", FilingTempOther, "other temporary", false},
		{"免备案 inside the insured province", free, Person{}, "150102", "11", "2024-05-01", "2024-05-01", FilingIntraProvince, "免备案", false},
		{"免备案 stops at the provincial border", free, Person{}, "450102", "11", "2024-05-01", "2024-05-01", "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, note, err := filingCategory(tt.person, tt.policy, tt.treat, tt.medType, tt.visit, tt.settl)
			if tt.refused {
				e := AsError(err)
				want := CodeFilingNeeded
				if tt.note == "expired" {
					want = CodeFilingExpired // a filing for the place exists, but not for this date
				}
				if e == nil || e.Code != want || want == CodeFilingNeeded && !strings.Contains(e.EN, "EMERGENCY, LONG_TERM, REFERRAL, TEMP_OTHER") {
					t.Fatalf("got %s, %v; want %s", got, err, want)
				}
				return
			}
			if err != nil || got != tt.want || !strings.Contains(note, tt.note) {
				t.Errorf("got %s (%q), %v; want %s (%q)", got, note, err, tt.want, tt.note)
			}
		})
	}
}

func TestIdentitiesOnDate(t *testing.T) {
	p := Person{Identities: []Identity{
		{Type: "DIBAO", Begin: "2024-01-01", End: "2024-06-30"},
		{Type: "TEKUN", Begin: "2024-03-01 00:00:00"},
	}}
	for date, want := range map[string]string{"2023-12-31": "", "2024-02-01": "DIBAO", "2024-06-30": "DIBAO,TEKUN", "2024-07-01": "TEKUN"} {
		if got := strings.Join(p.identitiesOn(date), ","); got != want {
			t.Errorf("%s: %q, want %q", date, got, want)
		}
	}
}
