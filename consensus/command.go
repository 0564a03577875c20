package consensus

import (
	"fmt"
	json "github.com/goccy/go-json"

	"github.com/provgate/provgate/settlement"
)

// commandType is the first byte of every log entry. New types are added at
// the end; a type with ignoreUnknown set may be skipped by an older node
// that does not know it, any other unknown type stops the node.
type commandType byte

const (
	cmdRequest     commandType = 1 // a hospital request that writes
	cmdPutPolicy   commandType = 2
	cmdPutCatalog  commandType = 3
	cmdPutHospital commandType = 4
	cmdPutPerson   commandType = 5
	cmdPutPersons  commandType = 6 // bulk import
	cmdAddFilings  commandType = 7 // bulk import
	cmdPutNode     commandType = 8 // a member's addresses
	cmdComplete    commandType = 9 // the insured place's answer to a cross-province intent
	// cmdWrites carries the leader's writes for requests it applied
	// (writes.go); older nodes skip it and compute the requests themselves.
	// cmdWritesJSON is the same from a leader of the version that stored
	// visits as JSON: a node of that version must not take binary visits
	// it cannot read, so this version's entries have a new type.
	cmdWritesJSON = 10 | ignoreUnknown
	cmdWrites     = 11 | ignoreUnknown

	ignoreUnknown commandType = 0x80
)

// requestCommand is a hospital request with the leader's clock reading.
type requestCommand struct {
	UnixMilli int64              `json:"t"`
	Request   settlement.Request `json:"r"`
}

// completeCommand records the national platform's answer to an intent.
type completeCommand struct {
	UnixMilli  int64                 `json:"t"`
	Hospital   string                `json:"h"`
	MsgID      string                `json:"m"`
	Completion settlement.Completion `json:"c"`
}

func encode(t commandType, v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode command: %w", err)
	}
	return append([]byte{byte(t)}, b...), nil
}

// result is what the state machine returns for a command, through raft's
// ApplyFuture.Response.
type result struct {
	outcome  settlement.Outcome
	stamp    settlement.Stamp
	replayed bool
	err      *settlement.Error
	rejected []settlement.Rejection // rows a bulk command refused
}
