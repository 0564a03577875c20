package settlement

import "testing"

func TestSplitLine(t *testing.T) {
	type parts struct{ ful, ovl, pre, inscp, hosp string }
	tests := []struct {
		name  string
		line  FeeLine
		item  CatalogItem
		found bool
		want  parts
	}{
		{"甲类 fully in scope", line("1", "3200"), catalogItemA("A"), true, parts{"0", "0", "0", "3200", "0"}},
		{"乙类 self-pay-first 10%", line("2", "8000"), catalogItemB("B", 1000, 0), true, parts{"0", "0", "800", "7200", "0"}},
		{"乙类 over its price cap (Example 1 L3)", line("3", "12000"), catalogItemB("B", 2000, yuan("10000")), true, parts{"0", "2000", "2000", "8000", "0"}},
		{"丙类 self-paid", line("4", "1500"), catalogItemC("C"), true, parts{"1500", "0", "0", "0", "0"}},
		{"not in the catalog", line("5", "99.99"), CatalogItem{}, false, parts{"99.99", "0", "0", "0", "0"}},
		{"restricted without approval", FeeLine{FeedetlSn: "6", Amount: 10000, Qty: 10000, HospApprFlag: "0"},
			CatalogItem{Class: ClassA, Restricted: true}, true, parts{"100", "0", "0", "0", "0"}},
		{"restricted with approval", FeeLine{FeedetlSn: "7", Amount: 10000, Qty: 10000, HospApprFlag: "1"},
			CatalogItem{Class: ClassA, Restricted: true}, true, parts{"0", "0", "0", "100", "0"}},
		{"approval refused on an unrestricted item", FeeLine{FeedetlSn: "8", Amount: 10000, Qty: 10000, HospApprFlag: "2"},
			catalogItemA("A"), true, parts{"100", "0", "0", "0", "0"}},
		{"hospital bears the line", FeeLine{FeedetlSn: "9", Amount: 10000, Qty: 10000, HospBear: true},
			catalogItemA("A"), true, parts{"0", "0", "0", "0", "100"}},
		{"price cap per unit times quantity", FeeLine{FeedetlSn: "10", Amount: yuan("45"), Qty: 30000},
			catalogItemB("B", 0, yuan("12")), true, parts{"0", "9", "0", "36", "0"}},
		{"self-pay-first rounds half up", line("11", "4.52"), catalogItemB("B", 500, 0), true, parts{"0", "0", "0.23", "4.29", "0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := SplitLine(tt.line, tt.item, tt.found)
			got := parts{s.Fulamt.String(), s.Overlmt.String(), s.Preselfpay.String(), s.Inscp.String(), s.HospPart.String()}
			want := parts{yuan(tt.want.ful).String(), yuan(tt.want.ovl).String(), yuan(tt.want.pre).String(),
				yuan(tt.want.inscp).String(), yuan(tt.want.hosp).String()}
			if got != want {
				t.Errorf("split = %+v, want %+v", got, want)
			}
			if sum := s.Fulamt + s.Overlmt + s.Preselfpay + s.Inscp + s.HospPart; sum != s.Amount {
				t.Errorf("parts add to %s, line is %s", sum, s.Amount)
			}
		})
	}
}
