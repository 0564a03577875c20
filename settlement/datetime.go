package settlement

// IsDateTime reports whether s is a national 日期时间型 value,
// "yyyy-MM-dd HH:mm:ss", naming a real calendar time: what
// time.Parse(time.DateTime, s) accepts when s has those 19 characters. It
// does the same checks by hand because decoders run it on every fee line,
// where time.Parse was a tenth of a fee upload's decoding.
//
// time.Parse also takes a run of spaces for the layout's one space, and a
// one-digit hour: "yyyy-MM-dd  H:mm:ss", with two spaces, is the one other
// 19-character value it accepts, and so is accepted here too, so that the
// decoders accept exactly what they accepted before.
func IsDateTime(s string) bool {
	if len(s) != 19 || s[4] != '-' || s[7] != '-' || s[10] != ' ' || s[13] != ':' || s[16] != ':' {
		return false
	}
	hour := s[11:13]
	if hour[0] == ' ' {
		hour = hour[1:]
	}
	return validTime(s[0:4], s[5:7], s[8:10], hour, s[14:16], s[17:19])
}

// CompactDateTime turns the DLL era's "yyyyMMddHHmmss" into the national
// "yyyy-MM-dd HH:mm:ss", or reports false when s is not a real time in that
// form (what time.Parse with the layout "20060102150405" refuses).
func CompactDateTime(s string) (string, bool) {
	if len(s) != 14 || !validTime(s[0:4], s[4:6], s[6:8], s[8:10], s[10:12], s[12:14]) {
		return "", false
	}
	var b [19]byte
	copy(b[0:4], s[0:4])
	b[4] = '-'
	copy(b[5:7], s[4:6])
	b[7] = '-'
	copy(b[8:10], s[6:8])
	b[10] = ' '
	copy(b[11:13], s[8:10])
	b[13] = ':'
	copy(b[14:16], s[10:12])
	b[16] = ':'
	copy(b[17:19], s[12:14])
	return string(b[:]), true
}

// validTime checks the digit groups of a date and time: month 1-12, the
// day within the month (29 February in leap years of the proleptic
// Gregorian calendar, as package time counts them), hour 0-23, minute and
// second 0-59.
func validTime(year, month, day, hour, minute, second string) bool {
	y, ok1 := digitsValue(year)
	mo, ok2 := digitsValue(month)
	d, ok3 := digitsValue(day)
	h, ok4 := digitsValue(hour)
	mi, ok5 := digitsValue(minute)
	se, ok6 := digitsValue(second)
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) {
		return false
	}
	return mo >= 1 && mo <= 12 && d >= 1 && d <= DaysIn(y, mo) && h <= 23 && mi <= 59 && se <= 59
}

func digitsValue(s string) (int, bool) {
	v := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	return v, true
}

// DaysIn is the number of days of a month (1-12) of the Gregorian calendar,
// for the adapters that check dates themselves.
func DaysIn(year, month int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}
