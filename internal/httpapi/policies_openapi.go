package httpapi

import "github.com/vigie-edu/vigie/internal/authoring"

// playgroundSchema pins the main fields of a playground answer; its report is the readiness
// report, as `vigie check --format json` prints it.
var playgroundSchema = map[string]any{
	"type":     "object",
	"required": []string{"version", "input", "report"},
	"properties": map[string]any{
		"version": map[string]any{"type": "string"}, "input": map[string]any{"type": "object"},
		"report":      map[string]any{"type": "object", "required": []string{"uai", "status", "checks", "todo"}}, // readiness report
		"duration_ms": map[string]any{"type": "number"},
	},
}

// policyOpDocs documents the policy authoring routes (merged into opDocs).
func policyOpDocs() map[string]opDoc {
	at := []param{{"title", "string", "title of the new draft (default: from the bundle's revision)"}}
	return map[string]opDoc{
		"GET " + policiesPath: {summary: "The academy's policies: version in force (or national defaults), versions, publications, drafts, effective configuration",
			tag: "policies", status: 200, resp: policyStateJSON{}},
		"GET " + policiesPath + "/bundle.tar.gz": {summary: "The set in force, a version or a draft as an OPA bundle (every module, tests, overrides in data.vigie.overrides, .manifest with revision)",
			tag: "policies", query: []param{{"version", "integer", "version id"}, {"draft", "integer", "draft id"}}, status: 200, media: "application/gzip"},
		"GET " + versionPath: {summary: "One version with its modules and overrides", tag: "policies", status: 200, resp: versionJSON{}},
		"POST " + versionPath + "/preview": {summary: "Impact of putting this version back in force, over every school's latest snapshot (read-only)",
			tag: "policies", body: previewRequest{}, status: 200, resp: authoring.Preview{}},
		"POST " + versionPath + "/rollback": {summary: "Put this version back in force (it must still compile and pass its tests); the impact summary goes to the audit log",
			tag: "policies", body: publishRequest{}, status: 201, resp: publishedJSON{}},
		"GET " + policiesPath + "/drafts": {summary: "Drafts of the academy with their last check", tag: "policies", status: 200, resp: itemsOf[draftJSON]{}},
		"POST " + policiesPath + "/drafts": {summary: "Start a draft owned by the caller, a copy of the version in force or of from_version",
			tag: "policies", body: authoring.NewDraft{}, status: 201, resp: draftJSON{}},
		"POST " + policiesPath + "/drafts/import": {summary: "Start a draft from an OPA bundle (multipart \"file\" part, or the bundle as an application/gzip body); checked at once",
			tag: "policies", upload: true, query: at, status: 201, resp: draftCheckJSON{}},
		"GET " + draftPath: {summary: "One draft with its modules and overrides", tag: "policies", status: 200, resp: draftJSON{}},
		"PUT " + draftPath: {summary: "Save the caller's draft at the revision read; answers its check at once: compile problems with module, line and column, strict mode, lint, Rego tests with coverage",
			tag: "policies", body: authoring.DraftUpdate{}, status: 200, resp: draftCheckJSON{}},
		"DELETE " + draftPath: {summary: "Delete the caller's draft", tag: "policies", status: 204},
		"POST " + draftPath + "/check": {summary: "Check the draft again (compile, strict, lint, tests with coverage)",
			tag: "policies", body: checkRequest{}, status: 200, resp: authoring.CheckReport{}},
		"POST " + draftPath + "/preview": {summary: "Impact preview: the draft against the version in force over every school's latest snapshot, per check and per school (read-only)",
			tag: "policies", body: previewRequest{}, status: 200, resp: authoring.Preview{}},
		"POST " + draftPath + "/evaluate": {summary: "Playground: evaluate the draft on one school's latest snapshot or on a given policy input; answers the input and the full report",
			tag: "policies", body: authoring.PlaygroundRequest{}, status: 200, raw: playgroundSchema},
		"POST " + draftPath + "/publish": {summary: "Publish the draft as the academy's new version: it must compile and pass its tests; the impact summary goes to the audit log",
			tag: "policies", body: publishRequest{}, status: 201, resp: publishedJSON{}},
	}
}
