// Package policies holds Vigie's Rego policies, embedded in the binary: the national readiness
// checks (readiness/, one package per check under vigie.checks, their catalogue in the
// METADATA annotations, the shared library vigie.lib and the national defaults
// vigie.defaults) and the authorisation policy of the HTTP API (authz/). The *_test.rego files
// are embedded too so that Vigie can run the Rego tests of a policy set.
package policies

import "embed"

// FS holds readiness/ and authz/ with every .rego file and any data file beside them.
//
//go:embed readiness authz
var FS embed.FS

// Directories of FS.
const (
	ReadinessDir = "readiness"
	AuthzDir     = "authz"
)
