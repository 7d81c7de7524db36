package authoring_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigie-edu/vigie/internal/access"
	"github.com/vigie-edu/vigie/internal/apperr"
	"github.com/vigie-edu/vigie/internal/authoring"
	"github.com/vigie-edu/vigie/internal/campaign"
	"github.com/vigie-edu/vigie/internal/policy"
	"github.com/vigie-edu/vigie/internal/readiness"
	"github.com/vigie-edu/vigie/internal/readiness/readinesstest"
	"github.com/vigie-edu/vigie/internal/store"
	"github.com/vigie-edu/vigie/internal/store/storetest"
	"github.com/vigie-edu/vigie/policies"
)

var (
	nationalOnce  sync.Once
	nationalFiles []policy.File
)

func national(t testing.TB) []policy.File {
	t.Helper()
	nationalOnce.Do(func() {
		var err error
		nationalFiles, err = policy.LoadFS(policies.FS, policies.ReadinessDir)
		if err != nil {
			panic(err)
		}
	})
	return nationalFiles
}

// world is a store with two academies: Poitiers has lycées with a snapshot each (every check
// passes, 12 of 840 pupils missing from the links file) and one collège that sent nothing;
// Bordeaux has one lycée.
type world struct {
	st       *store.Store
	svc      *authoring.Service
	poitiers campaign.Academy
	bordeaux campaign.Academy
	scope    access.Scope
	author   store.Actor
	lycees   []string
}

func newWorld(t *testing.T, st *store.Store, lycees int, opts authoring.Options) *world {
	t.Helper()
	ctx := context.Background()
	sys := access.System()
	w := &world{st: st, author: store.Actor{UserID: 1, Login: "auteur", RequestID: "req-a"}}
	var err error
	w.poitiers, err = st.CreateAcademy(ctx, sys, "poitiers", "Poitiers")
	require.NoError(t, err)
	w.bordeaux, err = st.CreateAcademy(ctx, sys, "bordeaux", "Bordeaux")
	require.NoError(t, err)
	w.scope = access.Academy(w.poitiers.ID)
	var schools []campaign.School
	for i := range lycees {
		uai := readinesstest.UAI(i + 1)
		w.lycees = append(w.lycees, uai)
		schools = append(schools, readinesstest.School(uai, campaign.KindLycee))
	}
	schools = append(schools, readinesstest.School(readinesstest.UAI(500), campaign.KindCollege))
	_, err = st.UpsertSchools(ctx, sys, w.poitiers.ID, schools)
	require.NoError(t, err)
	for _, uai := range w.lycees {
		facts, err := json.Marshal(readinesstest.Snapshot(readinesstest.Lycee(uai)))
		require.NoError(t, err)
		_, err = st.SaveSnapshot(ctx, sys, store.Snapshot{AcademyID: w.poitiers.ID, UAI: uai, SchoolYear: 2026, AsOf: readinesstest.Now,
			SchemaVersion: 1, Facts: facts})
		require.NoError(t, err)
	}
	foreign := readinesstest.UAI(900)
	_, err = st.UpsertSchools(ctx, sys, w.bordeaux.ID, []campaign.School{readinesstest.School(foreign, campaign.KindLycee)})
	require.NoError(t, err)
	if opts.Now == nil {
		opts.Now = func() time.Time { return readinesstest.Now }
	}
	if opts.Workers == 0 {
		opts.Workers = 2
	}
	if opts.TestTimeout == 0 {
		opts.TestTimeout = time.Minute // the race detector and a shared machine slow Rego tests tenfold
	}
	src := authoring.NewSource(st, national(t), storetest.Logger(t))
	w.svc = authoring.New(st, src, storetest.Logger(t), opts)
	return w
}

const brokenModule = "package vigie.checks.academy.broken\n\nresult := {\"status\": \"pass\", \"items\": [x]}\n"

const lvCheck = `# METADATA
# scope: package
# title: Groupes de langues présents
# description: Sans groupe de langue dans STS-Web, les élèves ne trouvent pas leurs manuels de langue.
# custom:
#   id: academy.lv_groups
#   severity: warning
#   step: 11
#   needs: [sts]
#   fix: Dans EDT, créer les groupes de langues puis exporter l'emploi du temps vers STS-Web.
#   fix_stage: sts
package vigie.checks.academy.lv_groups

import data.vigie.lib

meta := lib.custom(rego.metadata.chain())

result := lib.unknown(meta.needs) if {
	not lib.all_usable(meta.needs)
} else := lib.verdict(failing)

failing := [lib.item("sts", "source", "aucun groupe de langue") |
	count([k | some k, _ in lib.sts_groups; contains(k, "LV")]) == 0
]
`

const lvTest = `package vigie.checks.academy.lv_groups

import data.vigie.testdata

test_fails_without_language_groups if {
	result.status == "fail" with input as testdata.base
}
`

const lvTestFailing = `package vigie.checks.academy.lv_groups

import data.vigie.testdata

test_passes_wrongly if {
	result.status == "pass" with input as testdata.base
}
`

func TestWorkflow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := newWorld(t, st, 4, authoring.Options{})
		svc, sc, by := w.svc, w.scope, w.author

		set, err := svc.Source().Set(ctx, w.poitiers)
		require.NoError(t, err)
		assert.Equal(t, svc.Source().NationalVersion(), set.Version(), "never published: national defaults")

		d, err := svc.CreateDraft(ctx, sc, w.poitiers, authoring.NewDraft{Title: "Seuil d'absence"}, by)
		require.NoError(t, err)
		assert.Zero(t, d.BaseVersionID)
		assert.Empty(t, d.Content.Files)

		// A module that does not compile: positioned problems, never publishable.
		d, rep, err := svc.SaveDraft(ctx, sc, w.poitiers, d.ID, authoring.DraftUpdate{Title: d.Title, Revision: d.Revision,
			Files: map[string]string{"readiness/academy/broken.rego": brokenModule}}, by)
		require.NoError(t, err)
		assert.False(t, rep.Compiles)
		assert.False(t, rep.OK)
		require.NotEmpty(t, rep.Problems)
		assert.Equal(t, "readiness/academy/broken.rego", rep.Problems[0].Module)
		assert.Equal(t, 3, rep.Problems[0].Line)
		assert.Positive(t, rep.Problems[0].Column)
		assert.Nil(t, rep.Tests)
		_, err = svc.Publish(ctx, sc, w.poitiers, d.ID, "essai", by)
		var gate *authoring.GateError
		require.ErrorAs(t, err, &gate)
		assert.ErrorIs(t, err, apperr.ErrInvalid)
		_, err = svc.PreviewDraft(ctx, sc, w.poitiers, d.ID, time.Time{})
		assert.ErrorIs(t, err, apperr.ErrInvalid, "a draft that does not compile cannot be previewed")

		// A new check whose test fails: compiles, not publishable.
		d, rep, err = svc.SaveDraft(ctx, sc, w.poitiers, d.ID, authoring.DraftUpdate{Title: d.Title, Revision: d.Revision,
			Files: map[string]string{"readiness/academy/lv_groups.rego": lvCheck, "readiness/academy/lv_groups_test.rego": lvTestFailing}}, by)
		require.NoError(t, err)
		assert.True(t, rep.Compiles, "%v", rep.Problems)
		assert.False(t, rep.OK)
		require.NotNil(t, rep.Tests)
		assert.Equal(t, 1, rep.Tests.Failed)
		require.NotNil(t, rep.Tests.Coverage)
		assert.Contains(t, coveredModules(rep.Tests.Coverage), "readiness/academy/lv_groups.rego")
		_, err = svc.Publish(ctx, sc, w.poitiers, d.ID, "essai", by)
		require.ErrorAs(t, err, &gate)
		assert.Contains(t, err.Error(), "1 test(s) Rego en échec")

		// Stale revision, and someone else's draft.
		_, _, err = svc.SaveDraft(ctx, sc, w.poitiers, d.ID, authoring.DraftUpdate{Revision: d.Revision - 1}, by)
		assert.ErrorIs(t, err, apperr.ErrConflict)
		_, _, err = svc.SaveDraft(ctx, sc, w.poitiers, d.ID, authoring.DraftUpdate{Revision: d.Revision}, store.Actor{UserID: 2, Login: "autre"})
		assert.ErrorIs(t, err, apperr.ErrForbidden)
		assert.ErrorIs(t, svc.DeleteDraft(ctx, sc, w.poitiers, d.ID, store.Actor{UserID: 2, Login: "autre"}), apperr.ErrForbidden)

		// The threshold lowered to 1 %: every lycée (12 of 840 absent) now fails, plus the new check.
		d, rep, err = svc.SaveDraft(ctx, sc, w.poitiers, d.ID, authoring.DraftUpdate{Title: d.Title, Revision: d.Revision,
			Files:     map[string]string{"readiness/academy/lv_groups.rego": lvCheck, "readiness/academy/lv_groups_test.rego": lvTest},
			Overrides: map[string]any{"absent_ratio_pct": 1}}, by)
		require.NoError(t, err)
		require.True(t, rep.OK, "problems %v tests %d failed %d errored", rep.Problems, rep.Tests.Failed, rep.Tests.Errored)
		assert.Equal(t, 25, rep.Checks)
		assert.JSONEq(t, string(must(json.Marshal(rep.Summary(readinesstest.Now)))), string(d.LastCheck))

		p, err := svc.PreviewDraft(ctx, sc, w.poitiers, d.ID, time.Time{})
		require.NoError(t, err)
		assert.Equal(t, 5, p.Schools)
		assert.Equal(t, 5, p.Changed, "the collège without files changes too: the new check is unknown there")
		ar := impact(t, p, "links.absent_ratio")
		assert.Equal(t, 4, ar.PassToFail)
		assert.Equal(t, 4, ar.NewTodo)
		assert.Equal(t, 48, ar.NewItems)
		assert.Equal(t, 48, ar.Pupils, "12 absent pupils per lycée")
		lv := impact(t, p, "academy.lv_groups")
		assert.True(t, lv.Added)
		assert.Equal(t, 4*840, lv.Pupils, "a whole-school item counts every active pupil")
		assert.Equal(t, 4, p.StatusBefore.Ready)
		assert.Equal(t, StatusChangesOf(p), map[string]int{"ready>at_risk": 4})
		assert.Equal(t, 4*840, p.PupilsAffected, "capped at each school's pupils")
		require.Len(t, p.SchoolChanges, 5)
		assert.Equal(t, readiness.StatusAtRisk, p.SchoolChanges[0].StatusAfter)
		assert.ElementsMatch(t, []string{"links.absent_ratio", "academy.lv_groups"}, p.SchoolChanges[0].NewTodo)
		runs, _, err := st.ListRuns(ctx, sc, w.poitiers.ID, store.RunFilter{})
		require.NoError(t, err)
		assert.Empty(t, runs, "a preview writes nothing")

		// Publish: version 1 in force, the summary in the audit log.
		_, err = svc.Publish(ctx, access.Academy(w.bordeaux.ID), w.poitiers, d.ID, "seuil à 1 %", by)
		assert.ErrorIs(t, err, apperr.ErrNotFound, "another academy's author")
		pub, err := svc.Publish(ctx, sc, w.poitiers, d.ID, "seuil à 1 %", by)
		require.NoError(t, err)
		assert.Equal(t, 1, pub.Version.Number)
		assert.Equal(t, 5, pub.Summary.Changed)
		set, err = svc.Source().Set(ctx, w.poitiers)
		require.NoError(t, err)
		assert.Equal(t, "poitiers-v1+"+svc.Source().NationalVersion(), set.Version())
		_, ok := set.Catalogue().Check("academy.lv_groups")
		assert.True(t, ok)
		other, err := svc.Source().Set(ctx, w.bordeaux)
		require.NoError(t, err)
		assert.Equal(t, svc.Source().NationalVersion(), other.Version(), "Bordeaux keeps the national defaults")
		audit, _, err := st.ListAudit(ctx, sc, store.AuditFilter{Action: "policy.publish"})
		require.NoError(t, err)
		require.Len(t, audit, 1)
		assert.Contains(t, string(audit[0].After), `"pupils_affected":3360`)

		// Monitor mode: the new check is evaluated and visible, no longer counted.
		d2, err := svc.CreateDraft(ctx, sc, w.poitiers, authoring.NewDraft{Title: "Surveillance"}, by)
		require.NoError(t, err)
		assert.Equal(t, pub.Version.ID, d2.BaseVersionID)
		overrides := d2.Content.Overrides
		overrides["checks"] = map[string]any{"academy.lv_groups": map[string]any{"mode": "monitor"},
			"links.absent_ratio": map[string]any{"mode": "enforce", "start": "2026-11-02"}}
		d2, rep, err = svc.SaveDraft(ctx, sc, w.poitiers, d2.ID, authoring.DraftUpdate{Title: d2.Title, Revision: d2.Revision,
			Files: d2.Content.Files, Overrides: overrides}, by)
		require.NoError(t, err)
		require.True(t, rep.OK, "%v", rep.Problems)
		p, err = svc.PreviewDraft(ctx, sc, w.poitiers, d2.ID, time.Time{})
		require.NoError(t, err)
		lv = impact(t, p, "academy.lv_groups")
		assert.Equal(t, 5, lv.ModeChange)
		assert.Equal(t, 5, lv.ClosedTodo, "4 failing lycées and the collège where it is unknown")
		assert.Zero(t, lv.PassToFail+lv.FailToPass, "same results, other mode")
		ar = impact(t, p, "links.absent_ratio")
		assert.Equal(t, 5, ar.ClosedTodo, "monitored until its start date")
		assert.Equal(t, map[string]int{"at_risk>ready": 4}, StatusChangesOf(p))
		later, err := svc.PreviewDraft(ctx, sc, w.poitiers, d2.ID, time.Date(2026, 11, 3, 8, 0, 0, 0, time.UTC))
		require.NoError(t, err)
		_, changed := findImpact(later, "links.absent_ratio")
		assert.False(t, changed, "enforced again after its start date")

		pub2, err := svc.Publish(ctx, sc, w.poitiers, d2.ID, "nouveau contrôle en surveillance", by)
		require.NoError(t, err)
		assert.Equal(t, 2, pub2.Version.Number)
		assert.Equal(t, pub.Version.ID, pub2.Version.ParentID)
		set, err = svc.Source().Set(ctx, w.poitiers)
		require.NoError(t, err)
		eng, err := readiness.NewEngine(set)
		require.NoError(t, err)
		r, err := eng.EvaluateSnapshot(ctx, readiness.Request{School: readinesstest.School(w.lycees[0], campaign.KindLycee), Academy: "poitiers"},
			readinesstest.Snapshot(readinesstest.Lycee(w.lycees[0])), readinesstest.Now)
		require.NoError(t, err)
		c, _ := r.Check("academy.lv_groups")
		assert.Equal(t, readiness.CheckFail, c.Status)
		assert.Equal(t, policy.ModeMonitor, c.Mode)
		assert.False(t, c.Counts)
		assert.Equal(t, readiness.StatusReady, r.Status)

		// A draft saved after publication is read-only.
		_, _, err = svc.SaveDraft(ctx, sc, w.poitiers, d2.ID, authoring.DraftUpdate{Revision: d2.Revision}, by)
		assert.ErrorIs(t, err, apperr.ErrConflict)

		// Rollback to version 1.
		rb, err := svc.PreviewRollback(ctx, sc, w.poitiers, pub.Version.ID, time.Time{})
		require.NoError(t, err)
		assert.Equal(t, 5, impact(t, rb, "academy.lv_groups").NewTodo)
		back, err := svc.Rollback(ctx, sc, w.poitiers, pub.Version.ID, "", by)
		require.NoError(t, err)
		assert.Equal(t, 1, back.Version.Number)
		set, err = svc.Source().Set(ctx, w.poitiers)
		require.NoError(t, err)
		assert.Equal(t, "poitiers-v1+"+svc.Source().NationalVersion(), set.Version())
		_, err = svc.Rollback(ctx, sc, w.poitiers, pub.Version.ID, "", by)
		assert.ErrorIs(t, err, apperr.ErrConflict, "already in force")
		state, err := svc.State(ctx, sc, w.poitiers)
		require.NoError(t, err)
		assert.Equal(t, pub.Version.ID, state.PublishedID)
		require.Len(t, state.Publications, 3)
		assert.Equal(t, store.PolicyRollback, state.Publications[0].Action)
		assert.Equal(t, "retour à la version 1", state.Publications[0].Message)

		// Other academies see none of it.
		bsc := access.Academy(w.bordeaux.ID)
		_, err = svc.Draft(ctx, bsc, w.poitiers, d.ID)
		assert.ErrorIs(t, err, apperr.ErrNotFound)
		_, err = svc.Draft(ctx, bsc, w.bordeaux, d.ID)
		assert.ErrorIs(t, err, apperr.ErrNotFound)
		_, err = svc.Version(ctx, bsc, w.bordeaux, pub.Version.ID)
		assert.ErrorIs(t, err, apperr.ErrNotFound)
		_, err = svc.PreviewDraft(ctx, bsc, w.poitiers, d.ID, time.Time{})
		assert.ErrorIs(t, err, apperr.ErrNotFound)
		_, err = svc.Rollback(ctx, bsc, w.bordeaux, pub.Version.ID, "", by)
		assert.ErrorIs(t, err, apperr.ErrNotFound)
		_, err = svc.Evaluate(ctx, bsc, w.poitiers, 0, authoring.PlaygroundRequest{UAI: w.lycees[0]})
		assert.ErrorIs(t, err, apperr.ErrNotFound)
		_, err = svc.Export(ctx, bsc, w.bordeaux, authoring.BundleRef{VersionID: pub.Version.ID}, &bytes.Buffer{})
		assert.ErrorIs(t, err, apperr.ErrNotFound)
	})
}

func TestPlaygroundAndBundles(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := newWorld(t, st, 1, authoring.Options{})
		svc, sc, by := w.svc, w.scope, w.author
		d, err := svc.CreateDraft(ctx, sc, w.poitiers, authoring.NewDraft{}, by)
		require.NoError(t, err)
		d, _, err = svc.SaveDraft(ctx, sc, w.poitiers, d.ID, authoring.DraftUpdate{Revision: d.Revision,
			Files:     map[string]string{"readiness/academy/lv_groups.rego": lvCheck, "readiness/academy/lv_groups_test.rego": lvTest},
			Overrides: map[string]any{"tolerance_pct": 15}}, by)
		require.NoError(t, err)

		pg, err := svc.Evaluate(ctx, sc, w.poitiers, d.ID, authoring.PlaygroundRequest{UAI: w.lycees[0]})
		require.NoError(t, err)
		assert.Equal(t, fmt.Sprintf("draft-%d-r%d", d.ID, d.Revision), pg.Version)
		c, ok := pg.Report.Check("academy.lv_groups")
		require.True(t, ok)
		assert.Equal(t, readiness.CheckFail, c.Status)
		var in map[string]any
		require.NoError(t, json.Unmarshal(pg.Input, &in))
		assert.Equal(t, w.lycees[0], in["uai"])
		assert.Equal(t, "2026-10-05", in["today"])
		assert.Contains(t, in["facts"], "divisions")

		// The same input given back gives the same report.
		again, err := svc.Evaluate(ctx, sc, w.poitiers, d.ID, authoring.PlaygroundRequest{Input: pg.Input})
		require.NoError(t, err)
		assert.Equal(t, pg.Report.Status, again.Report.Status)
		assert.Equal(t, len(pg.Report.Todo), len(again.Report.Todo))
		published, err := svc.Evaluate(ctx, sc, w.poitiers, 0, authoring.PlaygroundRequest{UAI: w.lycees[0]})
		require.NoError(t, err)
		_, ok = published.Report.Check("academy.lv_groups")
		assert.False(t, ok, "the published set has no such check")
		empty, err := svc.Evaluate(ctx, sc, w.poitiers, 0, authoring.PlaygroundRequest{UAI: readinesstest.UAI(500)})
		require.NoError(t, err)
		assert.Equal(t, readiness.StatusAtRisk, empty.Report.Status, "a school that sent nothing: every check unknown")
		for _, bad := range []authoring.PlaygroundRequest{{}, {UAI: "123"}, {Input: json.RawMessage(`{"now":"x","facts":{}}`)},
			{Input: json.RawMessage(`{"now":"2026-10-05T10:00:00Z"}`)}, {UAI: w.lycees[0], Input: pg.Input}} {
			_, err := svc.Evaluate(ctx, sc, w.poitiers, d.ID, bad)
			assert.ErrorIs(t, err, apperr.ErrInvalid, "%+v", bad)
		}
		_, err = svc.Evaluate(ctx, sc, w.poitiers, d.ID, authoring.PlaygroundRequest{UAI: readinesstest.UAI(900)})
		assert.ErrorIs(t, err, apperr.ErrNotFound, "a school of another academy")

		// Export the draft as a bundle and import it back: the same content, checked.
		var buf bytes.Buffer
		rev, err := svc.Export(ctx, sc, w.poitiers, authoring.BundleRef{DraftID: d.ID}, &buf)
		require.NoError(t, err)
		assert.Equal(t, fmt.Sprintf("poitiers-draft-%d-r%d", d.ID, d.Revision), rev)
		imported, rep, err := svc.Import(ctx, sc, w.poitiers, &buf, "", by)
		require.NoError(t, err)
		assert.True(t, rep.OK, "%v %+v", rep.Problems, rep.Tests.Errored)
		assert.Equal(t, d.Content.Files, imported.Content.Files, "national files are left out")
		assert.Equal(t, d.Content.Overrides, imported.Content.Overrides)
		assert.Equal(t, "Import du bundle "+rev, imported.Title)
		assert.Equal(t, 1, imported.Revision)
		assert.NotEmpty(t, imported.LastCheck)

		buf.Reset()
		rev, err = svc.Export(ctx, sc, w.poitiers, authoring.BundleRef{}, &buf)
		require.NoError(t, err)
		assert.Equal(t, "poitiers-national", rev)
		b, err := policy.ReadBundle(&buf)
		require.NoError(t, err)
		assert.Len(t, b.Files, len(national(t)))
		_, _, err = svc.Import(ctx, sc, w.poitiers, bytes.NewReader([]byte("pas un bundle")), "", by)
		assert.ErrorIs(t, err, apperr.ErrInvalid)
	})
}

// TestTimeBudgets: an evaluation that exceeds its budget is stopped and reported, and so is a
// preview.
func TestTimeBudgets(t *testing.T) {
	ctx := context.Background()
	st := storetest.SQLite(t)
	w := newWorld(t, st, 2, authoring.Options{EvalTimeout: 100 * time.Millisecond})
	slow := `# METADATA
# scope: package
# title: Contrôle lent
# description: Une règle qui boucle beaucoup trop longtemps.
# custom:
#   id: academy.slow
#   severity: warning
#   step: 0
#   needs: [sts]
#   fix: Rien.
#   fix_stage: vigie
package vigie.checks.academy.slow

result := {"status": "pass", "items": []} if {
	not spin
}

spin if {
	some i in numbers.range(1, 20000)
	some j in numbers.range(1, 20000)
	i * j == -1
}
`
	d, err := w.svc.CreateDraft(ctx, w.scope, w.poitiers, authoring.NewDraft{}, w.author)
	require.NoError(t, err)
	d, _, err = w.svc.SaveDraft(ctx, w.scope, w.poitiers, d.ID, authoring.DraftUpdate{Revision: d.Revision,
		Files: map[string]string{"readiness/academy/slow.rego": slow}}, w.author)
	require.NoError(t, err)
	p, err := w.svc.PreviewDraft(ctx, w.scope, w.poitiers, d.ID, time.Time{})
	require.NoError(t, err)
	ci := impact(t, p, "academy.slow")
	assert.Equal(t, 3, ci.Errors)
	require.NotEmpty(t, p.Warnings)
	assert.Contains(t, p.Warnings[0], "academy.slow a dépassé son budget de temps dans 3 établissement(s)")
	pg, err := w.svc.Evaluate(ctx, w.scope, w.poitiers, d.ID, authoring.PlaygroundRequest{UAI: w.lycees[0]})
	require.NoError(t, err)
	c, _ := pg.Report.Check("academy.slow")
	assert.Equal(t, readiness.CheckError, c.Status)
	assert.Contains(t, c.Error, "délai dépassé")

	tight := authoring.New(st, w.svc.Source(), storetest.Logger(t), authoring.Options{PreviewBudget: 150 * time.Millisecond,
		EvalTimeout: 2 * time.Second, Now: func() time.Time { return readinesstest.Now }})
	_, err = tight.PreviewDraft(ctx, w.scope, w.poitiers, d.ID, time.Time{})
	var be *authoring.BudgetError
	require.ErrorAs(t, err, &be)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Contains(t, err.Error(), "aperçu interrompu")
}

func coveredModules(c *policy.Coverage) []string {
	var out []string
	for _, m := range c.Modules {
		out = append(out, m.Module)
	}
	return out
}

func findImpact(p *authoring.Preview, id string) (authoring.CheckImpact, bool) {
	for _, c := range p.Checks {
		if c.Check == id {
			return c, true
		}
	}
	return authoring.CheckImpact{}, false
}

func impact(t *testing.T, p *authoring.Preview, id string) authoring.CheckImpact {
	t.Helper()
	c, ok := findImpact(p, id)
	require.True(t, ok, "no impact for %s in %+v", id, p.Checks)
	return c
}

func StatusChangesOf(p *authoring.Preview) map[string]int {
	out := map[string]int{}
	for _, c := range p.StatusChanges {
		out[string(c.From)+">"+string(c.To)] = c.Schools
	}
	return out
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
