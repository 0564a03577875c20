package settlement

import "testing"

// TestIntentReservesTheBatch: while a cross-province settlement of a batch
// waits for the insured place, another msgid cannot start a second one,
// while the same msgid finds its own reservation.
func TestIntentReservesTheBatch(t *testing.T) {
	for _, tc := range []struct {
		name, pending, msgid string
		want                 Code
	}{
		{"free batch", "", "B", ""},
		{"same msgid again", "B", "B", ""},
		{"another msgid", "A", "B", CodeInProgressOther},
	} {
		t.Run(tc.name, func(t *testing.T) {
			visit := Visit{MdtrtID: "M1", Batches: []Batch{{ChrgBchno: "CB1", Pending: tc.pending}}}
			p := processor{req: Request{Hospital: "H1", MsgID: tc.msgid, Kind: KindSettle}, st: Stamp{Index: 7}}
			out, ch, err := p.intend(Request{Kind: KindSettle}, &visit, []*Batch{&visit.Batches[0]})
			if tc.want != "" {
				if e := AsError(err); e == nil || e.Code != tc.want {
					t.Fatalf("want %s, got %v", tc.want, err)
				}
				return
			}
			if err != nil || out.Pending == nil || ch.Intent == nil || ch.Intent.MsgID != tc.msgid || visit.Batches[0].Pending != tc.msgid {
				t.Fatalf("intent not reserved: %+v %+v %v", out, ch, err)
			}
		})
	}
	if CrossProvince("150100", "150826") || !CrossProvince("150100", "360100") || CrossProvince("150100", "") {
		t.Fatal("crossProvince compares provinces")
	}
}
