package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigie-edu/vigie/internal/access"
	"github.com/vigie-edu/vigie/internal/campaign"
	"github.com/vigie-edu/vigie/internal/schedule"
	"github.com/vigie-edu/vigie/internal/store"
	"github.com/vigie-edu/vigie/internal/store/storetest"
)

// runMainEnv makes the test binary behave as the vigie command: the replica test starts real
// processes without building a second binary.
const runMainEnv = "VIGIE_TEST_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(runMainEnv) == "1" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		code := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
		stop()
		os.Exit(code)
	}
	os.Exit(m.Run())
}

var jobStartedRE = regexp.MustCompile(`msg="job started" job=(\S+) slot=(\S+) replica=(\S+) attempt=(\d+)`)

// TestTwoReplicasRunEachSlotOnce starts two real `vigie serve` processes on one fresh
// PostgreSQL database with every job scheduled every few seconds, lets them run, and checks
// from their logs and the database that every slot ran exactly once, on one replica.
func TestTwoReplicasRunEachSlotOnce(t *testing.T) {
	url := storetest.NewPostgresDatabase(t)
	ctx := context.Background()
	st, err := store.Open(ctx, url, storetest.Logger(t))
	require.NoError(t, err)
	defer st.Close()
	_, err = st.Migrate(ctx)
	require.NoError(t, err)
	academy, err := st.CreateAcademy(ctx, access.System(), "poitiers", "Poitiers")
	require.NoError(t, err)
	_, err = st.UpsertSchools(ctx, access.System(), academy.ID, []campaign.School{
		{UAI: "0790029C", Name: "Lycée Jean Macé", Kind: campaign.KindLycee},
		{UAI: "0860001J", Name: "Collège Henri IV", Kind: campaign.KindCollege},
	})
	require.NoError(t, err)

	crons := map[string]string{
		schedule.JobDropFolder: "*/3 * * * * *",
		schedule.JobEvaluate:   "1-59/3 * * * * *",
		schedule.JobDigest:     "2-59/3 * * * * *",
		schedule.JobRetention:  "*/4 * * * * *",
	}
	data := t.TempDir()
	type replica struct {
		name   string
		cmd    *exec.Cmd
		stderr *syncBuffer
		stdout *syncBuffer
		done   chan error
	}
	start := func(name string) *replica {
		r := &replica{name: name, stderr: &syncBuffer{}, stdout: &syncBuffer{}, done: make(chan error, 1)}
		r.cmd = exec.Command(os.Args[0], "serve", "--addr", "127.0.0.1:0", "--replica", name, "--log-level", "debug",
			"--cron-dropfolder", crons[schedule.JobDropFolder], "--cron-evaluate", crons[schedule.JobEvaluate],
			"--cron-digest", crons[schedule.JobDigest], "--cron-retention", crons[schedule.JobRetention])
		r.cmd.Env = append(os.Environ(), runMainEnv+"=1", "VIGIE_DATABASE_URL="+url, "VIGIE_DATA_DIR="+data)
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
	from := time.Now() // both replicas schedule from here on
	time.Sleep(12 * time.Second)
	until := time.Now()
	for _, r := range replicas {
		require.NoError(t, r.cmd.Process.Signal(syscall.SIGTERM))
	}
	for _, r := range replicas {
		select {
		case err := <-r.done:
			assert.NoError(t, err, "%s exits cleanly on SIGTERM:\n%s", r.name, tail(r.stderr.String(), 40))
		case <-time.After(30 * time.Second):
			t.Fatalf("%s did not stop", r.name)
		}
	}

	// From the logs: no (job, slot) started on two replicas, or twice on one.
	started := map[string][]string{}
	perReplica := map[string]int{}
	for _, r := range replicas {
		sc := bufio.NewScanner(strings.NewReader(r.stderr.String()))
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			if m := jobStartedRE.FindStringSubmatch(sc.Text()); m != nil {
				key := m[1] + " " + m[2]
				started[key] = append(started[key], m[3]+"#"+m[4])
				perReplica[m[3]]++
			}
		}
	}
	for key, who := range started {
		assert.Len(t, who, 1, "%s started %v", key, who)
	}

	// From the database: every slot of the window has one record, done; no other slot either.
	runs, _, err := st.ListJobRuns(ctx, access.System(), store.JobRunFilter{})
	require.NoError(t, err)
	got := map[string]store.JobRun{}
	for _, r := range runs {
		got[r.Job+" "+r.Slot.UTC().Format(time.RFC3339)] = r
		assert.Equal(t, store.JobDone, r.Status, "%s %s: %s", r.Job, r.Slot, r.Error)
		assert.Equal(t, 1, r.Attempt, "%s %s", r.Job, r.Slot)
	}
	expected := 0
	for job, expr := range crons {
		for _, slot := range ticks(t, expr, from.Add(time.Second), until.Add(-2*time.Second)) {
			expected++
			key := job + " " + slot.UTC().Format(time.RFC3339)
			r, ok := got[key]
			if assert.True(t, ok, "slot %s did not run", key) {
				assert.Len(t, started[job+" "+r.Slot.Format("2006-01-02T15:04:05.000Z")], 1, "log of %s", key)
			}
		}
	}
	assert.Equal(t, len(runs), len(started), "one start logged per record")
	evals, _, err := st.ListRuns(ctx, access.Academy(academy.ID), academy.ID, store.RunFilter{AcademyOnly: true})
	require.NoError(t, err)
	evalRecords := 0
	for _, r := range runs {
		if r.Job == schedule.JobEvaluate {
			evalRecords++
		}
	}
	assert.Equal(t, evalRecords, len(evals), "one evaluation run per evaluate slot")
	t.Logf("%d job runs over %s (%d slots in the checked window), started by replica: %v",
		len(runs), until.Sub(from).Round(time.Second), expected, perReplica)
}

// ticks lists the slots of a 6-field cron expression (seconds first) in (from, until].
func ticks(t *testing.T, expr string, from, until time.Time) []time.Time {
	t.Helper()
	f := strings.Fields(expr)
	require.Len(t, f, 6)
	var out []time.Time
	for s := from.Truncate(time.Second).Add(time.Second); !s.After(until); s = s.Add(time.Second) {
		if secondMatches(t, f[0], s.Second()) {
			out = append(out, s)
		}
	}
	return out
}

// secondMatches reads the seconds field forms the test uses: "*/n" and "a-b/n".
func secondMatches(t *testing.T, field string, sec int) bool {
	var lo, hi, step int
	switch {
	case strings.HasPrefix(field, "*/"):
		lo, hi = 0, 59
		_, err := fmt.Sscanf(field, "*/%d", &step)
		require.NoError(t, err)
	default:
		_, err := fmt.Sscanf(field, "%d-%d/%d", &lo, &hi, &step)
		require.NoError(t, err)
	}
	return sec >= lo && sec <= hi && (sec-lo)%step == 0
}

func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
