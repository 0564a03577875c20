package legacyxml

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/provgate/provgate/settlement"
)

// Refusals of the reader, placed by line and column (counted in
// characters of the decoded text, as an editor shows them).

// format names the format in CodeBadMessage refusals.
const format = "XML"

func zhEn(zh, en string) settlement.Text { return settlement.Bi(zh, en) }

// bad refuses the message at byte offset off of the decoded text.
func (p *parser) bad(off int, zh, en string) error {
	return settlement.Errorf(settlement.CodeBadMessage, format, p.lineCol(off), settlement.Bi(zh, en))
}

// truncated refuses a message that ends before it is complete, naming
// the elements left open.
func (p *parser) truncated(where settlement.Text) error {
	line, _ := p.position(len(p.src))
	path := ""
	for i := 0; i < p.depth; i++ {
		path += "/" + p.rawOf(&p.stack[i])
	}
	if path != "" {
		where.ZH += "（" + path[1:] + "）"
		where.EN += " (in " + path[1:] + ")"
	}
	return settlement.Errorf(settlement.CodeBadMessage, format,
		settlement.Bi("报文末尾（第 "+strconv.Itoa(line)+" 行）", "end of message (line "+strconv.Itoa(line)+")"),
		settlement.Bi("报文不完整："+where.ZH, "the message is cut short "+where.EN))
}

func (p *parser) lineCol(off int) settlement.Text {
	line, col := p.position(off)
	l, c := strconv.Itoa(line), strconv.Itoa(col)
	return settlement.Bi("第 "+l+" 行第 "+c+" 列", "line "+l+", column "+c)
}

// position turns a byte offset into a line and a column counted in
// characters, both from 1.
func (p *parser) position(off int) (line, col int) {
	if off > len(p.src) {
		off = len(p.src)
	}
	before := p.src[:off]
	line = 1 + strings.Count(before, "\n")
	if i := strings.LastIndexByte(before, '\n'); i >= 0 {
		before = before[i+1:]
	}
	if p.gbk {
		return line, 1 + gbkCount(before)
	}
	return line, 1 + utf8.RuneCountInString(before)
}

// gbkCount counts the characters of GBK text that gbkSpan accepted.
func gbkCount(s string) int {
	n := 0
	for i := 0; i < len(s); n++ {
		if s[i] >= utf8.RuneSelf {
			i++
		}
		i++
	}
	return n
}
