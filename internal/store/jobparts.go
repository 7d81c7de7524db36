package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/vigie-edu/vigie/internal/access"
	"github.com/vigie-edu/vigie/internal/apperr"
)

// JobPart is the record of one part of a partitioned job's slot (e.g. one academy of the
// daily evaluation). There is one per (job, slot, part) across replicas: whoever records it
// first runs it.
type JobPart struct {
	ID         int64
	Job        string
	Slot       time.Time
	Part       string
	Replica    string
	Attempt    int
	Status     string // JobRunning, JobDone or JobFailed
	StartedAt  time.Time
	FinishedAt time.Time
	LeaseUntil time.Time
	Counts     map[string]int
	Error      string
}

type jobPartRow struct {
	ID         int64 `gorm:"primaryKey"`
	Job        string
	Slot       time.Time
	Part       string
	Replica    string
	Attempt    int
	Status     string
	StartedAt  time.Time
	FinishedAt *time.Time
	LeaseUntil time.Time
	Counts     string
	Error      string
}

func (jobPartRow) TableName() string { return "job_parts" }

func (r jobPartRow) domain() JobPart {
	p := JobPart{ID: r.ID, Job: r.Job, Slot: r.Slot.UTC(), Part: r.Part, Replica: r.Replica, Attempt: r.Attempt, Status: r.Status,
		StartedAt: r.StartedAt.UTC(), LeaseUntil: r.LeaseUntil.UTC(), Error: r.Error, Counts: map[string]int{}}
	if r.FinishedAt != nil {
		p.FinishedAt = r.FinishedAt.UTC()
	}
	_ = json.Unmarshal([]byte(r.Counts), &p.Counts) // written by FinishJobPart from a map
	return p
}

// ClaimJobPart records that replica runs part of job's slot, holding it until leaseUntil
// (renewed while it runs). A part already recorded is a conflict, unless it is still running
// with an expired lease (its replica died): then it is taken over, its attempt counted.
func (s *Store) ClaimJobPart(ctx context.Context, scope access.Scope, job string, slot time.Time, part, replica string, now, leaseUntil time.Time) (JobPart, error) {
	if err := jobScope(scope, true); err != nil {
		return JobPart{}, err
	}
	row := jobPartRow{Job: job, Slot: slotKey(slot), Part: part, Replica: replica, Attempt: 1, Status: JobRunning, StartedAt: now.UTC(),
		LeaseUntil: leaseUntil.UTC(), Counts: "{}"}
	db := s.db.WithContext(ctx)
	res := db.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "job"}, {Name: "slot"}, {Name: "part"}}, DoNothing: true}).Create(&row)
	if res.Error != nil {
		return JobPart{}, fmt.Errorf("claim %s part %s at %s: %w", job, part, row.Slot.Format(time.RFC3339), res.Error)
	}
	if res.RowsAffected == 1 {
		return row.domain(), nil
	}
	res = db.Model(&jobPartRow{}).Where("job = ? AND slot = ? AND part = ? AND status = ? AND lease_until < ?", job, row.Slot, part, JobRunning, now.UTC()).
		Updates(map[string]any{"replica": replica, "attempt": gorm.Expr("attempt + 1"), "started_at": now.UTC(), "lease_until": leaseUntil.UTC()})
	if res.Error != nil {
		return JobPart{}, fmt.Errorf("take over %s part %s: %w", job, part, res.Error)
	}
	if res.RowsAffected == 0 {
		return JobPart{}, fmt.Errorf("%s part %s at %s is already recorded: %w", job, part, row.Slot.Format(time.RFC3339), apperr.ErrConflict)
	}
	var r jobPartRow
	if err := db.Where("job = ? AND slot = ? AND part = ?", job, row.Slot, part).Take(&r).Error; err != nil {
		return JobPart{}, notFound(err, "job part %s %s", job, part)
	}
	return r.domain(), nil
}

// ownedPart updates a running part the replica still holds; a conflict when it lost it.
func (s *Store) ownedPart(ctx context.Context, id int64, replica string, fields map[string]any) error {
	res := s.db.WithContext(ctx).Model(&jobPartRow{}).Where("id = ? AND replica = ? AND status = ?", id, replica, JobRunning).Updates(fields)
	if res.Error != nil {
		return fmt.Errorf("update job part %d: %w", id, res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("job part %d is no longer held by %s: %w", id, replica, apperr.ErrConflict)
	}
	return nil
}

// RenewJobPart extends the lease of a part the replica holds (a lease in the past hands it
// back for another replica to take over).
func (s *Store) RenewJobPart(ctx context.Context, scope access.Scope, id int64, replica string, leaseUntil time.Time) error {
	if err := jobScope(scope, true); err != nil {
		return err
	}
	return s.ownedPart(ctx, id, replica, map[string]any{"lease_until": leaseUntil.UTC()})
}

// FinishJobPart closes a part the replica holds: done with partErr nil, failed otherwise.
func (s *Store) FinishJobPart(ctx context.Context, scope access.Scope, id int64, replica string, counts map[string]int, partErr error, now time.Time) (JobPart, error) {
	if err := jobScope(scope, true); err != nil {
		return JobPart{}, err
	}
	fields, err := finishFields(counts, partErr, now)
	if err != nil {
		return JobPart{}, err
	}
	if err := s.ownedPart(ctx, id, replica, fields); err != nil {
		return JobPart{}, err
	}
	var r jobPartRow
	if err := s.db.WithContext(ctx).Where("id = ?", id).Take(&r).Error; err != nil {
		return JobPart{}, notFound(err, "job part %d", id)
	}
	return r.domain(), nil
}

// JobParts lists the parts recorded for a job's slot, by part.
func (s *Store) JobParts(ctx context.Context, scope access.Scope, job string, slot time.Time) ([]JobPart, error) {
	if err := jobScope(scope, false); err != nil {
		return nil, err
	}
	var rows []jobPartRow
	if err := s.db.WithContext(ctx).Where("job = ? AND slot = ?", job, slotKey(slot)).Order("part").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("parts of %s at %s: %w", job, slotKey(slot).Format(time.RFC3339), err)
	}
	out := make([]JobPart, len(rows))
	for i, r := range rows {
		out[i] = r.domain()
	}
	return out, nil
}

// ResetFailedJobParts forgets the failed parts of a slot so that a retry of the slot runs them
// again; it returns how many.
func (s *Store) ResetFailedJobParts(ctx context.Context, scope access.Scope, job string, slot time.Time) (int64, error) {
	if err := jobScope(scope, true); err != nil {
		return 0, err
	}
	res := s.db.WithContext(ctx).Where("job = ? AND slot = ? AND status = ?", job, slotKey(slot), JobFailed).Delete(&jobPartRow{})
	if res.Error != nil {
		return 0, fmt.Errorf("reset failed parts of %s: %w", job, res.Error)
	}
	return res.RowsAffected, nil
}
