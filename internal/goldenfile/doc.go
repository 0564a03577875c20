// Package goldenfile is the golden-file check every package's tests share:
// compare output with a file under testdata, or rewrite the file when the
// test runs with -update. Test code only.
package goldenfile
