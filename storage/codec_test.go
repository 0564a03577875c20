package storage

import (
	"bytes"
	"strings"
	"testing"

	json "github.com/goccy/go-json"
)

func TestValueCodec(t *testing.T) {
	type doc struct {
		Name  string   `json:"name"`
		Lines []string `json:"lines"`
	}
	many := make([]string, 40)
	for i := range many {
		many[i] = "003201000010000-320100001 甲类 25.00"
	}
	cases := []struct {
		name       string
		in         doc
		compressed bool
	}{
		{"small stays plain JSON", doc{Name: "a", Lines: []string{"x"}}, false},
		{"large is compressed", doc{Name: "visit", Lines: many}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, err := encodeValue(c.in)
			if err != nil {
				t.Fatal(err)
			}
			if got := len(b) > 0 && b[0] == compressedMark; got != c.compressed {
				t.Fatalf("compressed = %v, want %v (%d bytes)", got, c.compressed, len(b))
			}
			plain, _ := json.Marshal(c.in)
			if c.compressed && len(b) >= len(plain)/2 {
				t.Errorf("compressed value is %d bytes for %d of JSON", len(b), len(plain))
			}
			again, _ := encodeValue(c.in)
			if !bytes.Equal(b, again) {
				t.Error("encoding the same value twice gave different bytes: replicas would store different state")
			}
			var out doc
			if err := decodeValue(b, &out); err != nil {
				t.Fatal(err)
			}
			if out.Name != c.in.Name || strings.Join(out.Lines, ",") != strings.Join(c.in.Lines, ",") {
				t.Errorf("round trip: got %+v", out)
			}
			back, err := plainValue(b)
			if err != nil || !bytes.Equal(back, plain) {
				t.Errorf("plainValue = %q, %v; want the JSON", back, err)
			}
		})
	}
}

// Values stored before compression existed are plain JSON and must still read.
func TestValueCodecReadsPlainJSON(t *testing.T) {
	var out struct {
		Name string `json:"name"`
	}
	long := `{"name":"` + strings.Repeat("x", 1000) + `"}`
	if err := decodeValue([]byte(long), &out); err != nil || len(out.Name) != 1000 {
		t.Fatalf("plain JSON: %v, %d", err, len(out.Name))
	}
}

func TestValueCodecRefusesCorruptValue(t *testing.T) {
	b, _ := encodeValue(map[string]string{"k": strings.Repeat("abcdefgh", 100)})
	b = b[:len(b)/2]
	var out map[string]string
	err := decodeValue(b, &out)
	if err == nil || !strings.Contains(err.Error(), "corrupt compressed value") {
		t.Fatalf("truncated compressed value: err = %v", err)
	}
}
