package delimited

import (
	"strings"
	"testing"
)

// reply is a parsed reply: the five header fields and the output rows.
type reply struct {
	code, serial, signNo, msgID, time string
	rows                              [][]string
}

// parseReply reads a reply the way a hospital would: decode the charset,
// split at '^', then the output into rows and columns.
func parseReply(t *testing.T, b []byte, cs charset) reply {
	t.Helper()
	if cs == gb18030 {
		text, c, err := decodeText(b)
		if err != nil {
			t.Fatalf("reply is not GB18030: %v", err)
		}
		if c == utf8Set && !isASCII(b) {
			t.Fatal("reply to a GB18030 message is UTF-8")
		}
		b = []byte(text)
	}
	s := string(b)
	if !strings.HasSuffix(s, "^") {
		t.Fatalf("reply %q does not end with ^", s)
	}
	parts := strings.Split(strings.TrimSuffix(s, "^"), "^")
	if len(parts) != 6 {
		t.Fatalf("reply has %d fields, want 6: %q", len(parts), s)
	}
	r := reply{code: parts[0], serial: parts[1], signNo: parts[2], msgID: parts[3], time: parts[4]}
	if parts[5] != "" {
		for _, row := range strings.Split(parts[5], "\n") {
			r.rows = append(r.rows, strings.Split(row, "\t"))
		}
	}
	return r
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return false
		}
	}
	return true
}
