package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigie-edu/vigie/internal/access"
	"github.com/vigie-edu/vigie/internal/campaign"
	"github.com/vigie-edu/vigie/internal/readiness/readinesstest"
	"github.com/vigie-edu/vigie/internal/schedule"
	"github.com/vigie-edu/vigie/internal/store"
	"github.com/vigie-edu/vigie/internal/store/storetest"
)

// TestTwoReplicasShareTheDailyEvaluation starts two real `vigie serve` processes on one
// PostgreSQL database of six academies, with the daily evaluation due a few seconds later, and
// checks that they shared its academies: every academy evaluated exactly once, by one replica
// or the other, both replicas doing some, and one run record summing them.
func TestTwoReplicasShareTheDailyEvaluation(t *testing.T) {
	url := storetest.NewPostgresDatabase(t)
	ctx := context.Background()
	st, err := store.Open(ctx, url, storetest.Logger(t))
	require.NoError(t, err)
	defer st.Close()
	_, err = st.Migrate(ctx)
	require.NoError(t, err)
	codes := []string{"aix-marseille", "bordeaux", "creteil", "lille", "poitiers", "versailles"}
	const perAcademy = 20
	n := 0
	for _, code := range codes {
		a, err := st.CreateAcademy(ctx, access.System(), code, code)
		require.NoError(t, err)
		var schools []campaign.School
		for range perAcademy {
			n++
			uai := readinesstest.UAI(n)
			schools = append(schools, readinesstest.School(uai, campaign.KindLycee))
		}
		_, err = st.UpsertSchools(ctx, access.System(), a.ID, schools)
		require.NoError(t, err)
		for _, sc := range schools {
			snap := readinesstest.Snapshot(readinesstest.Lycee(sc.UAI))
			facts, err := json.Marshal(snap)
			require.NoError(t, err)
			_, err = st.SaveSnapshot(ctx, access.Academy(a.ID), store.Snapshot{AcademyID: a.ID, UAI: sc.UAI, SchoolYear: snap.SchoolYear,
				AsOf: snap.AsOf, SchemaVersion: snap.Version, Sources: []byte("{}"), Facts: facts})
			require.NoError(t, err)
		}
	}

	// The evaluation is due at one second, the same for both replicas, once both are up.
	due := time.Now().UTC().Add(15 * time.Second).Truncate(time.Second)
	never := "0 0 1 1 *"
	type replica struct {
		name           string
		cmd            *exec.Cmd
		stdout, stderr *syncBuffer
		done           chan error
	}
	start := func(name string) *replica {
		r := &replica{name: name, stdout: &syncBuffer{}, stderr: &syncBuffer{}, done: make(chan error, 1)}
		r.cmd = exec.Command(os.Args[0], "serve")
		r.cmd.Env = append(os.Environ(), runMainEnv+"=1", "VIGIE_DATABASE_URL="+url, "VIGIE_DATA_DIR="+t.TempDir(),
			"VIGIE_ADDR=127.0.0.1:0", "VIGIE_REPLICA="+name, "VIGIE_TIMEZONE=UTC", "VIGIE_LOG_FORMAT=json",
			fmt.Sprintf("VIGIE_CRON_EVALUATE=%d %d %d * * *", due.Second(), due.Minute(), due.Hour()),
			"VIGIE_CRON_DROPFOLDER="+never, "VIGIE_CRON_DIGEST="+never, "VIGIE_CRON_RETENTION="+never)
		r.cmd.Stdout, r.cmd.Stderr = r.stdout, r.stderr
		require.NoError(t, r.cmd.Start())
		go func() { r.done <- r.cmd.Wait() }()
		t.Cleanup(func() { _ = r.cmd.Process.Kill() })
		return r
	}
	replicas := []*replica{start("r1"), start("r2")}
	for _, r := range replicas {
		deadline := time.Now().Add(60 * time.Second)
		for !strings.Contains(r.stdout.String(), "listening on") {
			select {
			case err := <-r.done:
				t.Fatalf("%s exited before listening: %v\n%s", r.name, err, r.stderr)
			default:
			}
			require.True(t, time.Now().Before(deadline), "%s never listened:\n%s", r.name, r.stderr)
			time.Sleep(50 * time.Millisecond)
		}
	}
	require.True(t, time.Now().Before(due), "both replicas must be up before the evaluation is due; raise the delay")

	var job store.JobRun
	deadline := due.Add(3 * time.Minute)
	for job.ID == 0 || job.Status == store.JobRunning {
		require.True(t, time.Now().Before(deadline), "the daily evaluation did not finish:\n%s\n%s", tail(replicas[0].stderr.String(), 20), tail(replicas[1].stderr.String(), 20))
		time.Sleep(200 * time.Millisecond)
		runs, _, err := st.ListJobRuns(ctx, access.System(), store.JobRunFilter{Job: schedule.JobEvaluate})
		require.NoError(t, err)
		if len(runs) > 0 {
			require.Len(t, runs, 1, "one record for the slot")
			job = runs[0]
		}
	}
	for _, r := range replicas {
		require.NoError(t, r.cmd.Process.Signal(syscall.SIGTERM))
	}
	for _, r := range replicas {
		select {
		case err := <-r.done:
			assert.NoError(t, err, "%s exits cleanly on SIGTERM:\n%s", r.name, tail(r.stderr.String(), 20))
		case <-time.After(30 * time.Second):
			t.Fatalf("%s did not stop", r.name)
		}
	}

	assert.Equal(t, store.JobDone, job.Status, job.Error)
	assert.True(t, job.Slot.Equal(due), "slot %s, due %s", job.Slot, due)
	assert.Equal(t, len(codes), job.Counts["parts"])
	assert.Equal(t, len(codes), job.Counts["academies"])
	assert.Equal(t, n, job.Counts["schools"])

	parts, err := st.JobParts(ctx, access.System(), schedule.JobEvaluate, job.Slot)
	require.NoError(t, err)
	require.Len(t, parts, len(codes))
	byReplica := map[string][]string{}
	for _, p := range parts {
		assert.Equal(t, store.JobDone, p.Status, "%s: %s", p.Part, p.Error)
		assert.Equal(t, 1, p.Attempt, p.Part)
		assert.Equal(t, perAcademy, p.Counts["schools"], p.Part)
		byReplica[p.Replica] = append(byReplica[p.Replica], p.Part)
	}
	assert.Len(t, byReplica, 2, "both replicas evaluated academies: %v", byReplica)

	// The logs agree: each academy started once, on the replica its record names.
	for _, r := range replicas {
		started := partsStarted(t, r.stderr.String())
		assert.ElementsMatch(t, byReplica[r.name], started, "%s's log", r.name)
	}
	// The database agrees: one academy run per academy.
	for _, code := range codes {
		a, err := st.AcademyByCode(ctx, access.System(), code)
		require.NoError(t, err)
		runs, _, err := st.ListRuns(ctx, access.Academy(a.ID), a.ID, store.RunFilter{AcademyOnly: true})
		require.NoError(t, err)
		require.Len(t, runs, 1, code)
		assert.Equal(t, store.RunDone, runs[0].Status, code)
		assert.Equal(t, perAcademy, runs[0].Schools, code)
	}
	t.Logf("academies by replica: %v; the slot took %s", byReplica, job.FinishedAt.Sub(job.StartedAt).Round(time.Millisecond))
}

// partsStarted lists the parts a replica's JSON log says it started.
func partsStarted(t *testing.T, log string) []string {
	t.Helper()
	var out []string
	for _, line := range strings.Split(log, "\n") {
		var l struct{ Msg, Part string }
		if json.Unmarshal([]byte(line), &l) == nil && l.Msg == "job part started" {
			out = append(out, l.Part)
		}
	}
	return out
}
