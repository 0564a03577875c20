package delimited

import (
	"strconv"

	"github.com/provgate/provgate/settlement"
)

// writer builds the output parameter of a reply: rows separated by line
// feeds, columns by tabs (the tabular output of NATIONAL-INTERFACE §6.1).
type writer struct {
	b    []byte
	rows int // rows begun
	cols int // columns written in the current row
}

func (w *writer) row() {
	if w.rows > 0 {
		w.b = append(w.b, '\n')
	}
	w.rows++
	w.cols = 0
}

func (w *writer) sep() {
	if w.cols > 0 {
		w.b = append(w.b, '\t')
	}
	w.cols++
}

// str writes a value; the reply's separators inside it become spaces, so
// a value can never shift the columns after it.
func (w *writer) str(s string) {
	w.sep()
	w.b = appendStr(w.b, s)
}

func isReplySeparator(c byte) bool { return c == '^' || c == '\t' || c == '\n' || c == '\r' }

// appendStr is str's work on a slice of its own rather than on w.b:
// appending through w would store w.b's pointer at every step, each store a
// write barrier while the collector marks.
func appendStr(b []byte, s string) []byte {
	clean := true
	for i := 0; i < len(s) && clean; i++ {
		clean = !isReplySeparator(s[i])
	}
	if clean {
		return append(b, s...) // the usual case: copied whole
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '^', '\t', '\n', '\r':
			b = append(b, ' ')
		default:
			b = append(b, c)
		}
	}
	return b
}

func (w *writer) int(n int) {
	w.sep()
	w.b = strconv.AppendInt(w.b, int64(n), 10)
}

func (w *writer) flag(v bool) {
	w.sep()
	if v {
		w.b = append(w.b, '1')
	} else {
		w.b = append(w.b, '0')
	}
}

// fen writes an amount as yuan with two decimals.
func (w *writer) fen(f settlement.Fen) { w.scaled(int64(f), 2) }

// scaled writes v / 10^scale with exactly scale decimals: 7000 at scale 4
// is 0.7000.
func (w *writer) scaled(v int64, scale int) {
	w.sep()
	w.b = settlement.AppendScaled(w.b, v, scale)
}

// appendPadded writes v with leading zeros to width digits.
func appendPadded(b []byte, v uint64, width int) []byte {
	var buf [20]byte
	d := strconv.AppendUint(buf[:0], v, 10)
	for i := len(d); i < width; i++ {
		b = append(b, '0')
	}
	return append(b, d...)
}
