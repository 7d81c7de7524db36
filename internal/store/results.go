package store

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/vigie-edu/vigie/internal/access"
	"github.com/vigie-edu/vigie/internal/apperr"
)

// Run statuses.
const (
	RunRunning = "running"
	RunDone    = "done"
	RunFailed  = "failed"
)

// Run is one evaluation of an academy or of one school.
type Run struct {
	ID            int64
	AcademyID     int64
	UAI           string // empty: the whole academy
	Trigger       string
	RequestedBy   string
	PolicyVersion string
	StartedAt     time.Time
	FinishedAt    time.Time
	Status        string
	Schools       int
	Ready         int
	AtRisk        int
	NotReady      int
	Errors        int
	Error         string
}

// Duration is how long the run took (zero while running).
func (r Run) Duration() time.Duration {
	if r.FinishedAt.IsZero() {
		return 0
	}
	return r.FinishedAt.Sub(r.StartedAt)
}

type runRow struct {
	ID            int64 `gorm:"primaryKey"`
	AcademyID     int64
	UAI           *string `gorm:"column:uai"`
	Trigger       string
	RequestedBy   string
	PolicyVersion string
	StartedAt     time.Time
	FinishedAt    *time.Time
	Status        string
	Schools       int
	Ready         int
	AtRisk        int
	NotReady      int
	Errors        int
	Error         string
}

func (runRow) TableName() string { return "runs" }

func (r runRow) domain() Run {
	out := Run{
		ID: r.ID, AcademyID: r.AcademyID, Trigger: r.Trigger, RequestedBy: r.RequestedBy, PolicyVersion: r.PolicyVersion,
		StartedAt: r.StartedAt.UTC(), Status: r.Status, Schools: r.Schools, Ready: r.Ready, AtRisk: r.AtRisk,
		NotReady: r.NotReady, Errors: r.Errors, Error: r.Error,
	}
	if r.UAI != nil {
		out.UAI = *r.UAI
	}
	if r.FinishedAt != nil {
		out.FinishedAt = r.FinishedAt.UTC()
	}
	return out
}

// Result is the report of one school in one run.
type Result struct {
	ID             int64
	RunID          int64
	AcademyID      int64
	UAI            string
	SnapshotID     int64
	PolicyVersion  string
	EvaluatedAt    time.Time
	Final          bool
	Status         string
	Blockers       int
	Errors         int
	Warnings       int
	Unknown        int
	Todo           int
	PupilsAffected int
	Report         []byte // JSON; empty in listings
	Checks         []CheckResult
}

// CheckResult is one check's outcome in a Result.
type CheckResult struct {
	CheckID  string
	Status   string
	Severity string
	Items    int
}

type resultRow struct {
	ID             int64 `gorm:"primaryKey"`
	RunID          int64
	AcademyID      int64
	UAI            string `gorm:"column:uai"`
	SnapshotID     *int64
	PolicyVersion  string
	EvaluatedAt    time.Time
	Final          bool
	Status         string
	Blockers       int
	Errors         int
	Warnings       int
	Unknown        int
	Todo           int
	PupilsAffected int
	Report         []byte
}

func (resultRow) TableName() string { return "results" }

func (r resultRow) domain(withReport bool) (Result, error) {
	out := Result{
		ID: r.ID, RunID: r.RunID, AcademyID: r.AcademyID, UAI: r.UAI, PolicyVersion: r.PolicyVersion,
		EvaluatedAt: r.EvaluatedAt.UTC(), Final: r.Final, Status: r.Status, Blockers: r.Blockers, Errors: r.Errors,
		Warnings: r.Warnings, Unknown: r.Unknown, Todo: r.Todo, PupilsAffected: r.PupilsAffected,
	}
	if r.SnapshotID != nil {
		out.SnapshotID = *r.SnapshotID
	}
	if withReport && len(r.Report) > 0 {
		b, err := decompress(r.Report)
		if err != nil {
			return Result{}, fmt.Errorf("report of %s in run %d: %w", r.UAI, r.RunID, err)
		}
		out.Report = b
	}
	return out, nil
}

type checkResultRow struct {
	ResultID  int64 `gorm:"primaryKey;autoIncrement:false"`
	RunID     int64
	AcademyID int64
	UAI       string `gorm:"column:uai"`
	CheckID   string `gorm:"primaryKey"`
	Status    string
	Severity  string
	Items     int
}

func (checkResultRow) TableName() string { return "check_results" }

// StartRun records a run that is starting.
func (s *Store) StartRun(ctx context.Context, scope access.Scope, r Run) (Run, error) {
	if r.UAI == "" && !scope.AllowsAllSchools(r.AcademyID) {
		return Run{}, fmt.Errorf("start academy run: %w", apperr.ErrForbidden)
	}
	if r.UAI != "" && !scope.AllowsSchool(r.AcademyID, r.UAI) {
		return Run{}, fmt.Errorf("start run for %s: %w", r.UAI, apperr.ErrNotFound)
	}
	if r.StartedAt.IsZero() {
		r.StartedAt = s.now()
	}
	row := runRow{AcademyID: r.AcademyID, Trigger: r.Trigger, RequestedBy: r.RequestedBy, PolicyVersion: r.PolicyVersion,
		StartedAt: r.StartedAt.UTC(), Status: RunRunning}
	if r.UAI != "" {
		row.UAI = &r.UAI
	}
	if err := s.db.WithContext(ctx).Create(&row).Error; err != nil {
		return Run{}, fmt.Errorf("start run: %w", err)
	}
	return row.domain(), nil
}

// SaveResults stores results of a running run in one transaction. They stay non-final until
// FinishRun succeeds.
func (s *Store) SaveResults(ctx context.Context, scope access.Scope, runID int64, results []Result) error {
	run, err := s.RunByID(ctx, scope, runID)
	if err != nil {
		return err
	}
	if run.Status != RunRunning {
		return fmt.Errorf("save results of run %d: run is %s: %w", runID, run.Status, apperr.ErrConflict)
	}
	for _, r := range results {
		if !scope.AllowsSchool(run.AcademyID, r.UAI) || (run.UAI != "" && r.UAI != run.UAI) {
			return fmt.Errorf("save result of %s in run %d: %w", r.UAI, runID, apperr.ErrNotFound)
		}
	}
	return s.tx(ctx, func(tx *gorm.DB) error {
		for _, r := range results {
			row := resultRow{
				RunID: runID, AcademyID: run.AcademyID, UAI: r.UAI, PolicyVersion: r.PolicyVersion,
				EvaluatedAt: r.EvaluatedAt.UTC(), Status: r.Status, Blockers: r.Blockers, Errors: r.Errors,
				Warnings: r.Warnings, Unknown: r.Unknown, Todo: r.Todo, PupilsAffected: r.PupilsAffected, Report: compress(r.Report),
			}
			if r.SnapshotID != 0 {
				row.SnapshotID = &r.SnapshotID
			}
			if err := tx.Create(&row).Error; err != nil {
				return fmt.Errorf("save result of %s: %w", r.UAI, err)
			}
			if len(r.Checks) == 0 {
				continue
			}
			checks := make([]checkResultRow, len(r.Checks))
			for i, c := range r.Checks {
				checks[i] = checkResultRow{ResultID: row.ID, RunID: runID, AcademyID: run.AcademyID, UAI: r.UAI,
					CheckID: c.CheckID, Status: c.Status, Severity: c.Severity, Items: c.Items}
			}
			if err := tx.CreateInBatches(checks, 200).Error; err != nil {
				return fmt.Errorf("save check results of %s: %w", r.UAI, err)
			}
		}
		return nil
	})
}

// FinishRun closes a run. With runErr nil the run is done, its counts are computed from its
// results and the results become final; otherwise the run is failed and its results stay
// non-final, invisible to readers of the latest results.
func (s *Store) FinishRun(ctx context.Context, scope access.Scope, runID int64, runErr error) (Run, error) {
	return s.FinishRunAt(ctx, scope, runID, s.now(), runErr)
}

// FinishRunAt is FinishRun with the finishing time given by the caller's clock (the evaluator
// runs on an injected clock in tests and in the demo's simulated campaign).
func (s *Store) FinishRunAt(ctx context.Context, scope access.Scope, runID int64, now time.Time, runErr error) (Run, error) {
	run, err := s.RunByID(ctx, scope, runID)
	if err != nil {
		return Run{}, err
	}
	err = s.tx(ctx, func(tx *gorm.DB) error {
		if runErr != nil {
			msg := runErr.Error()
			if len(msg) > 2000 {
				msg = msg[:2000]
			}
			return tx.Model(&runRow{}).Where("id = ?", runID).Updates(map[string]any{
				"status": RunFailed, "finished_at": now, "error": msg}).Error
		}
		var c struct{ Schools, Ready, AtRisk, NotReady, Errors int }
		err := tx.Model(&resultRow{}).Where("run_id = ?", runID).Select(`COUNT(*) AS schools,
			COALESCE(SUM(CASE WHEN status = 'ready' THEN 1 ELSE 0 END), 0) AS ready,
			COALESCE(SUM(CASE WHEN status = 'at_risk' THEN 1 ELSE 0 END), 0) AS at_risk,
			COALESCE(SUM(CASE WHEN status = 'not_ready' THEN 1 ELSE 0 END), 0) AS not_ready,
			COALESCE(SUM(CASE WHEN unknown > 0 THEN 1 ELSE 0 END), 0) AS errors`).Scan(&c).Error
		if err != nil {
			return err
		}
		if err := tx.Model(&resultRow{}).Where("run_id = ?", runID).Update("final", true).Error; err != nil {
			return err
		}
		return tx.Model(&runRow{}).Where("id = ?", runID).Updates(map[string]any{
			"status": RunDone, "finished_at": now, "schools": c.Schools, "ready": c.Ready, "at_risk": c.AtRisk,
			"not_ready": c.NotReady, "errors": c.Errors}).Error
	})
	if err != nil {
		return Run{}, fmt.Errorf("finish run %d: %w", runID, err)
	}
	return s.RunByID(ctx, scope, run.ID)
}

// scopeRuns: a school-limited scope sees the runs of its schools only.
func scopeRuns(q *gorm.DB, scope access.Scope) *gorm.DB {
	if scope.IsSystem() {
		return q
	}
	id, ok := scope.AcademyID()
	if !ok {
		return q.Where("1 = 0")
	}
	q = q.Where("runs.academy_id = ?", id)
	if uais, limited := scope.UAIs(); limited {
		if len(uais) == 0 {
			return q.Where("1 = 0")
		}
		q = q.Where("runs.uai IN ?", uais)
	}
	return q
}

// RunByID returns a run.
func (s *Store) RunByID(ctx context.Context, scope access.Scope, id int64) (Run, error) {
	var r runRow
	if err := scopeRuns(s.db.WithContext(ctx).Model(&runRow{}), scope).Where("id = ?", id).Take(&r).Error; err != nil {
		return Run{}, notFound(err, "run %d", id)
	}
	return r.domain(), nil
}

// RunFilter selects runs.
type RunFilter struct {
	UAI          string
	AcademyOnly  bool // only runs over the whole academy
	Status       string
	Since, Until time.Time
	Limit        int
	Offset       int
}

// ListRuns returns the runs of an academy, newest first, and the total matching.
func (s *Store) ListRuns(ctx context.Context, scope access.Scope, academyID int64, f RunFilter) ([]Run, int64, error) {
	if !scope.AllowsAcademy(academyID) {
		return nil, 0, fmt.Errorf("runs of academy %d: %w", academyID, apperr.ErrNotFound)
	}
	q := scopeRuns(s.db.WithContext(ctx).Model(&runRow{}), scope).Where("academy_id = ?", academyID)
	if f.UAI != "" {
		q = q.Where("uai = ?", f.UAI)
	}
	if f.AcademyOnly {
		q = q.Where("uai IS NULL")
	}
	if f.Status != "" {
		q = q.Where("status = ?", f.Status)
	}
	if !f.Since.IsZero() {
		q = q.Where("started_at >= ?", f.Since.UTC())
	}
	if !f.Until.IsZero() {
		q = q.Where("started_at < ?", f.Until.UTC())
	}
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("count runs: %w", err)
	}
	q = q.Order("started_at DESC, id DESC")
	if f.Limit > 0 {
		q = q.Limit(f.Limit).Offset(f.Offset)
	}
	var rows []runRow
	if err := q.Find(&rows).Error; err != nil {
		return nil, 0, fmt.Errorf("list runs: %w", err)
	}
	out := make([]Run, len(rows))
	for i, r := range rows {
		out[i] = r.domain()
	}
	return out, total, nil
}

const resultSummaryColumns = "results.id, results.run_id, results.academy_id, results.uai, results.snapshot_id, results.policy_version, " +
	"results.evaluated_at, results.final, results.status, results.blockers, results.errors, results.warnings, results.unknown, " +
	"results.todo, results.pupils_affected"

// latestFinal selects the id of the latest final result of each school of an academy, at or
// before t when t is not zero.
func (s *Store) latestFinal(ctx context.Context, academyID int64, t time.Time) *gorm.DB {
	q := s.db.WithContext(ctx).Model(&resultRow{}).Select("MAX(id)").Where("academy_id = ? AND final", academyID)
	if !t.IsZero() {
		q = q.Where("evaluated_at <= ?", t.UTC())
	}
	return q.Group("uai")
}

// LatestResults returns the latest final result of every school of the academy in scope (at or
// before t when t is not zero), without reports, by UAI.
func (s *Store) LatestResults(ctx context.Context, scope access.Scope, academyID int64, t time.Time) ([]Result, error) {
	if !scope.AllowsAcademy(academyID) {
		return nil, fmt.Errorf("results of academy %d: %w", academyID, apperr.ErrNotFound)
	}
	q := scopeSchools(s.db.WithContext(ctx).Model(&resultRow{}), scope, "results").Select(resultSummaryColumns).
		Where("results.id IN (?)", s.latestFinal(ctx, academyID, t)).Order("results.uai")
	var rows []resultRow
	if err := q.Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("latest results: %w", err)
	}
	out := make([]Result, len(rows))
	for i, r := range rows {
		out[i], _ = r.domain(false)
	}
	return out, nil
}

// LatestCheckResults returns the per-check outcomes of the latest final result of every school
// in scope, keyed by UAI.
func (s *Store) LatestCheckResults(ctx context.Context, scope access.Scope, academyID int64, t time.Time) (map[string][]CheckResult, error) {
	if !scope.AllowsAcademy(academyID) {
		return nil, fmt.Errorf("check results of academy %d: %w", academyID, apperr.ErrNotFound)
	}
	q := scopeSchools(s.db.WithContext(ctx).Model(&checkResultRow{}), scope, "check_results").
		Where("check_results.result_id IN (?)", s.latestFinal(ctx, academyID, t))
	var rows []checkResultRow
	if err := q.Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("latest check results: %w", err)
	}
	out := map[string][]CheckResult{}
	for _, r := range rows {
		out[r.UAI] = append(out[r.UAI], CheckResult{CheckID: r.CheckID, Status: r.Status, Severity: r.Severity, Items: r.Items})
	}
	return out, nil
}

// SchoolResult returns the latest final result of a school at or before t (zero: latest),
// with its report and check outcomes.
func (s *Store) SchoolResult(ctx context.Context, scope access.Scope, uai string, t time.Time) (Result, error) {
	q := scopeSchools(s.db.WithContext(ctx).Model(&resultRow{}), scope, "results").Where("uai = ? AND final", uai)
	if !t.IsZero() {
		q = q.Where("evaluated_at <= ?", t.UTC())
	}
	var r resultRow
	if err := q.Order("evaluated_at DESC, id DESC").Take(&r).Error; err != nil {
		return Result{}, notFound(err, "result of %s", uai)
	}
	res, err := r.domain(true)
	if err != nil {
		return Result{}, err
	}
	var checks []checkResultRow
	if err := s.db.WithContext(ctx).Where("result_id = ?", r.ID).Order("check_id").Find(&checks).Error; err != nil {
		return Result{}, fmt.Errorf("check results of %s: %w", uai, err)
	}
	for _, c := range checks {
		res.Checks = append(res.Checks, CheckResult{CheckID: c.CheckID, Status: c.Status, Severity: c.Severity, Items: c.Items})
	}
	return res, nil
}

// SchoolHistory returns the final results of a school, newest first, without reports.
func (s *Store) SchoolHistory(ctx context.Context, scope access.Scope, uai string, limit int) ([]Result, error) {
	q := scopeSchools(s.db.WithContext(ctx).Model(&resultRow{}), scope, "results").Select(resultSummaryColumns).
		Where("uai = ? AND final", uai).Order("evaluated_at DESC, id DESC")
	if limit > 0 {
		q = q.Limit(limit)
	}
	var rows []resultRow
	if err := q.Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("history of %s: %w", uai, err)
	}
	if len(rows) == 0 {
		if _, err := s.SchoolByUAI(ctx, scope, uai); err != nil {
			return nil, err
		}
	}
	out := make([]Result, len(rows))
	for i, r := range rows {
		out[i], _ = r.domain(false)
	}
	return out, nil
}

// Summary is the academy view of the latest final results of the schools in scope.
type Summary struct {
	AcademyID     int64
	Schools       int            // schools in scope
	ByStatus      map[string]int // ready, at_risk, not_ready, none
	ByCheck       []CheckCount   // by check id
	ByDepartement []DepartementCount
	LatestRun     *Run // the latest successful run over the whole academy
	// TurnedRed lists the schools not ready now that were evaluated and not "not ready" before
	// the latest academy run, by UAI.
	TurnedRed []TurnedRed
}

// CheckCount counts the latest outcomes of one check over the schools.
type CheckCount struct {
	CheckID  string
	Severity string
	ByStatus map[string]int // pass, fail, unknown, error, exempt, monitor
}

// DepartementCount counts schools per status in one département.
type DepartementCount struct {
	Departement string
	Schools     int
	ByStatus    map[string]int
}

// TurnedRed is a school that became not ready.
type TurnedRed struct {
	UAI         string
	Name        string
	Departement string
	Previous    string
	EvaluatedAt time.Time
}

// AcademySummary counts the latest final results of the academy's schools in scope: per
// status, per check and per département, and lists the schools that turned red since the
// previous run (the state before the latest academy run).
func (s *Store) AcademySummary(ctx context.Context, scope access.Scope, academyID int64) (Summary, error) {
	if !scope.AllowsAcademy(academyID) {
		return Summary{}, fmt.Errorf("summary of academy %d: %w", academyID, apperr.ErrNotFound)
	}
	sum := Summary{AcademyID: academyID, ByStatus: map[string]int{"ready": 0, "at_risk": 0, "not_ready": 0, StatusNone: 0}}
	db := s.db.WithContext(ctx)

	var perDept []struct {
		Departement string
		Status      string
		N           int
	}
	err := scopeSchools(db.Table("schools s"), scope, "s").Joins(latestResultJoin).Where("s.academy_id = ?", academyID).
		Select("s.departement, COALESCE(r.status, '" + StatusNone + "') AS status, COUNT(*) AS n").
		Group("s.departement, COALESCE(r.status, '" + StatusNone + "')").Order("s.departement").Scan(&perDept).Error
	if err != nil {
		return Summary{}, fmt.Errorf("summary per status: %w", err)
	}
	for _, r := range perDept {
		sum.Schools += r.N
		sum.ByStatus[r.Status] += r.N
		if n := len(sum.ByDepartement); n == 0 || sum.ByDepartement[n-1].Departement != r.Departement {
			sum.ByDepartement = append(sum.ByDepartement, DepartementCount{Departement: r.Departement, ByStatus: map[string]int{}})
		}
		d := &sum.ByDepartement[len(sum.ByDepartement)-1]
		d.Schools += r.N
		d.ByStatus[r.Status] += r.N
	}

	latest := scopeSchools(db.Model(&resultRow{}), scope, "results").Select("MAX(id)").
		Where("academy_id = ? AND final", academyID).Group("uai")
	var perCheck []struct {
		CheckID  string
		Severity string
		Status   string
		N        int
	}
	err = db.Model(&checkResultRow{}).Select("check_id, severity, status, COUNT(*) AS n").
		Where("result_id IN (?)", latest).Group("check_id, severity, status").Order("check_id").Scan(&perCheck).Error
	if err != nil {
		return Summary{}, fmt.Errorf("summary per check: %w", err)
	}
	for _, r := range perCheck {
		if n := len(sum.ByCheck); n == 0 || sum.ByCheck[n-1].CheckID != r.CheckID {
			sum.ByCheck = append(sum.ByCheck, CheckCount{CheckID: r.CheckID, Severity: r.Severity, ByStatus: map[string]int{}})
		}
		sum.ByCheck[len(sum.ByCheck)-1].ByStatus[r.Status] += r.N
	}

	runs, _, err := s.ListRuns(ctx, access.Academy(academyID), academyID, RunFilter{AcademyOnly: true, Status: RunDone, Limit: 1})
	if err != nil {
		return Summary{}, err
	}
	if len(runs) == 0 {
		return sum, nil
	}
	sum.LatestRun = &runs[0]
	var red []struct {
		UAI         string `gorm:"column:uai"`
		Name        string
		Departement string
		Previous    string
		EvaluatedAt time.Time
	}
	err = scopeSchools(db.Table("schools s"), scope, "s").
		Joins("JOIN results r ON r.id = (SELECT MAX(x.id) FROM results x WHERE x.academy_id = s.academy_id AND x.uai = s.uai AND x.final)").
		Joins("JOIN results p ON p.id = (SELECT MAX(y.id) FROM results y WHERE y.academy_id = s.academy_id AND y.uai = s.uai AND y.final AND y.evaluated_at < ?)", runs[0].StartedAt.UTC()).
		Where("s.academy_id = ? AND r.status = 'not_ready' AND p.status <> 'not_ready'", academyID).
		Select("s.uai, s.name, s.departement, p.status AS previous, r.evaluated_at").Order("s.uai").Scan(&red).Error
	if err != nil {
		return Summary{}, fmt.Errorf("schools turned red: %w", err)
	}
	for _, r := range red {
		sum.TurnedRed = append(sum.TurnedRed, TurnedRed{UAI: r.UAI, Name: r.Name, Departement: r.Departement, Previous: r.Previous,
			EvaluatedAt: r.EvaluatedAt.UTC()})
	}
	return sum, nil
}

// TrendPoint is the outcome of one academy run, for the campaign trend.
type TrendPoint struct {
	Day      string // YYYY-MM-DD of the run's start, in UTC
	Run      Run
	Schools  int
	Ready    int
	AtRisk   int
	NotReady int
}

// AcademyTrend returns, for each day since since (zero: every day), the counts of the last
// successful academy run of that day, oldest first.
func (s *Store) AcademyTrend(ctx context.Context, scope access.Scope, academyID int64, since time.Time) ([]TrendPoint, error) {
	runs, _, err := s.ListRuns(ctx, scope, academyID, RunFilter{AcademyOnly: true, Status: RunDone, Since: since})
	if err != nil {
		return nil, err
	}
	var out []TrendPoint
	for i := len(runs) - 1; i >= 0; i-- { // runs are newest first
		r := runs[i]
		day := r.StartedAt.UTC().Format(time.DateOnly)
		p := TrendPoint{Day: day, Run: r, Schools: r.Schools, Ready: r.Ready, AtRisk: r.AtRisk, NotReady: r.NotReady}
		if n := len(out); n > 0 && out[n-1].Day == day {
			out[n-1] = p // a later run of the same day wins
			continue
		}
		out = append(out, p)
	}
	return out, nil
}

// AcademyDataVersion changes whenever what the academy view shows may change: a run finishes
// (its results become final) or the schools registry changes. The HTTP layer keys its cache
// of summaries and school lists on it. It is cheap: two small aggregates on indexed columns.
func (s *Store) AcademyDataVersion(ctx context.Context, scope access.Scope, academyID int64) (string, error) {
	if !scope.AllowsAcademy(academyID) {
		return "", fmt.Errorf("version of academy %d: %w", academyID, apperr.ErrNotFound)
	}
	var v struct {
		Runs     int64
		LastRun  int64
		Finished int64
		Schools  int64
		Updated  string
	}
	err := s.db.WithContext(ctx).Raw(`SELECT
		(SELECT COUNT(*) FROM runs WHERE academy_id = ? AND status = ?) AS runs,
		(SELECT COALESCE(MAX(id), 0) FROM runs WHERE academy_id = ? AND status = ?) AS last_run,
		(SELECT COUNT(*) FROM runs WHERE academy_id = ? AND finished_at IS NOT NULL) AS finished,
		(SELECT COUNT(*) FROM schools WHERE academy_id = ?) AS schools,
		(SELECT COALESCE(CAST(MAX(updated_at) AS TEXT), '') FROM schools WHERE academy_id = ?) AS updated`,
		academyID, RunDone, academyID, RunDone, academyID, academyID, academyID).Scan(&v).Error
	if err != nil {
		return "", fmt.Errorf("version of academy %d: %w", academyID, err)
	}
	return fmt.Sprintf("%d.%d.%d.%d.%s", v.Runs, v.LastRun, v.Finished, v.Schools, v.Updated), nil
}
