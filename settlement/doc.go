// Package settlement is the domain of provgate: the vocabulary of cross-region
// direct settlement (persons, visits, fee lines, policies, catalogs, records,
// accumulators), the pure calculation that turns a visit's fee lines into what
// each fund and the patient pay, the lifecycle rules of a visit, and the domain
// errors with their stable codes.
//
// Everything here is deterministic and free of I/O: money is integer fen
// ([Fen]), ratios are basis points ([BP]), time arrives in a [Stamp] chosen by
// the Raft leader, and state is read through the [View] interface and written
// by returning [Changes]. The consensus state machine runs [Process] on every
// replica, so every replica must compute the same answer from the same input.
//
// The package imports only the standard library.
package settlement
