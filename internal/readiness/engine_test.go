package readiness_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigie-edu/vigie/internal/campaign"
	"github.com/vigie-edu/vigie/internal/fact"
	"github.com/vigie-edu/vigie/internal/policy"
	"github.com/vigie-edu/vigie/internal/readiness"
	"github.com/vigie-edu/vigie/internal/readiness/readinesstest"
	"github.com/vigie-edu/vigie/policies"
)

var (
	setOnce sync.Once
	set     *policy.Set
	setErr  error
)

func engine(t testing.TB, opts ...readiness.Option) *readiness.Engine {
	t.Helper()
	setOnce.Do(func() {
		files, err := policy.LoadFS(policies.FS, policies.ReadinessDir)
		if err != nil {
			setErr = err
			return
		}
		set, setErr = policy.Compile(context.Background(), files, policy.WithAcademy("poitiers"), policy.WithVersion("national-test"))
	})
	require.NoError(t, setErr)
	e, err := readiness.NewEngine(set, opts...)
	require.NoError(t, err)
	return e
}

func request(t testing.TB, snap *fact.Snapshot, kind campaign.Kind) readiness.Request {
	t.Helper()
	b, err := json.Marshal(snap)
	require.NoError(t, err)
	return readiness.Request{School: readinesstest.School(snap.UAI, kind), Academy: "poitiers", SchoolYear: 2026, Snapshot: b}
}

func TestTypicalSchoolIsReady(t *testing.T) {
	snap := readinesstest.Snapshot(readinesstest.Lycee(readinesstest.UAI(7)))
	rep, err := engine(t).Evaluate(context.Background(), request(t, snap, campaign.KindLycee), readinesstest.Now)
	require.NoError(t, err)
	assert.Equal(t, readiness.StatusReady, rep.Status)
	assert.Empty(t, rep.Todo)
	assert.Len(t, rep.Checks, 24)
	assert.Equal(t, snap.UAI, rep.UAI)
	assert.Equal(t, 2026, rep.SchoolYear)
	assert.Equal(t, "national-test", rep.PolicyVersion)
	for _, c := range rep.Checks {
		assert.Equal(t, readiness.CheckPass, c.Status, c.ID)
		assert.True(t, c.Counts)
	}
}

func TestEmptyGroupsFromSIECLEToTheENT(t *testing.T) {
	snap := readinesstest.Snapshot(readinesstest.Lycee(readinesstest.UAI(8)))
	for _, k := range []string{"301 GR1", "301 GR2"} {
		snap.Groups[k].SIECLE.Pupils = 0
		snap.Groups[k].ENT.Pupils = 0
	}
	rep, err := engine(t).Evaluate(context.Background(), request(t, snap, campaign.KindLycee), readinesstest.Now)
	require.NoError(t, err)
	assert.Equal(t, readiness.StatusNotReady, rep.Status)

	var order []string
	for _, item := range rep.Todo {
		order = append(order, item.Check)
	}
	assert.Equal(t, []string{"siecle.groups_populated", "sts.group_headcount", "ent.groups_populated"}, order,
		"the ENT agrees with SIECLE-BEE: both have no pupil")
	ent := rep.Todo[2]
	assert.Equal(t, []string{"siecle.groups_populated"}, ent.BlockedBy, "the empty ENT group waits for the SIECLE links")
	c, _ := rep.Check("siecle.groups_populated")
	require.Len(t, c.Items, 2)
	assert.Equal(t, "301 GR1", c.Items[0].Code)
	assert.Contains(t, c.Fix, "Importations > Lien élève-groupe depuis logiciel privé")
}

func TestMissingSourcesAreNeverAPass(t *testing.T) {
	snap := readinesstest.Snapshot(readinesstest.Lycee(readinesstest.UAI(9)))
	snap.Sources = map[fact.Source]fact.SourceInfo{}
	rep, err := engine(t).Evaluate(context.Background(), request(t, snap, campaign.KindLycee), readinesstest.Now)
	require.NoError(t, err)
	for _, c := range rep.Checks {
		assert.Equal(t, readiness.CheckUnknown, c.Status, c.ID)
	}
	assert.Equal(t, readiness.StatusAtRisk, rep.Status)
	assert.Len(t, rep.Todo, 24)
}

func TestEvaluateSnapshotAndSchoolYearDefault(t *testing.T) {
	snap := readinesstest.Snapshot(readinesstest.Lycee(readinesstest.UAI(10)))
	college := readinesstest.School(snap.UAI, campaign.KindCollege)
	rep, err := engine(t).EvaluateSnapshot(context.Background(), readiness.Request{School: college}, snap, readinesstest.Now)
	require.NoError(t, err)
	assert.Equal(t, 2026, rep.SchoolYear, "October 2026 is in the 2026-2027 campaign")
	assert.Equal(t, readiness.StatusReady, rep.Status)
}

func TestEvaluateRejectsBadSnapshots(t *testing.T) {
	e := engine(t)
	school := readinesstest.School(readinesstest.UAI(11), campaign.KindLycee)
	for _, snap := range []string{``, `[]`, `{"uai": `, `{"a": 1} {"b": 2}`} {
		_, err := e.Evaluate(context.Background(), readiness.Request{School: school, Snapshot: []byte(snap)}, readinesstest.Now)
		assert.Error(t, err, snap)
	}
	_, err := e.Evaluate(context.Background(), readiness.Request{School: school}, readinesstest.Now)
	assert.Error(t, err, "no snapshot and no loader")
}

func TestRunAcademy(t *testing.T) {
	e := engine(t)
	var reqs []readiness.Request
	for i := range 40 {
		snap := readinesstest.Snapshot(readinesstest.Spec{UAI: readinesstest.UAI(100 + i), Divisions: 6, GroupsPerDivision: 2, PupilsPerDivision: 25})
		if i%4 == 1 {
			for _, d := range snap.Divisions {
				d.STS.PP = nil
			}
		}
		if i%4 == 2 {
			for _, g := range snap.Groups {
				g.ENT.TeacherLinks = 0
			}
		}
		req := request(t, snap, campaign.KindLycee)
		if i%4 == 3 {
			b := req.Snapshot
			req.Snapshot = nil
			req.Load = func(context.Context) ([]byte, error) { return b, nil }
		}
		reqs = append(reqs, req)
	}
	reqs[39].Load = func(context.Context) ([]byte, error) { return nil, errors.New("snapshot lost") }

	run, err := e.RunAcademy(context.Background(), reqs, readiness.RunOptions{Now: readinesstest.Now, Workers: 3})
	require.NoError(t, err)
	require.Len(t, run.Outcomes, 40)
	assert.Equal(t, 10, run.NotReady)
	assert.Equal(t, 10, run.AtRisk)
	assert.Equal(t, 19, run.Ready)
	assert.Equal(t, 1, run.Failed)
	for i, o := range run.Outcomes {
		assert.Equal(t, reqs[i].School.UAI, o.UAI, "outcomes in request order")
	}
	assert.ErrorContains(t, run.Outcomes[39].Err, "snapshot lost")
}

func TestRunAcademyStopsWhenCancelled(t *testing.T) {
	e := engine(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	reqs := make([]readiness.Request, 5)
	for i := range reqs {
		reqs[i] = request(t, readinesstest.Snapshot(readinesstest.Spec{UAI: readinesstest.UAI(200 + i), Divisions: 2, PupilsPerDivision: 20}), campaign.KindCollege)
	}
	_, err := e.RunAcademy(ctx, reqs, readiness.RunOptions{Now: readinesstest.Now})
	assert.ErrorIs(t, err, context.Canceled)
}

func TestEngineTimingOption(t *testing.T) {
	tm := readiness.DefaultTiming()
	tm.NightlyCutoff = 10 * time.Hour
	e := engine(t, readiness.WithTiming(tm))
	snap := readinesstest.Snapshot(readinesstest.Lycee(readinesstest.UAI(12)))
	snap.Groups["301 GR1"].ENT.Pupils = 0
	rep, err := e.Evaluate(context.Background(), request(t, snap, campaign.KindLycee), readinesstest.Now)
	require.NoError(t, err)
	require.NotEmpty(t, rep.Todo)
	assert.Equal(t, time.Date(2026, 10, 6, 10, 0, 0, 0, tm.Location), rep.Todo[0].Deadline.Time, "11:30 is past a 10:00 cut-off")

	bad := readiness.DefaultTiming()
	bad.HandoverTime = -time.Hour
	_, err = readiness.NewEngine(set, readiness.WithTiming(bad))
	assert.Error(t, err)
	_, err = readiness.NewEngine(nil)
	assert.Error(t, err)
}

func ExampleFrenchDate() {
	paris := readiness.DefaultTiming().Location
	fmt.Println(readiness.FrenchDate(time.Date(2026, 11, 30, 23, 30, 0, 0, time.UTC), paris))
	// Output: mardi 1er décembre 2026
}
