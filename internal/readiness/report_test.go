package readiness

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigie-edu/vigie/internal/policy"
)

// catalogue is a small catalogue shaped like the national one.
var catalogue = []policy.Check{
	{ID: "campaign.sources_fresh", Title: "Sources", Severity: policy.SeverityWarning, Step: 0, FixStage: "vigie", Fix: "Déposer"},
	{ID: "sts.divisions_present", Title: "Divisions", Severity: policy.SeverityBlocker, Step: 5, FixStage: "sts", Fix: "STS"},
	{ID: "sts.division_headcount", Title: "Effectifs", Severity: policy.SeverityWarning, Step: 5, FixStage: "sts", Fix: "STS",
		BlockedBy: []string{"sts.divisions_present"}},
	{ID: "sts.professeur_principal", Title: "PP", Severity: policy.SeverityError, Step: 5, FixStage: "sts", Fix: "STS",
		BlockedBy: []string{"sts.divisions_present"}},
	{ID: "siecle.structure_exported", Title: "Structure", Severity: policy.SeverityError, Step: 6, FixStage: "sts", Fix: "Export"},
	{ID: "siecle.groups_populated", Title: "Groupes SIECLE", Severity: policy.SeverityBlocker, Step: 12, FixStage: "links", Fix: "Liens",
		BlockedBy: []string{"siecle.structure_exported"}},
	{ID: "links.imported", Title: "Liens importés", Severity: policy.SeverityError, Step: 12, FixStage: "links", Fix: "Liens"},
	{ID: "ent.structure_known", Title: "Structure ENT", Severity: policy.SeverityBlocker, Step: 13, FixStage: "ent", Fix: "Académie"},
	{ID: "ent.groups_populated", Title: "Groupes ENT", Severity: policy.SeverityBlocker, Step: 13, FixStage: "links", Fix: "Liens",
		BlockedBy: []string{"ent.structure_known", "siecle.groups_populated", "links.imported"}},
	{ID: "ent.teacher_links", Title: "Enseignants ENT", Severity: policy.SeverityWarning, Step: 13, FixStage: "sts", Fix: "STS"},
}

var now = time.Date(2026, time.October, 5, 9, 30, 0, 0, time.UTC) // 11:30 in Paris

// evaluation gives every catalogue check a pass, then the given statuses.
func evaluation(statuses map[string]policy.Status) policy.Evaluation {
	var ev policy.Evaluation
	for _, c := range catalogue {
		st := policy.StatusPass
		if s, ok := statuses[c.ID]; ok {
			st = s
		}
		r := policy.Result{Check: c.ID, Mode: policy.ModeEnforce, Status: st, Items: []policy.Item{}}
		if st == policy.StatusFail {
			r.Items = []policy.Item{{Code: "X1", Kind: "group", Detail: "vide"}}
		}
		ev.Results = append(ev.Results, r)
	}
	return ev
}

func report(t *testing.T, ev policy.Evaluation, exemptions ...Exemption) *Report {
	t.Helper()
	return buildReport(reportInput{
		UAI: "0790029C", SchoolYear: 2026, Now: now, Catalogue: frenchCatalogue(catalogue), Evaluation: ev,
		Exemptions: exemptions, Timing: DefaultTiming(),
	})
}

func TestSchoolStatus(t *testing.T) {
	tests := []struct {
		name     string
		statuses map[string]policy.Status
		want     Status
	}{
		{"everything passes", nil, StatusReady},
		{"a blocker fails", map[string]policy.Status{"siecle.groups_populated": policy.StatusFail}, StatusNotReady},
		{"an error check fails", map[string]policy.Status{"links.imported": policy.StatusFail}, StatusNotReady},
		{"a blocker ends in error", map[string]policy.Status{"ent.structure_known": policy.StatusError}, StatusNotReady},
		{"only a warning fails", map[string]policy.Status{"ent.teacher_links": policy.StatusFail}, StatusAtRisk},
		{"a warning ends in error", map[string]policy.Status{"ent.teacher_links": policy.StatusError}, StatusAtRisk},
		{"a blocker is unknown", map[string]policy.Status{"ent.groups_populated": policy.StatusUnknown}, StatusAtRisk},
		{"an error check is unknown", map[string]policy.Status{"links.imported": policy.StatusUnknown}, StatusAtRisk},
		{"only a warning is unknown", map[string]policy.Status{"ent.teacher_links": policy.StatusUnknown}, StatusReady},
		{"unknown blocker and failing error", map[string]policy.Status{
			"ent.groups_populated": policy.StatusUnknown, "sts.professeur_principal": policy.StatusFail}, StatusNotReady},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, report(t, evaluation(tt.statuses)).Status)
		})
	}
}

func TestUnknownWarningIsOnTheTodoList(t *testing.T) {
	r := report(t, evaluation(map[string]policy.Status{"ent.teacher_links": policy.StatusUnknown}))
	assert.Equal(t, StatusReady, r.Status)
	require.Len(t, r.Todo, 1)
	assert.Equal(t, "ent.teacher_links", r.Todo[0].Check)
}

func todoIDs(r *Report) []string {
	var ids []string
	for _, t := range r.Todo {
		ids = append(ids, t.Check)
	}
	return ids
}

func TestTodoOrderAndBlockers(t *testing.T) {
	r := report(t, evaluation(map[string]policy.Status{
		"ent.groups_populated":      policy.StatusFail,
		"ent.structure_known":       policy.StatusUnknown,
		"ent.teacher_links":         policy.StatusFail,
		"siecle.groups_populated":   policy.StatusFail,
		"links.imported":            policy.StatusFail,
		"sts.division_headcount":    policy.StatusFail,
		"sts.professeur_principal":  policy.StatusFail,
		"siecle.structure_exported": policy.StatusUnknown,
	}))
	assert.Equal(t, []string{
		"sts.professeur_principal",  // step 5, error
		"sts.division_headcount",    // step 5, warning
		"siecle.structure_exported", // step 6
		"siecle.groups_populated",   // step 12, blocker
		"links.imported",            // step 12, error
		"ent.structure_known",       // step 13, blocker, before what it blocks
		"ent.groups_populated",      // step 13, blocker
		"ent.teacher_links",         // step 13, warning
	}, todoIDs(r))
	for i, item := range r.Todo {
		assert.Equal(t, i+1, item.Rank)
	}
	byID := map[string]TodoItem{}
	for _, item := range r.Todo {
		byID[item.Check] = item
	}
	assert.Equal(t, []string{"siecle.structure_exported"}, byID["siecle.groups_populated"].BlockedBy)
	assert.Equal(t, []string{"siecle.groups_populated", "links.imported", "ent.structure_known"}, byID["ent.groups_populated"].BlockedBy,
		"an empty ENT group waits for the SIECLE links, in rank order")
	assert.Empty(t, byID["sts.division_headcount"].BlockedBy, "sts.divisions_present passes: nothing blocks")
	assert.NotNil(t, byID["ent.teacher_links"].BlockedBy, "an empty list, not null")
}

func TestBlockedItemNeverComesFirstWithinItsStep(t *testing.T) {
	// Same step, same severity: ent.groups_populated sorts before ent.structure_known by id
	// order alone, but is blocked by it.
	r := report(t, evaluation(map[string]policy.Status{
		"ent.groups_populated": policy.StatusFail,
		"ent.structure_known":  policy.StatusFail,
	}))
	assert.Equal(t, []string{"ent.structure_known", "ent.groups_populated"}, todoIDs(r))
}

func TestStaleSourceBlocksTheChecksItMakesUnknown(t *testing.T) {
	ev := evaluation(map[string]policy.Status{
		"campaign.sources_fresh": policy.StatusFail,
		"links.imported":         policy.StatusUnknown,
		"ent.structure_known":    policy.StatusUnknown,
	})
	for i, r := range ev.Results {
		switch r.Check {
		case "campaign.sources_fresh":
			ev.Results[i].Items = []policy.Item{{Code: "links", Kind: "source", Detail: "trop ancien"}}
		case "links.imported":
			ev.Results[i].Items = []policy.Item{{Code: "links", Kind: "source", Detail: "trop ancien"}}
		case "ent.structure_known":
			ev.Results[i].Items = []policy.Item{{Code: "ent", Kind: "source", Detail: "absent"}}
		}
	}
	r := report(t, ev)
	require.Equal(t, "campaign.sources_fresh", r.Todo[0].Check)
	for _, item := range r.Todo {
		switch item.Check {
		case "links.imported":
			assert.Equal(t, []string{"campaign.sources_fresh"}, item.BlockedBy)
		case "ent.structure_known":
			assert.Empty(t, item.BlockedBy, "a missing source is not a stale one")
		}
	}
}

func TestExemptionsAndMonitorModeNeverCount(t *testing.T) {
	ev := evaluation(map[string]policy.Status{
		"siecle.groups_populated": policy.StatusFail,
		"links.imported":          policy.StatusFail,
		"ent.teacher_links":       policy.StatusFail,
	})
	for i := range ev.Results {
		if ev.Results[i].Check == "links.imported" {
			ev.Results[i].Mode = policy.ModeMonitor
		}
	}
	until := time.Date(2026, time.October, 31, 0, 0, 0, 0, time.UTC)
	r := report(t, ev,
		Exemption{Check: "siecle.groups_populated", Until: until, Reason: "groupes créés le 12 octobre"},
		Exemption{Check: "ent.teacher_links", Until: now.Add(-time.Hour)}, // expired
	)
	assert.Equal(t, StatusAtRisk, r.Status, "the exempt blocker and the monitored error do not count; the warning does")
	assert.Equal(t, []string{"ent.teacher_links"}, todoIDs(r))

	ex, _ := r.Check("siecle.groups_populated")
	assert.Equal(t, CheckExempt, ex.Status)
	assert.Equal(t, "fail", ex.Outcome, "the policy's verdict is kept")
	assert.False(t, ex.Counts)
	assert.True(t, ex.ExemptUntil.Equal(until))
	assert.Equal(t, "groupes créés le 12 octobre", ex.ExemptReason)
	assert.Len(t, ex.Items, 1, "items stay visible")

	mon, _ := r.Check("links.imported")
	assert.Equal(t, CheckFail, mon.Status)
	assert.Equal(t, policy.ModeMonitor, mon.Mode)
	assert.False(t, mon.Counts)
}

func TestCheckReportCarriesCatalogueAndDeadline(t *testing.T) {
	r := report(t, evaluation(map[string]policy.Status{"siecle.groups_populated": policy.StatusFail}))
	c, ok := r.Check("siecle.groups_populated")
	require.True(t, ok)
	assert.Equal(t, "blocker", c.Severity)
	assert.Equal(t, 12, c.Step)
	assert.Equal(t, "Liens", c.Fix)
	paris := DefaultTiming().Location
	assert.Equal(t, time.Date(2026, time.October, 5, 20, 0, 0, 0, paris), c.Deadline.Time)
	assert.Equal(t, time.Date(2026, time.October, 9, 6, 0, 0, 0, paris), c.ReachesGAR.Time)
	pass, _ := r.Check("sts.divisions_present")
	assert.True(t, pass.Deadline.IsZero(), "no deadline for a passing check")
	assert.Equal(t, time.Date(2026, time.October, 6, 6, 0, 0, 0, paris), r.NextHandover.Time)
}

func TestErrorCheckTodoTellsTheSchoolToWait(t *testing.T) {
	ev := evaluation(map[string]policy.Status{"ent.structure_known": policy.StatusError})
	ev.Results[7].Error = "évaluation interrompue : délai dépassé"
	r := report(t, ev)
	require.Len(t, r.Todo, 1)
	assert.Contains(t, r.Todo[0].Fix, "Rien à faire dans l’établissement")
	assert.Contains(t, r.Todo[0].What, "délai dépassé")
}

func TestWhatListsEveryItemByKind(t *testing.T) {
	c := CheckReport{Status: CheckFail, Items: []Item{
		{Code: "2NDE1", Kind: "division"}, {Code: "G1", Kind: "group"}, {Code: "G2", Kind: "group"},
	}}
	assert.Equal(t, "1 division\u00a0: 2NDE1\u202f; 2 groupes\u00a0: G1, G2", what(c))
	assert.Equal(t, "14 élèves absents", what(CheckReport{Status: CheckFail, Summary: "14 élèves absents"}))
	assert.Equal(t, "source manquante", what(CheckReport{Status: CheckUnknown, Reason: "source manquante"}))
}

func TestTypography(t *testing.T) {
	assert.Equal(t, "Dans STS-Web, menu «\u00a0Structure > Divisions\u00a0»\u00a0: créer\u202f; l’élève\u202f?",
		typo("Dans STS-Web, menu « Structure > Divisions » : créer ; l'élève ?"))
	assert.Equal(t, "49,1\u202f%", typo("49,1 %"))
	assert.Equal(t, typo("a : b"), typo(typo("a : b")), "idempotent")
}

func TestReportJSONShape(t *testing.T) {
	r := report(t, evaluation(map[string]policy.Status{"siecle.groups_populated": policy.StatusFail}))
	m := jsonMap(t, r)
	for _, k := range []string{"uai", "school_year", "evaluated_at", "status", "checks", "todo"} {
		assert.Contains(t, m, k)
	}
	assert.Equal(t, "2026-10-05T11:30:00+02:00", m["evaluated_at"])
	check := m["checks"].([]any)[0].(map[string]any)
	for _, k := range []string{"id", "status", "severity", "step", "title", "items", "fix", "deadline"} {
		assert.Contains(t, check, k)
	}
	item := m["todo"].([]any)[0].(map[string]any)
	for _, k := range []string{"check", "rank", "blocked_by", "title", "fix", "deadline"} {
		assert.Contains(t, item, k)
	}
	assert.Equal(t, "2026-10-05T20:00:00+02:00", item["deadline"])
}
