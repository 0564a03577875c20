package legacyxml

import (
	"bytes"
	"fmt"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

// gbkPieces are what the property test inserts into GBK messages: the
// things reading GBK in place must either read as the decoded text reads
// them or hand back (errInPlace). Trail bytes that are ASCII letters or
// ']' or '[', a lead before '<', bytes GBK lacks, references, non-ASCII
// names, CDATA, comments, attributes and a value near the length limit.
var gbkPieces = []string{
	"\xc4\xda", "\xd6\xd0\xce\xc4", "\x81\x5b", "\x81\x5d", "\x81\x41", "\xa1\x40", "\x81", "\xff", "\x80", "\x81\x3c",
	"&amp;", "&#20013;", "&#x4e2d;", "&lt;\xc4\xda", "&bogus;", "&", "&#\xc4\xda;",
	"<![CDATA[\xc4\xda]]>", "<![CDATA[\x81]]>]]>", "<![CDATA[x]]>", "<!--\xc4\xda-->", "<?pi \xc4\xda?>", "<!--\x81-->", "<?pi \xff?>", "<X a=\"\x81\"/>",
	"<\xc4\xda>", "</\xc4\xda>", "<a\x81[>", "<AKC516 a\xc4\xda=\"1\">", "<X a=\"\xc4\xda\">", "<X a=\"&#\xc4\xda\xc4\xda\xc4\xda\xc4\xda\xc4\xda;\"/>",
	"\x01", "\n", " ", "<", ">", "/", "=", "\"",
	"<DEPT_NAME>\xc4\xda\xbf\xc6</DEPT_NAME>", "<DR_NAME> \xd5\xc5\xc8\xfd </DR_NAME>", "<AKC515>\xc4\xda</AKC515>",
	"<DISE_NAME>" + strings.Repeat("\xc4\xda", 1400) + "</DISE_NAME>",
	"<DISE_NAME>" + strings.Repeat("\xc4\xda", 1333) + "ab</DISE_NAME>",
	"<DISE_NAME>" + strings.Repeat("\xc4\xda", 1000) + "<!---->" + strings.Repeat("\xc4\xda", 400) + "</DISE_NAME>",
	"<MSGNO>2630</MSGNO>", "<AAE140>310</AAE140>", "<KC22ROW><FEEDETL_SN>9</FEEDETL_SN><AKC516>\xc4\xda</AKC516></KC22ROW>",
	`encoding="GB2312"`, `encoding="GB18030"`, `encoding="UTF-8"`,
}

// leafPieces are leaf elements and near misses, for the one-step reading
// of leaves (parser.leaf), in any charset.
var leafPieces = []string{
	"<A>x</A>", "<A>x</a>", "<A>x</A >", "<A>x</AB>", "<A>x</A", "<A>x<", "<A>\x01</A>", "<A>&amp;</A>", "<A> </A>", "<A></A>", "<A/>",
	"<AKC515>L-9</AKC515>", "<AKC515>\t</AKC515>", "<akc515>L-9</akc515>", "<AKC227>1.00<!----></AKC227>", "<AKC227>1.00<![CDATA[0]]></AKC227>",
	"<DISE_NAME>" + strings.Repeat("x", 4000) + "</DISE_NAME>", "<DISE_NAME>" + strings.Repeat("x", 4001) + "</DISE_NAME>",
	"<MSGID>Z</MSGID>", "<KC22ROW><FEEDETL_SN>9</FEEDETL_SN></KC22ROW>", "<ROW><X>1</X><Y>2</Y></ROW>", "text",
	"x<A>1</A>", "<KC22XML>1</KC22XML>", "<DIAGXML></DIAGXML>", "<KC22ROW>1</KC22ROW>", "<AKC515><B>1</B></AKC515>", "<A b=\"1\">2</A>",
	"<A><B><C><D><E><F><G><H><I>1</I></H></G></F></E></D></C></B></A>", "<A><B><C><D><E><F><G><H>1</H></G></F></E></D></C></B></A>",
	"<" + strings.Repeat("N", 65) + ">1</" + strings.Repeat("N", 65) + ">",
	// Non-ASCII text, which leafElement reads too: UTF-8, GBK, bytes GBK
	// lacks, and GBK values about the in-place limit (2/3 of maxValueLen).
	"<AKC515>中文</AKC515>", "<DISE_NAME> \xc4\xda\xbf\xc6 </DISE_NAME>", "<AKC516>\xc4\xda</AKC516>", "<AKC515>\x81\x20</AKC515>", "<AKC515>\xc4</AKC515>",
	"<DISE_NAME>" + strings.Repeat("\xc4\xda", 1333) + "</DISE_NAME>", "<DISE_NAME>" + strings.Repeat("\xc4\xda", 1333) + "a</DISE_NAME>",
	"<DISE_NAME>" + strings.Repeat("中", 1333) + "a</DISE_NAME>", "<DISE_NAME>" + strings.Repeat("中", 1334) + "</DISE_NAME>",
	// Rows read from join to join (rowLeaves): a field twice, a join
	// then a leaf it cannot read, white space other than indentation.
	"<KC22ROW><FEEDETL_SN>9</FEEDETL_SN> <AKC515>a</AKC515> <AKC515>b</AKC515></KC22ROW>",
	"<KC22ROW><FEEDETL_SN>9</FEEDETL_SN>\n<AKC515>a</AKC515>\n<AKC516>&amp;</AKC516>\n<AKC227>1</AKC227>x</KC22ROW>",
	"</AKC515>\t<AKC515>", "</AKC221>\r\n<AKC515>", "<AKC515>a</AKC515><X b=\"1\">2</X>",
}

// mutatedGBK draws one of the GBK messages of testdata/decode and
// inserts, deletes or overwrites a few pieces of it.
func mutatedGBK(t *rapid.T, bodies [][]byte) []byte {
	return mutated(t, bodies, gbkPieces)
}

// mutated draws one of bodies and inserts pieces into it, or deletes or
// overwrites a few bytes of it.
func mutated(t *rapid.T, bodies [][]byte, pieces []string) []byte {
	body := bytes.Clone(rapid.SampledFrom(bodies).Draw(t, "message"))
	for range rapid.IntRange(0, 4).Draw(t, "mutations") {
		at := rapid.IntRange(0, len(body)).Draw(t, "at")
		switch rapid.IntRange(0, 3).Draw(t, "kind") {
		case 0, 1:
			piece := rapid.SampledFrom(pieces).Draw(t, "piece")
			body = append(body[:at], append([]byte(piece), body[at:]...)...)
		case 2:
			end := min(len(body), at+rapid.IntRange(1, 40).Draw(t, "length"))
			body = append(body[:at], body[end:]...)
		default:
			if at < len(body) {
				body[at] = byte(rapid.IntRange(0, 255).Draw(t, "byte"))
			}
		}
	}
	return body
}

func gbkBodies(t testing.TB) [][]byte {
	var bodies [][]byte
	for _, file := range decodeFiles(t) {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b[:min(len(b), 64)], []byte(`encoding="GB`)) {
			bodies = append(bodies, b)
		}
	}
	if len(bodies) < 5 {
		t.Fatalf("only %d GBK messages", len(bodies))
	}
	return bodies
}

// TestInPlaceIsDecoded: reading a GBK message in place gives what reading
// it decoded to UTF-8 gives, requests or refusal (with its line and
// column), for every message; so does reading leaves in one step.
func TestInPlaceIsDecoded(t *testing.T) {
	bodies := gbkBodies(t)
	var inPlace, all int
	rapid.Check(t, func(t *rapid.T) {
		body := mutatedGBK(t, bodies)
		all++
		if src, _, gbk, err := source(body, true); err == nil && gbk {
			var d doc
			if parse(src, &d, true, true) != errInPlace {
				inPlace++ // read in place, without falling back
			}
			d.release()
		}
		sameDecode(t, body)
	})
	// Mutations often push a message onto the fallback, so only a share
	// is read in place: a tenth makes the comparison above meaningful.
	if inPlace < all/10 {
		t.Errorf("only %d of %d messages read in place", inPlace, all)
	}
	// The GBK goldens themselves, deterministically: most are read in place
	// (the rest carry what the fast path leaves to the fallback).
	goldens := 0
	for _, body := range bodies {
		src, _, gbk, err := source(body, true)
		var d doc
		if err == nil && gbk && parse(src, &d, true, true) != errInPlace {
			goldens++
		}
		d.release()
	}
	if goldens < len(bodies)/2 {
		t.Errorf("only %d of %d GBK goldens read in place", goldens, len(bodies))
	}
}

// sameDecode fails t unless decode reads body alike with its fast paths
// (GBK in place, leaves in one step) and without.
func sameDecode(t interface{ Fatalf(string, ...any) }, body []byte) {
	fast, fastErr := decode(body, true)
	slow, slowErr := decode(body, false)
	if !reflect.DeepEqual(fastErr, slowErr) {
		t.Fatalf("%q:\nin place: %v\n decoded: %v", body, fastErr, slowErr)
	}
	if !reflect.DeepEqual(fast, slow) {
		t.Fatalf("%q:\nin place: %+v\n decoded: %+v", body, fast, slow)
	}
}

// TestLeavesAreTheLoop: reading leaf elements in one step gives what the
// reader's loop gives, in every charset.
func TestLeavesAreTheLoop(t *testing.T) {
	var bodies [][]byte
	for _, file := range decodeFiles(t) {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		bodies = append(bodies, b)
	}
	rapid.Check(t, func(t *rapid.T) {
		sameDecode(t, mutated(t, bodies, leafPieces))
	})
	for _, body := range bodies {
		for _, piece := range leafPieces {
			if at := bytes.Index(body, []byte("</MSGNO>")); at >= 0 {
				sameDecode(t, append(append(bytes.Clone(body[:at+8]), piece...), body[at+8:]...))
			}
		}
	}
}

// The pieces, each in every message, for the cases the random draw
// might miss.
func TestInPlaceEachPiece(t *testing.T) {
	for _, body := range gbkBodies(t) {
		for _, piece := range gbkPieces {
			for _, at := range []int{bytes.Index(body, []byte("</MSGID>")), bytes.Index(body, []byte("<BODY>")) + 6, bytes.LastIndex(body, []byte("</"))} {
				if at < 0 {
					continue
				}
				sameDecode(t, append(append(bytes.Clone(body[:at]), piece...), body[at:]...))
			}
		}
	}
}

// TestRowLeavesElementLimit: the limit on elements falls, message by
// message, on each place of a fee row, where rowLeaves reads; each is
// refused as the reader's loop refuses it.
func TestRowLeavesElementLimit(t *testing.T) {
	var row strings.Builder
	row.WriteString("<KC22ROW>")
	for i := range 39 {
		row.WriteString("\n  <X" + strconv.Itoa(i) + ">1</X" + strconv.Itoa(i) + ">")
	}
	row.WriteString("</KC22ROW>")
	rows := strings.Repeat(row.String(), MaxFeeRows)
	for pad := range 40 {
		body := []byte(`<?xml version="1.0" encoding="GBK"?><HOSDATA><MSGNO>2630</MSGNO>` + strings.Repeat("<P>1</P>", pad) +
			"<KC22XML>" + rows + "</KC22XML></HOSDATA>")
		_, err := decode(body, true)
		if !strings.Contains(fmt.Sprint(err), "too many elements") {
			t.Fatalf("pad %d: %v", pad, err)
		}
		sameDecode(t, body)
	}
}
