// Command provgate runs and operates a provgate node: the provincial
// gateway for cross-region direct settlement of medical insurance.
//
//	provgate serve --config configs/provgate.yaml   run a node
//	provgate demo                                   a node with sample data and a sample visit
//
// This is the only package that reads flags, files and the environment; it
// builds the storage, the Raft node and the HTTP gateway and wires them.
package main
