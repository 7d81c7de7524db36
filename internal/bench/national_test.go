//go:build national

package bench

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the history is copied in bulk with SQL

	"github.com/stretchr/testify/require"

	"github.com/vigie-edu/vigie/internal/access"
	"github.com/vigie-edu/vigie/internal/auth"
	"github.com/vigie-edu/vigie/internal/campaign"
	"github.com/vigie-edu/vigie/internal/evaluator"
	"github.com/vigie-edu/vigie/internal/fixture"
	"github.com/vigie-edu/vigie/internal/policy"
	"github.com/vigie-edu/vigie/internal/store"
	"github.com/vigie-edu/vigie/internal/store/storetest"
	"github.com/vigie-edu/vigie/policies"
)

// The 30 academies with weights close to their share of France's ~11,000 collèges and
// lycées (public and private), so that a total of N schools gives each a realistic size.
var academies = []struct {
	code   string
	weight float64
}{
	{"versailles", 11}, {"lille", 9.5}, {"creteil", 9}, {"lyon", 8}, {"nantes", 8}, {"rennes", 7}, {"grenoble", 7},
	{"aix-marseille", 6.5}, {"bordeaux", 6.5}, {"normandie", 6.5}, {"toulouse", 6}, {"paris", 5.5}, {"montpellier", 5},
	{"nancy-metz", 5}, {"orleans-tours", 4.8}, {"nice", 4}, {"strasbourg", 3.5}, {"amiens", 3.5}, {"poitiers", 3.2},
	{"dijon", 3}, {"reims", 2.8}, {"clermont-ferrand", 2.8}, {"besancon", 2.3}, {"la-reunion", 1.4}, {"limoges", 1.3},
	{"guadeloupe", 0.9}, {"martinique", 0.8}, {"guyane", 0.6}, {"corse", 0.5}, {"mayotte", 0.4},
}

// days of history: days-1 copied from one real evaluation, then the measured one.
const days = 60

// figures is what one size measured.
type figures struct {
	Schools, Academies       int
	Seed                     time.Duration // schools and snapshots (generated, stored)
	InProcess                time.Duration // the real evaluator in this process, every academy
	History                  time.Duration // copying 58 days of results in SQL
	Job                      time.Duration // the replica's daily evaluation job (evaluation + campaign refresh)
	Evaluation               time.Duration // sum of the replica's academy runs
	SummaryCold, SummaryWarm time.Duration // p50 over academies of the first request after the run; p50 of repeats
	SummaryColdMax           time.Duration
	SummaryLargest           time.Duration // first request on the largest academy
	DBBytes                  int64
	Results, Checks          int64
	RSSPeak, RSSEnd          int64 // the replica, VmHWM and VmRSS after the run and the requests
}

func (f figures) perSchool(d time.Duration) float64 { return d.Seconds() * 1000 / float64(f.Schools) }

// TestNational measures Vigie at national scale. VIGIE_NATIONAL_SIZES lists the sizes
// (default 1000,3000,11000); the report is logged and written to VIGIE_NATIONAL_REPORT if set.
func TestNational(t *testing.T) {
	sizes := []int{1000, 3000, 11000}
	if v := os.Getenv("VIGIE_NATIONAL_SIZES"); v != "" {
		sizes = nil
		for _, s := range strings.Split(v, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(s))
			require.NoError(t, err)
			sizes = append(sizes, n)
		}
	}
	bin := filepath.Join(t.TempDir(), "vigie")
	build := exec.Command("go", "build", "-o", bin, "github.com/vigie-edu/vigie/cmd/vigie")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "build vigie: %s", out)

	began := time.Now()
	var all []figures
	for _, n := range sizes {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			f := measure(t, bin, n)
			all = append(all, f)
			t.Logf("%d schools: %+v", n, f)
		})
	}
	report := render(all, time.Since(began))
	t.Log("\n" + report)
	if p := os.Getenv("VIGIE_NATIONAL_REPORT"); p != "" {
		require.NoError(t, os.WriteFile(p, []byte(report), 0o644))
	}
}

func render(all []figures, took time.Duration) string {
	var b strings.Builder
	fmt.Fprintf(&b, "National benchmark (%d academies, %d days of history, PostgreSQL, GOMAXPROCS %d), %s in all\n\n",
		len(academies), days, runtime.GOMAXPROCS(0), took.Round(time.Second))
	fmt.Fprintf(&b, "| schools | daily job | job schools/s | evaluation | eval ms/school | in-process eval | summary cold p50 / max / largest | summary warm p50 | database | per school | results | check rows | replica RSS peak / end |\n")
	fmt.Fprintf(&b, "|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, f := range all {
		fmt.Fprintf(&b, "| %d | %s | %.0f | %s | %.2f | %s | %s / %s / %s | %s | %s | %s | %d | %d | %s / %s |\n",
			f.Schools, f.Job.Round(100*time.Millisecond), float64(f.Schools)/f.Job.Seconds(), f.Evaluation.Round(100*time.Millisecond),
			f.perSchool(f.Evaluation), f.InProcess.Round(100*time.Millisecond),
			f.SummaryCold.Round(time.Millisecond), f.SummaryColdMax.Round(time.Millisecond), f.SummaryLargest.Round(time.Millisecond),
			f.SummaryWarm.Round(100*time.Microsecond), mib(f.DBBytes), kib(f.DBBytes/int64(f.Schools)), f.Results, f.Checks,
			mib(f.RSSPeak), mib(f.RSSEnd))
	}
	if len(all) > 1 {
		base, last := all[0], all[len(all)-1]
		x := float64(last.Schools) / float64(base.Schools)
		fmt.Fprintf(&b, "\nFrom %d to %d schools (x%.1f):\n", base.Schools, last.Schools, x)
		fmt.Fprintf(&b, "- daily job time x%.2f (per school x%.2f)\n", last.Job.Seconds()/base.Job.Seconds(), last.perSchool(last.Job)/base.perSchool(base.Job))
		fmt.Fprintf(&b, "- evaluation time x%.2f (per school x%.2f)\n", last.Evaluation.Seconds()/base.Evaluation.Seconds(), last.perSchool(last.Evaluation)/base.perSchool(base.Evaluation))
		fmt.Fprintf(&b, "- database size x%.2f (per school x%.2f)\n", float64(last.DBBytes)/float64(base.DBBytes), float64(last.DBBytes)/float64(base.DBBytes)/x)
		fmt.Fprintf(&b, "- summary cold p50 x%.2f, warm p50 x%.2f (an academy's size grows x%.1f)\n", last.SummaryCold.Seconds()/base.SummaryCold.Seconds(),
			last.SummaryWarm.Seconds()/base.SummaryWarm.Seconds(), x)
		fmt.Fprintf(&b, "- replica RSS peak x%.2f\n", float64(last.RSSPeak)/float64(base.RSSPeak))
	}
	return b.String()
}

func mib(n int64) string { return fmt.Sprintf("%.0f MiB", float64(n)/(1<<20)) }
func kib(n int64) string { return fmt.Sprintf("%.0f KiB", float64(n)/(1<<10)) }

// measure seeds a fresh database with n schools and their history, runs the daily evaluation
// in a real replica, and measures.
func measure(t *testing.T, bin string, n int) figures {
	ctx := context.Background()
	url := storetest.NewPostgresDatabase(t)
	st, err := store.Open(ctx, url, storetest.Logger(t))
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	_, err = st.Migrate(ctx)
	require.NoError(t, err)
	f := figures{Schools: n, Academies: len(academies)}

	// Yesterday's data, evaluated yesterday; the replica evaluates today.
	today := time.Now().UTC().Truncate(time.Minute)
	yesterday := today.Add(-24 * time.Hour)
	start := time.Now()
	acads := seed(t, st, n, yesterday)
	f.Seed = time.Since(start)
	t.Logf("%d schools and snapshots stored in %s", n, f.Seed.Round(time.Second))

	files, err := policy.LoadFS(policies.FS, policies.ReadinessDir)
	require.NoError(t, err)
	ev := evaluator.New(st, evaluator.NewNationalSource(files), storetest.Logger(t), evaluator.Options{Now: func() time.Time { return yesterday }})
	start = time.Now()
	first := map[int64]int64{} // academy -> run id
	for _, a := range acads {
		run, err := ev.RunAcademy(ctx, access.Academy(a.ID), a, "bench", "bench")
		require.NoError(t, err)
		first[a.ID] = run.ID
	}
	f.InProcess = time.Since(start)
	t.Logf("in-process evaluation of %d schools: %s", n, f.InProcess.Round(time.Second))

	db, err := sql.Open("pgx", url)
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	start = time.Now()
	copyHistory(t, db, first)
	f.History = time.Since(start)
	t.Logf("history copied in %s", f.History.Round(time.Second))

	token := supervisor(t, st, acads)
	f = runReplica(t, bin, url, token, acads, f)

	require.NoError(t, db.QueryRowContext(ctx, `SELECT pg_database_size(current_database())`).Scan(&f.DBBytes))
	require.NoError(t, db.QueryRowContext(ctx, `SELECT count(*) FROM results`).Scan(&f.Results))
	require.NoError(t, db.QueryRowContext(ctx, `SELECT count(*) FROM check_results`).Scan(&f.Checks))
	return f
}

// seed stores the academies, their schools and one fact snapshot per school, generated by the
// fixture at realistic sizes with a third of the schools carrying defects.
func seed(t *testing.T, st *store.Store, n int, now time.Time) []campaign.Academy {
	ctx := context.Background()
	sizes := split(n)
	type job struct {
		academy campaign.Academy
		spec    fixture.SchoolSpec
	}
	jobs := make(chan job, 64)
	var out []campaign.Academy
	dep := 1
	var specs []job
	for i, a := range academies {
		size := sizes[i]
		var deps []string
		for len(deps) < 3 {
			if dep != 20 {
				deps = append(deps, fmt.Sprintf("%02d", dep))
			}
			dep++
		}
		plan, err := fixture.NewAcademy(fixture.AcademySpec{Seed: uint64(i + 1), Now: now, Code: a.code, Number: fmt.Sprintf("%02d", i+1),
			Departements: deps, Schools: size, DefectiveShare: 0.35, DirectoryRows: -1})
		require.NoError(t, err)
		acad, err := st.CreateAcademy(ctx, access.System(), a.code, plan.Spec.Name)
		require.NoError(t, err)
		out = append(out, acad)
		schools := make([]campaign.School, 0, size)
		for _, sp := range plan.Schools {
			id, err := fixture.IdentityOf(sp)
			require.NoError(t, err)
			schools = append(schools, campaign.School{UAI: id.UAI, Name: id.Name, Kind: id.Kind, Departement: id.Departement})
			specs = append(specs, job{acad, sp})
		}
		_, err = st.UpsertSchools(ctx, access.System(), acad.ID, schools)
		require.NoError(t, err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, runtime.GOMAXPROCS(0))
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				if err := storeSnapshot(ctx, st, j.academy, j.spec, now); err != nil {
					errs <- err
					for range jobs {
					}
					return
				}
			}
		}()
	}
	for _, j := range specs {
		jobs <- j
	}
	close(jobs)
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	return out
}

// split shares n schools among the academies by weight (largest remainders), each at least one.
func split(n int) []int {
	var total float64
	for _, a := range academies {
		total += a.weight
	}
	sizes := make([]int, len(academies))
	rest := make([]float64, len(academies))
	left := n
	for i, a := range academies {
		exact := float64(n-len(academies)) * a.weight / total
		sizes[i] = 1 + int(exact)
		rest[i] = exact - float64(int(exact))
		left -= sizes[i]
	}
	for ; left > 0; left-- {
		best := 0
		for i := range rest {
			if rest[i] > rest[best] {
				best = i
			}
		}
		sizes[best]++
		rest[best] = -1
	}
	return sizes
}

func storeSnapshot(ctx context.Context, st *store.Store, a campaign.Academy, sp fixture.SchoolSpec, now time.Time) error {
	s, err := fixture.NewSchool(sp)
	if err != nil {
		return err
	}
	snap := s.Snapshot()
	facts, err := json.Marshal(snap)
	if err != nil {
		return err
	}
	sources, err := json.Marshal(snap.Sources)
	if err != nil {
		return err
	}
	_, err = st.SaveSnapshot(ctx, access.Academy(a.ID), store.Snapshot{AcademyID: a.ID, UAI: sp.UAI, SchoolYear: snap.SchoolYear,
		AsOf: now, CreatedAt: now, SchemaVersion: snap.Version, Sources: sources, Facts: facts})
	return err
}

// copyHistory copies each academy's evaluated run to the days before it (days-2 of them), with
// the real reports and check outcomes; older days have more schools not ready, as early in a
// campaign.
func copyHistory(t *testing.T, db *sql.DB, first map[int64]int64) {
	ctx := context.Background()
	for academy, runID := range first {
		_, err := db.ExecContext(ctx, `
			INSERT INTO runs (academy_id, trigger, requested_by, policy_version, started_at, finished_at, status, schools, ready, at_risk, not_ready, errors)
			SELECT academy_id, 'schedule', 'vigie', policy_version, started_at - (d || ' days')::interval,
			       finished_at - (d || ' days')::interval, status, schools, ready, at_risk, not_ready, errors
			FROM runs, generate_series(1, $2 - 2) d WHERE id = $1`, runID, days)
		require.NoError(t, err)
		_, err = db.ExecContext(ctx, `
			INSERT INTO results (run_id, academy_id, uai, snapshot_id, policy_version, evaluated_at, final, status, blockers, errors, warnings, unknown, todo, pupils_affected, report)
			SELECT n.id, o.academy_id, o.uai, o.snapshot_id, o.policy_version, n.started_at + (o.evaluated_at - f.started_at), true,
			       CASE WHEN abs(hashtext(o.uai)) % 100 < 60 * EXTRACT(EPOCH FROM (f.started_at - n.started_at)) / 86400 / $3
			            THEN 'not_ready' ELSE o.status END,
			       o.blockers, o.errors, o.warnings, o.unknown, o.todo, o.pupils_affected, o.report
			FROM runs f JOIN results o ON o.run_id = f.id
			JOIN runs n ON n.academy_id = f.academy_id AND n.id <> f.id
			WHERE f.id = $1 AND n.academy_id = $2`, runID, academy, days)
		require.NoError(t, err)
		_, err = db.ExecContext(ctx, `
			INSERT INTO check_results (result_id, run_id, academy_id, uai, check_id, status, severity, items)
			SELECT n.id, n.run_id, n.academy_id, n.uai, c.check_id, c.status, c.severity, c.items
			FROM results n JOIN results o ON o.run_id = $1 AND o.uai = n.uai
			JOIN check_results c ON c.result_id = o.id
			WHERE n.academy_id = $2 AND n.run_id <> $1`, runID, academy)
		require.NoError(t, err)
	}
	_, err := db.ExecContext(ctx, `VACUUM ANALYZE`)
	require.NoError(t, err)
}

// supervisor makes a supervisor of every academy and returns an API token of theirs.
func supervisor(t *testing.T, st *store.Store, acads []campaign.Academy) string {
	ctx := context.Background()
	sys, by := access.System(), store.SystemActor("bench")
	u, err := st.CreateUser(ctx, sys, store.NewUser{Login: "bench"}, by)
	require.NoError(t, err)
	for _, a := range acads {
		_, err = st.AddGrant(ctx, sys, access.Grant{UserID: u.ID, AcademyID: a.ID, Role: access.Supervisor}, by)
		require.NoError(t, err)
	}
	secret, err := auth.NewToken()
	require.NoError(t, err)
	_, err = st.CreateToken(ctx, sys, store.Token{UserID: u.ID, Name: "bench", Prefix: secret[:auth.TokenShownPrefix], Scopes: []string{"read"},
		ExpiresAt: time.Now().Add(6 * time.Hour)}, auth.HashSecret(secret), by)
	require.NoError(t, err)
	return secret
}

var listenRE = regexp.MustCompile(`listening on (http://\S+)`)

// runReplica starts one `vigie serve` on the database with the daily evaluation due in a few
// seconds, waits for the job to finish, reads the summaries, and measures its memory.
func runReplica(t *testing.T, bin, url, token string, acads []campaign.Academy, f figures) figures {
	ctx := context.Background()
	due := time.Now().UTC().Add(12 * time.Second).Truncate(time.Second)
	never := "0 0 1 1 *"
	cmd := exec.Command(bin, "serve")
	cmd.Env = []string{"VIGIE_ADDR=127.0.0.1:0", "VIGIE_DATABASE_URL=" + url, "VIGIE_DATA_DIR=" + t.TempDir(),
		"VIGIE_LOG_FORMAT=json", "VIGIE_TIMEZONE=UTC", "VIGIE_REPLICA=bench-1", "VIGIE_COOKIE_SECURE=false",
		fmt.Sprintf("VIGIE_CRON_EVALUATE=%d %d %d * * *", due.Second(), due.Minute(), due.Hour()),
		"VIGIE_CRON_DROPFOLDER=" + never, "VIGIE_CRON_DIGEST=" + never, "VIGIE_CRON_RETENTION=" + never, "VIGIE_JOB_RETRIES=0"}
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	logs, err := os.Create(filepath.Join(t.TempDir(), "replica.log"))
	require.NoError(t, err)
	cmd.Stderr = logs
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	base := ""
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if m := listenRE.FindStringSubmatch(sc.Text()); m != nil {
			base = m[1]
			break
		}
	}
	require.NotEmpty(t, base, "the replica never listened")
	go func() { _, _ = io.Copy(io.Discard, stdout) }()

	st, err := store.Open(ctx, url, storetest.Logger(t))
	require.NoError(t, err)
	defer st.Close()
	var job store.JobRun
	deadline := time.Now().Add(40 * time.Minute)
	for {
		runs, _, err := st.ListJobRuns(ctx, access.System(), store.JobRunFilter{Job: "evaluate"})
		require.NoError(t, err)
		if len(runs) == 1 && runs[0].Status != store.JobRunning {
			job = runs[0]
			break
		}
		require.True(t, time.Now().Before(deadline), "the daily evaluation did not finish")
		time.Sleep(time.Second)
	}
	require.Equal(t, store.JobDone, job.Status, "daily evaluation: %s", job.Error)
	f.Job = job.FinishedAt.Sub(job.StartedAt)
	require.Equal(t, f.Schools, job.Counts["schools"])
	for _, a := range acads {
		runs, _, err := st.ListRuns(ctx, access.Academy(a.ID), a.ID, store.RunFilter{AcademyOnly: true, Since: job.StartedAt.Add(-time.Second), Limit: 1})
		require.NoError(t, err)
		require.Len(t, runs, 1, "today's run of %s", a.Code)
		f.Evaluation += runs[0].Duration()
	}

	get := func(path string) time.Duration {
		req, err := http.NewRequest(http.MethodGet, base+path, nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+token)
		start := time.Now()
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode, path)
		return time.Since(start)
	}
	var cold []time.Duration
	for i, a := range acads { // the largest academy first
		d := get("/api/v1/academies/" + a.Code + "/summary")
		if i == 0 {
			f.SummaryLargest = d
		}
		cold = append(cold, d)
	}
	var warm []time.Duration
	for range 50 {
		warm = append(warm, get("/api/v1/academies/"+acads[0].Code+"/summary"))
	}
	slices.Sort(cold)
	slices.Sort(warm)
	f.SummaryCold, f.SummaryColdMax, f.SummaryWarm = cold[len(cold)/2], cold[len(cold)-1], warm[len(warm)/2]

	f.RSSPeak, f.RSSEnd = procMemory(t, cmd.Process.Pid)
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	require.NoError(t, cmd.Wait())
	return f
}

// procMemory reads the peak and current resident memory of a process, in bytes.
func procMemory(t *testing.T, pid int) (peak, now int64) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	require.NoError(t, err)
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok || (k != "VmHWM" && k != "VmRSS") {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
		require.NoError(t, err)
		if k == "VmHWM" {
			peak = kb << 10
		} else {
			now = kb << 10
		}
	}
	return peak, now
}
