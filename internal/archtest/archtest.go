// Package archtest holds no code: its test enforces Vigie's dependency rules (docs/design.md)
// on the real import graph, read with `go list -json ./...`.
package archtest
