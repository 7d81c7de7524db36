package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/vigie-edu/vigie/internal/access"
	"github.com/vigie-edu/vigie/internal/apperr"
)

// Job run statuses.
const (
	JobRunning = "running"
	JobDone    = "done"
	JobFailed  = "failed"
)

// JobRun is the record of one scheduled job's run for one slot (its scheduled time). There is
// one per (job, slot) across replicas: whoever records it first runs it.
type JobRun struct {
	ID         int64
	Job        string
	Slot       time.Time
	Replica    string
	Attempt    int
	Status     string
	StartedAt  time.Time
	FinishedAt time.Time
	LeaseUntil time.Time
	Counts     map[string]int
	Error      string
}

type jobRunRow struct {
	ID         int64 `gorm:"primaryKey"`
	Job        string
	Slot       time.Time
	Replica    string
	Attempt    int
	Status     string
	StartedAt  time.Time
	FinishedAt *time.Time
	LeaseUntil time.Time
	Counts     string
	Error      string
}

func (jobRunRow) TableName() string { return "job_runs" }

func (r jobRunRow) domain() JobRun {
	j := JobRun{ID: r.ID, Job: r.Job, Slot: r.Slot.UTC(), Replica: r.Replica, Attempt: r.Attempt, Status: r.Status,
		StartedAt: r.StartedAt.UTC(), LeaseUntil: r.LeaseUntil.UTC(), Error: r.Error, Counts: map[string]int{}}
	if r.FinishedAt != nil {
		j.FinishedAt = r.FinishedAt.UTC()
	}
	_ = json.Unmarshal([]byte(r.Counts), &j.Counts) // written by FinishJobRun from a map
	return j
}

// Job runs are Vigie's own records, across academies: only the System scope writes them; any
// signed-in scope may read them (they hold counts, no school data).
func jobScope(scope access.Scope, write bool) error {
	if scope.IsSystem() {
		return nil
	}
	if _, ok := scope.AcademyID(); ok && !write {
		return nil
	}
	return fmt.Errorf("job runs: %w", apperr.ErrNotFound)
}

// slotKey normalises a slot so that every replica writes the same value.
func slotKey(t time.Time) time.Time { return t.UTC().Truncate(time.Second) }

// ClaimJobRun records that replica runs job for slot, holding it until leaseUntil (renewed
// while it runs). If the slot is already recorded it is a conflict, unless its record is still
// running with an expired lease (the replica that held it died): then it is taken over, with
// the attempt counted.
func (s *Store) ClaimJobRun(ctx context.Context, scope access.Scope, job string, slot time.Time, replica string, now, leaseUntil time.Time) (JobRun, error) {
	if err := jobScope(scope, true); err != nil {
		return JobRun{}, err
	}
	row := jobRunRow{Job: job, Slot: slotKey(slot), Replica: replica, Attempt: 1, Status: JobRunning, StartedAt: now.UTC(),
		LeaseUntil: leaseUntil.UTC(), Counts: "{}"}
	res := s.db.WithContext(ctx).Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "job"}, {Name: "slot"}}, DoNothing: true}).Create(&row)
	if res.Error != nil {
		return JobRun{}, fmt.Errorf("claim %s at %s: %w", job, row.Slot.Format(time.RFC3339), res.Error)
	}
	if res.RowsAffected == 1 {
		return row.domain(), nil
	}
	return s.takeOver(ctx, job, row.Slot, replica, now, leaseUntil)
}

func (s *Store) takeOver(ctx context.Context, job string, slot time.Time, replica string, now, leaseUntil time.Time) (JobRun, error) {
	res := s.db.WithContext(ctx).Model(&jobRunRow{}).
		Where("job = ? AND slot = ? AND status = ? AND lease_until < ?", job, slot, JobRunning, now.UTC()).
		Updates(map[string]any{"replica": replica, "attempt": gorm.Expr("attempt + 1"), "started_at": now.UTC(),
			"lease_until": leaseUntil.UTC()})
	if res.Error != nil {
		return JobRun{}, fmt.Errorf("take over %s at %s: %w", job, slot.Format(time.RFC3339), res.Error)
	}
	if res.RowsAffected == 0 {
		return JobRun{}, fmt.Errorf("%s at %s is already recorded: %w", job, slot.Format(time.RFC3339), apperr.ErrConflict)
	}
	var r jobRunRow
	if err := s.db.WithContext(ctx).Where("job = ? AND slot = ?", job, slot).Take(&r).Error; err != nil {
		return JobRun{}, notFound(err, "job run %s at %s", job, slot.Format(time.RFC3339))
	}
	return r.domain(), nil
}

// AbandonedJobRuns lists the runs of the given jobs still marked running whose lease expired
// before now: their replica died.
func (s *Store) AbandonedJobRuns(ctx context.Context, scope access.Scope, jobs []string, now time.Time) ([]JobRun, error) {
	if err := jobScope(scope, true); err != nil {
		return nil, err
	}
	var rows []jobRunRow
	err := s.db.WithContext(ctx).Where("status = ? AND lease_until < ? AND job IN ?", JobRunning, now.UTC(), jobs).
		Order("slot").Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("abandoned job runs: %w", err)
	}
	out := make([]JobRun, len(rows))
	for i, r := range rows {
		out[i] = r.domain()
	}
	return out, nil
}

// TakeOverJobRun claims an abandoned run (see AbandonedJobRuns); a conflict when another
// replica was quicker or the run is alive.
func (s *Store) TakeOverJobRun(ctx context.Context, scope access.Scope, run JobRun, replica string, now, leaseUntil time.Time) (JobRun, error) {
	if err := jobScope(scope, true); err != nil {
		return JobRun{}, err
	}
	return s.takeOver(ctx, run.Job, slotKey(run.Slot), replica, now, leaseUntil)
}

// owned updates a running record the replica still holds; a conflict when it lost it.
func (s *Store) owned(ctx context.Context, id int64, replica string, fields map[string]any) error {
	res := s.db.WithContext(ctx).Model(&jobRunRow{}).Where("id = ? AND replica = ? AND status = ?", id, replica, JobRunning).Updates(fields)
	if res.Error != nil {
		return fmt.Errorf("update job run %d: %w", id, res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("job run %d is no longer held by %s: %w", id, replica, apperr.ErrConflict)
	}
	return nil
}

// RenewJobRun extends the lease of a run the replica holds.
func (s *Store) RenewJobRun(ctx context.Context, scope access.Scope, id int64, replica string, leaseUntil time.Time) error {
	if err := jobScope(scope, true); err != nil {
		return err
	}
	return s.owned(ctx, id, replica, map[string]any{"lease_until": leaseUntil.UTC()})
}

// RetryJobRun records a failed attempt of a run the replica holds and that it retries.
func (s *Store) RetryJobRun(ctx context.Context, scope access.Scope, id int64, replica string, attemptErr error, leaseUntil time.Time) error {
	if err := jobScope(scope, true); err != nil {
		return err
	}
	return s.owned(ctx, id, replica, map[string]any{"attempt": gorm.Expr("attempt + 1"), "error": truncate(attemptErr.Error(), 2000),
		"lease_until": leaseUntil.UTC()})
}

// FinishJobRun closes a run the replica holds: done with runErr nil, failed otherwise.
func (s *Store) FinishJobRun(ctx context.Context, scope access.Scope, id int64, replica string, counts map[string]int, runErr error, now time.Time) (JobRun, error) {
	if err := jobScope(scope, true); err != nil {
		return JobRun{}, err
	}
	fields, err := finishFields(counts, runErr, now)
	if err != nil {
		return JobRun{}, err
	}
	// A run done after retries keeps the last failed attempt's error: the history shows it.
	if err := s.owned(ctx, id, replica, fields); err != nil {
		return JobRun{}, err
	}
	var r jobRunRow
	if err := s.db.WithContext(ctx).Where("id = ?", id).Take(&r).Error; err != nil {
		return JobRun{}, notFound(err, "job run %d", id)
	}
	return r.domain(), nil
}

// finishFields are the columns that close a job run or part: done with err nil, failed with
// its (truncated) message otherwise, and the counts as JSON.
func finishFields(counts map[string]int, err error, now time.Time) (map[string]any, error) {
	if counts == nil {
		counts = map[string]int{}
	}
	b, jerr := json.Marshal(counts)
	if jerr != nil {
		return nil, fmt.Errorf("encode job counts: %w", jerr)
	}
	fields := map[string]any{"status": JobDone, "finished_at": now.UTC(), "counts": string(b)}
	if err != nil {
		fields["status"], fields["error"] = JobFailed, truncate(err.Error(), 2000)
	}
	return fields, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// JobRunFilter selects job runs.
type JobRunFilter struct {
	Job          string
	Status       string
	Since, Until time.Time // on the slot
	Limit        int
	Offset       int
}

// ListJobRuns returns job runs, the latest slot first, and how many match.
func (s *Store) ListJobRuns(ctx context.Context, scope access.Scope, f JobRunFilter) ([]JobRun, int64, error) {
	if err := jobScope(scope, false); err != nil {
		return nil, 0, err
	}
	q := s.db.WithContext(ctx).Model(&jobRunRow{})
	if f.Job != "" {
		q = q.Where("job = ?", f.Job)
	}
	if f.Status != "" {
		q = q.Where("status = ?", f.Status)
	}
	if !f.Since.IsZero() {
		q = q.Where("slot >= ?", f.Since.UTC())
	}
	if !f.Until.IsZero() {
		q = q.Where("slot < ?", f.Until.UTC())
	}
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("count job runs: %w", err)
	}
	q = q.Order("slot DESC, job")
	if f.Limit > 0 {
		q = q.Limit(f.Limit).Offset(f.Offset)
	}
	var rows []jobRunRow
	if err := q.Find(&rows).Error; err != nil {
		return nil, 0, fmt.Errorf("list job runs: %w", err)
	}
	out := make([]JobRun, len(rows))
	for i, r := range rows {
		out[i] = r.domain()
	}
	return out, total, nil
}

// JobRunByID returns one job run.
func (s *Store) JobRunByID(ctx context.Context, scope access.Scope, id int64) (JobRun, error) {
	if err := jobScope(scope, false); err != nil {
		return JobRun{}, err
	}
	var r jobRunRow
	if err := s.db.WithContext(ctx).Where("id = ?", id).Take(&r).Error; err != nil {
		return JobRun{}, notFound(err, "job run %d", id)
	}
	return r.domain(), nil
}

// AdvisoryLock is a PostgreSQL session-level advisory lock held on its own connection.
type AdvisoryLock struct {
	conn *sql.Conn
	key  int64
}

// lockKey maps a name to an advisory lock key, in a namespace of Vigie's own.
func lockKey(name string) int64 {
	h := fnv.New64a()
	h.Write([]byte("vigie.job:"))
	h.Write([]byte(name))
	return int64(h.Sum64())
}

// TryAdvisoryLock takes the named lock if no other session holds it, without waiting; ok is
// false when another session does. The lock is released by Unlock or when the connection
// ends (a replica that dies releases its locks). On SQLite, a single process, it always
// succeeds with a lock that holds nothing.
func (s *Store) TryAdvisoryLock(ctx context.Context, scope access.Scope, name string) (lock *AdvisoryLock, ok bool, err error) {
	if err := jobScope(scope, true); err != nil {
		return nil, false, err
	}
	if s.dialect != Postgres {
		return &AdvisoryLock{}, true, nil
	}
	conn, err := s.sqlDB.Conn(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("lock %s: %w", name, err)
	}
	key := lockKey(name)
	if err := conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock($1)`, key).Scan(&ok); err != nil {
		conn.Close()
		return nil, false, fmt.Errorf("lock %s: %w", name, err)
	}
	if !ok {
		conn.Close()
		return nil, false, nil
	}
	return &AdvisoryLock{conn: conn, key: key}, true, nil
}

// Unlock releases the lock and its connection. It unlocks even when ctx is cancelled (a job
// stopped at shutdown); if the unlock cannot be sent, the connection is discarded, which ends
// its session and so its locks, rather than returned to the pool still holding the lock.
func (l *AdvisoryLock) Unlock(ctx context.Context) error {
	if l == nil || l.conn == nil {
		return nil
	}
	uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	_, err := l.conn.ExecContext(uctx, `SELECT pg_advisory_unlock($1)`, l.key)
	if err != nil {
		_ = l.conn.Raw(func(any) error { return driver.ErrBadConn })
	}
	cerr := l.conn.Close()
	l.conn = nil
	if err != nil {
		return fmt.Errorf("unlock: %w", err)
	}
	if cerr != nil {
		return fmt.Errorf("unlock: %w", cerr)
	}
	return nil
}

// Purged counts what Purge deleted.
type Purged struct {
	JobRuns       int64
	JobParts      int64
	Notifications int64
	NotifiedItems int64
	FailedResults int64 // results of failed evaluation runs, never final
	Sessions      int64
}

// Purge deletes what is no longer useful before the cut-off: finished job runs, sent
// notifications and what users were told, the results of failed evaluation runs (never
// final, never shown), and expired sessions. Step history and final results are kept for the
// year-over-year view.
func (s *Store) Purge(ctx context.Context, scope access.Scope, before, now time.Time) (Purged, error) {
	if err := jobScope(scope, true); err != nil {
		return Purged{}, err
	}
	var p Purged
	err := s.tx(ctx, func(tx *gorm.DB) error {
		res := tx.Where("status <> ? AND slot < ?", JobRunning, before.UTC()).Delete(&jobRunRow{})
		if res.Error != nil {
			return fmt.Errorf("purge job runs: %w", res.Error)
		}
		p.JobRuns = res.RowsAffected
		res = tx.Where("status <> ? AND slot < ?", JobRunning, before.UTC()).Delete(&jobPartRow{})
		if res.Error != nil {
			return fmt.Errorf("purge job parts: %w", res.Error)
		}
		p.JobParts = res.RowsAffected
		res = tx.Where("sent_at < ?", before.UTC()).Delete(&notificationRow{})
		if res.Error != nil {
			return fmt.Errorf("purge notifications: %w", res.Error)
		}
		p.Notifications = res.RowsAffected
		res = tx.Where("last_sent_at < ?", before.UTC()).Delete(&notifiedItemRow{})
		if res.Error != nil {
			return fmt.Errorf("purge notified items: %w", res.Error)
		}
		p.NotifiedItems = res.RowsAffected
		failed := tx.Model(&runRow{}).Select("id").Where("status = ? AND started_at < ?", RunFailed, before.UTC())
		res = tx.Where("NOT final AND run_id IN (?)", failed).Delete(&resultRow{})
		if res.Error != nil {
			return fmt.Errorf("purge results of failed runs: %w", res.Error)
		}
		p.FailedResults = res.RowsAffected
		return nil
	})
	if err != nil {
		return Purged{}, err
	}
	if p.Sessions, err = s.DeleteExpired(ctx, scope, now); err != nil {
		return p, err
	}
	return p, nil
}
