package schedule_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigie-edu/vigie/internal/access"
	"github.com/vigie-edu/vigie/internal/campaign"
	"github.com/vigie-edu/vigie/internal/evaluator"
	"github.com/vigie-edu/vigie/internal/fixture"
	"github.com/vigie-edu/vigie/internal/importer"
	"github.com/vigie-edu/vigie/internal/ingest"
	"github.com/vigie-edu/vigie/internal/policy"
	"github.com/vigie-edu/vigie/internal/readiness"
	"github.com/vigie-edu/vigie/internal/schedule"
	"github.com/vigie-edu/vigie/internal/store"
	"github.com/vigie-edu/vigie/internal/store/storetest"
	"github.com/vigie-edu/vigie/internal/tracker"
	"github.com/vigie-edu/vigie/policies"
)

// files lists the regular files under dir, relative, slash-separated.
func files(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out = append(out, filepath.ToSlash(rel))
		return nil
	})
	require.NoError(t, err)
	return out
}

func TestDropFolderEvaluationRetention(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		now := fixture.DefaultNow
		clock := func() time.Time { return now }
		a, err := fixture.NewAcademy(fixture.AcademySpec{Seed: 11, Now: now, Schools: 3, PupilScale: 0.2, FeedChunk: 2000,
			Customize: func(i int, s *fixture.SchoolSpec) {
				s.Kind = campaign.KindLycee
				if i == 1 {
					s.Defects.EmptyGroups = 2
				}
			}})
		require.NoError(t, err)
		root := t.TempDir()
		incoming := filepath.Join(root, "poitiers")
		res, err := fixture.WriteAcademy(incoming, a)
		require.NoError(t, err)
		academy, err := st.CreateAcademy(ctx, access.System(), "poitiers", "Poitiers")
		require.NoError(t, err)
		var schools []campaign.School
		for _, s := range res.Schools {
			schools = append(schools, campaign.School{UAI: s.UAI, Name: s.Name, Kind: s.Kind})
		}
		_, err = st.UpsertSchools(ctx, access.System(), academy.ID, schools)
		require.NoError(t, err)
		// Everything was written an hour ago, but for a file still arriving and a partial one.
		for _, f := range files(t, incoming) {
			require.NoError(t, os.Chtimes(filepath.Join(incoming, f), now.Add(-time.Hour), now.Add(-time.Hour)))
		}
		require.NoError(t, os.WriteFile(filepath.Join(incoming, "notes.xml"), []byte("<notes>pas un export</notes>"), 0o600))
		require.NoError(t, os.Chtimes(filepath.Join(incoming, "notes.xml"), now.Add(-time.Hour), now.Add(-time.Hour)))
		require.NoError(t, os.WriteFile(filepath.Join(incoming, "sts_emp_en_cours.xml.part"), []byte("<STS_EDT>"), 0o600))
		require.NoError(t, os.WriteFile(filepath.Join(incoming, "arrive.xml"), []byte("<x/>"), 0o600))
		require.NoError(t, os.Chtimes(filepath.Join(incoming, "arrive.xml"), now.Add(-10*time.Second), now.Add(-10*time.Second)))
		before := files(t, incoming)

		im := importer.New(st, storetest.Logger(t), ingest.DefaultLimits(), clock)
		drop := schedule.NewDropFolder(root, st, im, storetest.Logger(t), clock, time.Minute)
		counts, err := drop.Run(ctx, now)
		require.NoError(t, err)
		t.Logf("drop folder: %v", counts)
		assert.Equal(t, 1, counts["academies"])
		assert.Equal(t, 1, counts["waiting"], "the file modified 10 s ago")
		assert.Equal(t, 3, counts["schools"], "every school's snapshot rebuilt")
		assert.Positive(t, counts["accepted"])
		assert.Positive(t, counts["rejected"], "the CSV, notes.xml and last year's STS exports are not this year's exports")
		assert.Equal(t, counts["files"], counts["accepted"]+counts["duplicates"]+counts["rejected"])

		after := files(t, incoming)
		day := "2026-10-05"
		assert.ElementsMatch(t, []string{"arrive.xml", "sts_emp_en_cours.xml.part"}, filterTop(after), "only the files not ready stay")
		assert.Contains(t, after, "failed/"+day+"/notes.xml")
		reason, err := os.ReadFile(filepath.Join(incoming, "failed", day, "notes.xml.reason.txt"))
		require.NoError(t, err)
		assert.Contains(t, string(reason), "Fichier refusé par Vigie le 05/10/2026 à 09 h 30.")
		assert.Contains(t, string(reason), "Motif : ")
		// Nothing is lost: every file is somewhere.
		moved := 0
		for _, f := range after {
			if !strings.HasSuffix(f, ".reason.txt") {
				moved++
			}
		}
		assert.Equal(t, len(before), moved)
		for _, s := range res.Schools {
			_, err := st.SnapshotAt(ctx, access.Academy(academy.ID), s.UAI, time.Time{})
			assert.NoError(t, err, s.UAI)
		}

		// A second run finds nothing new; a file dropped again is a duplicate, moved to done.
		counts, err = drop.Run(ctx, now)
		require.NoError(t, err)
		assert.Equal(t, 0, counts["files"])
		var again string
		for _, f := range after {
			if strings.HasPrefix(f, "done/") && strings.Contains(f, "sts_emp") {
				again = f
				break
			}
		}
		require.NotEmpty(t, again)
		rel := strings.TrimPrefix(again, "done/"+day+"/")
		content, err := os.ReadFile(filepath.Join(incoming, again))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(incoming, rel), content, 0o600))
		require.NoError(t, os.Chtimes(filepath.Join(incoming, rel), now.Add(-time.Hour), now.Add(-time.Hour)))
		counts, err = drop.Run(ctx, now)
		require.NoError(t, err)
		assert.Equal(t, 1, counts["duplicates"])
		ext := filepath.Ext(rel)
		assert.FileExists(t, filepath.Join(incoming, "done", day, strings.TrimSuffix(rel, ext)+".1"+ext), "never over another file")

		// The daily evaluation evaluates the academy and refreshes its campaign.
		national, err := policy.LoadFS(policies.FS, policies.ReadinessDir)
		require.NoError(t, err)
		sets := evaluator.NewNationalSource(national)
		campaignFiles, err := policy.LoadFS(policies.FS, policies.CampaignDir)
		require.NoError(t, err)
		rules, err := policy.CompileStepRules(ctx, campaignFiles)
		require.NoError(t, err)
		ev := evaluator.New(st, sets, storetest.Logger(t), evaluator.Options{Now: clock})
		tr := tracker.New(st, rules, sets, readiness.DefaultTiming(), storetest.Logger(t))
		job := schedule.EvaluationJob(schedule.DefaultEvaluateCron, schedule.NewEvaluation(st, ev, tr, clock, storetest.Logger(t)))
		counts, err = job.Run(ctx, now)
		require.NoError(t, err)
		assert.Equal(t, 1, counts["academies"])
		assert.Equal(t, 3, counts["schools"])
		assert.Equal(t, 3, counts["ready"]+counts["at_risk"]+counts["not_ready"])
		assert.Equal(t, 3*13, counts["step_changes"])
		fs, err := st.Forecasts(ctx, access.Academy(academy.ID), academy.ID, store.ForecastFilter{})
		require.NoError(t, err)
		assert.Len(t, fs, 3)

		// Retention keeps what is recent.
		counts, err = schedule.RetentionJob(schedule.DefaultRetentionCron, st, schedule.Retention{Records: 400 * 24 * time.Hour,
			Imports: 400 * 24 * time.Hour, Results: 800 * 24 * time.Hour}, clock).Run(ctx, now)
		require.NoError(t, err)
		assert.Equal(t, 0, counts["job_runs"])
		assert.Equal(t, 0, counts["import_originals"])
		assert.Equal(t, 0, counts["old_results"])
	})
}

func filterTop(fs []string) []string {
	var out []string
	for _, f := range fs {
		if !strings.Contains(f, "/") {
			out = append(out, f)
		}
	}
	return out
}
