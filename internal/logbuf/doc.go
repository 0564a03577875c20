// Package logbuf buffers a process's log output: lines collect in memory and
// reach the file (stderr) every 100 ms, when 32 KB have collected, at once
// for warnings and errors, and when the process stops.
//
// Every hospital request logs one line; written straight through, each line
// was a write system call of its own, about 4 % of a busy leader's CPU on
// this project's VM. Web servers buffer access logs the same way (nginx's
// access_log buffer= flush=). What a crash can lose is at most the last
// 100 ms of informational lines; a warning or error is written before the
// call that logs it returns.
package logbuf
