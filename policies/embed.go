// Package policies holds Vigie's Rego policies, embedded in the binary: the national readiness
// checks (readiness/, one package per check under vigie.checks, their catalogue in the
// METADATA annotations, the shared library vigie.lib and the national defaults
// vigie.defaults), the authorisation policy of the HTTP API (authz/) and the derivation of
// the campaign steps' states (campaign/). The *_test.rego files
// are embedded too so that Vigie can run the Rego tests of a policy set.
package policies

import "embed"

// FS holds readiness/, authz/ and campaign/ with every .rego file and any data file beside
// them.
//
//go:embed readiness authz campaign
var FS embed.FS

// Directories of FS.
const (
	ReadinessDir = "readiness"
	AuthzDir     = "authz"
	// CampaignDir holds the rules that derive the state of the 13 campaign steps from a
	// school's files (package vigie.campaign).
	CampaignDir = "campaign"
)
