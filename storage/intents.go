package storage

import (
	"cmp"
	"slices"

	json "github.com/goccy/go-json"

	"github.com/provgate/provgate/settlement"
)

// Intent returns a pending cross-province write by the hospital's msgid.
func (tx *Tx) Intent(hospital, msgID string) (settlement.Intent, bool, error) {
	var in settlement.Intent
	ok, err := tx.get(key(prefixIntent, hospital, msgID), &in)
	return in, ok, err
}

// applyIntents reserves or releases the intents a change names.
func (tx *Tx) applyIntents(c settlement.Changes) error {
	if in := c.IntentDone; in != nil {
		if err := tx.del(key(prefixIntent, in.Hospital, in.MsgID)); err != nil {
			return err
		}
	}
	if in := c.Intent; in != nil {
		return tx.put(key(prefixIntent, in.Hospital, in.MsgID), in)
	}
	return nil
}

// PendingIntents lists every cross-province write still waiting for the
// insured place, oldest log index first, for the leader to (re)drive.
func (s *Store) PendingIntents() ([]settlement.Intent, error) {
	var out []settlement.Intent
	err := s.View(func(tx *Tx) error {
		return tx.scan(prefixIntent, func(_, v []byte) error {
			var in settlement.Intent
			if err := json.Unmarshal(v, &in); err != nil {
				return err
			}
			out = append(out, in)
			return nil
		})
	})
	slices.SortFunc(out, func(a, b settlement.Intent) int { return cmp.Compare(a.Stamp.Index, b.Stamp.Index) })
	return out, err
}
