// Package cpubench runs a benchmark loop and reports, besides the wall
// time, the process's CPU time per operation and the messages per second
// of one core it stands for. On a shared machine wall time per op swings
// with the neighbours' load; CPU time much less. Test code only; run the
// benchmarks with -cpu 1 so that the CPU time is one core's.
package cpubench
