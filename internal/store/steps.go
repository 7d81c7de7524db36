package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/vigie-edu/vigie/internal/access"
	"github.com/vigie-edu/vigie/internal/apperr"
	"github.com/vigie-edu/vigie/internal/campaign"
)

// SchoolStep is the stored state of one step of one school.
type SchoolStep struct {
	UAI        string
	SchoolYear int
	campaign.StepStatus
	Since     time.Time // when the state last changed
	UpdatedAt time.Time
}

type stepStateRow struct {
	AcademyID     int64  `gorm:"primaryKey;autoIncrement:false"`
	UAI           string `gorm:"column:uai;primaryKey"`
	SchoolYear    int    `gorm:"primaryKey;autoIncrement:false"`
	Step          int    `gorm:"primaryKey;autoIncrement:false"`
	State         string
	Progress      string
	Source        string
	Evidence      string
	EvidenceAt    *time.Time
	AttestationID *int64
	BlockedBy     int
	DueOn         string
	Overdue       bool
	Since         time.Time
	UpdatedAt     time.Time
}

func (stepStateRow) TableName() string { return "step_states" }

func (r stepStateRow) domain() SchoolStep {
	due, _ := campaign.ParseDate(r.DueOn) // written by SaveProgress from a Date
	st := SchoolStep{UAI: r.UAI, SchoolYear: r.SchoolYear, Since: r.Since.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
		StepStatus: campaign.StepStatus{Step: campaign.Step(r.Step), State: campaign.StepState(r.State),
			Progress: campaign.StepState(r.Progress), Source: campaign.EvidenceSource(r.Source), Evidence: r.Evidence,
			BlockedBy: campaign.Step(r.BlockedBy), Deadline: due, Overdue: r.Overdue}}
	if r.EvidenceAt != nil {
		st.EvidenceAt = r.EvidenceAt.UTC()
	}
	if r.AttestationID != nil {
		st.AttestationID = *r.AttestationID
	}
	return st
}

type stepEventRow struct {
	ID         int64 `gorm:"primaryKey"`
	AcademyID  int64
	UAI        string `gorm:"column:uai"`
	SchoolYear int
	Step       int
	State      string
	Source     string
	Evidence   string
	BlockedBy  int
	At         time.Time
}

func (stepEventRow) TableName() string { return "step_events" }

// SchoolProgress is the state of every step of one school, as campaign.Progress computed it.
type SchoolProgress struct {
	UAI   string
	Steps []campaign.StepStatus
	// Expire lists the school's attestations that a newer fact contradicts.
	Expire []campaign.Expiry
}

// SaveProgress stores the step states of schools of an academy for a school year, in one
// transaction: the current state of each step, an event each time a step's state, source or
// blocker changes (the history behind the year-over-year view), and the expiry of
// contradicted attestations. It returns how many step states changed.
func (s *Store) SaveProgress(ctx context.Context, scope access.Scope, academyID int64, year int, schools []SchoolProgress, now time.Time) (int, error) {
	for _, sp := range schools {
		if !scope.AllowsSchool(academyID, sp.UAI) {
			return 0, fmt.Errorf("save progress of %s: %w", sp.UAI, apperr.ErrNotFound)
		}
	}
	now = now.UTC()
	changed := 0
	err := s.tx(ctx, func(tx *gorm.DB) error {
		const batch = 200
		for start := 0; start < len(schools); start += batch {
			part := schools[start:min(start+batch, len(schools))]
			uais := make([]string, len(part))
			for i, sp := range part {
				uais[i] = sp.UAI
			}
			var existing []stepStateRow
			if err := tx.Where("academy_id = ? AND school_year = ? AND uai IN ?", academyID, year, uais).Find(&existing).Error; err != nil {
				return fmt.Errorf("read step states: %w", err)
			}
			old := make(map[[2]any]stepStateRow, len(existing))
			for _, r := range existing {
				old[[2]any{r.UAI, r.Step}] = r
			}
			var events []stepEventRow
			for _, sp := range part {
				for _, st := range sp.Steps {
					row := stepStateRow{AcademyID: academyID, UAI: sp.UAI, SchoolYear: year, Step: int(st.Step), State: string(st.State),
						Progress: string(st.Progress), Source: string(st.Source), Evidence: st.Evidence, BlockedBy: int(st.BlockedBy),
						DueOn: st.Deadline.String(), Overdue: st.Overdue, Since: now, UpdatedAt: now}
					if !st.EvidenceAt.IsZero() {
						at := st.EvidenceAt.UTC()
						row.EvidenceAt = &at
					}
					if st.AttestationID != 0 {
						id := st.AttestationID
						row.AttestationID = &id
					}
					prev, had := old[[2]any{sp.UAI, int(st.Step)}]
					moved := !had || prev.State != row.State || prev.Source != row.Source || prev.BlockedBy != row.BlockedBy
					if had && !moved {
						row.Since = prev.Since
					}
					if moved {
						changed++
						events = append(events, stepEventRow{AcademyID: academyID, UAI: sp.UAI, SchoolYear: year, Step: row.Step,
							State: row.State, Source: row.Source, Evidence: row.Evidence, BlockedBy: row.BlockedBy, At: now})
					}
					if had {
						err := tx.Model(&stepStateRow{}).Where("academy_id = ? AND uai = ? AND school_year = ? AND step = ?",
							academyID, sp.UAI, year, row.Step).Updates(map[string]any{
							"state": row.State, "progress": row.Progress, "source": row.Source, "evidence": row.Evidence,
							"evidence_at": row.EvidenceAt, "attestation_id": row.AttestationID, "blocked_by": row.BlockedBy,
							"due_on": row.DueOn, "overdue": row.Overdue, "since": row.Since, "updated_at": now}).Error
						if err != nil {
							return fmt.Errorf("update step %d of %s: %w", row.Step, sp.UAI, err)
						}
						continue
					}
					if err := tx.Create(&row).Error; err != nil {
						return fmt.Errorf("save step %d of %s: %w", row.Step, sp.UAI, err)
					}
				}
				for _, e := range sp.Expire {
					err := tx.Model(&attestationRow{}).
						Where("id = ? AND academy_id = ? AND uai = ? AND expired_at IS NULL", e.AttestationID, academyID, sp.UAI).
						Updates(map[string]any{"expired_at": now, "expired_reason": e.Reason}).Error
					if err != nil {
						return fmt.Errorf("expire attestation %d: %w", e.AttestationID, err)
					}
				}
			}
			if len(events) > 0 {
				if err := tx.CreateInBatches(events, 500).Error; err != nil {
					return fmt.Errorf("save step events: %w", err)
				}
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return changed, nil
}

// SchoolSteps returns the current state of a school's steps for a school year, in step order;
// empty when Vigie has not tracked the school yet.
func (s *Store) SchoolSteps(ctx context.Context, scope access.Scope, uai string, year int) ([]SchoolStep, error) {
	if _, err := s.SchoolByUAI(ctx, scope, uai); err != nil {
		return nil, err
	}
	var rows []stepStateRow
	q := scopeSchools(s.db.WithContext(ctx).Model(&stepStateRow{}), scope, "step_states").
		Where("uai = ? AND school_year = ?", uai, year).Order("step")
	if err := q.Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("steps of %s: %w", uai, err)
	}
	out := make([]SchoolStep, len(rows))
	for i, r := range rows {
		out[i] = r.domain()
	}
	return out, nil
}

// StepEvent is a change of a step's state.
type StepEvent struct {
	UAI        string
	SchoolYear int
	Step       campaign.Step
	State      campaign.StepState
	Source     campaign.EvidenceSource
	Evidence   string
	BlockedBy  campaign.Step
	At         time.Time
}

// SchoolStepsAt returns the state each step of a school had at t for a school year (the latest
// change at or before t), in step order; steps not tracked yet at t are absent.
func (s *Store) SchoolStepsAt(ctx context.Context, scope access.Scope, uai string, year int, t time.Time) ([]StepEvent, error) {
	if _, err := s.SchoolByUAI(ctx, scope, uai); err != nil {
		return nil, err
	}
	db := s.db.WithContext(ctx)
	latest := db.Model(&stepEventRow{}).Select("MAX(id)").
		Where("uai = ? AND school_year = ? AND at <= ?", uai, year, t.UTC()).Group("step")
	var rows []stepEventRow
	q := scopeSchools(db.Model(&stepEventRow{}), scope, "step_events").Where("id IN (?)", latest).Order("step")
	if err := q.Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("steps of %s at %s: %w", uai, t.Format(time.RFC3339), err)
	}
	out := make([]StepEvent, len(rows))
	for i, r := range rows {
		out[i] = StepEvent{UAI: r.UAI, SchoolYear: r.SchoolYear, Step: campaign.Step(r.Step), State: campaign.StepState(r.State),
			Source: campaign.EvidenceSource(r.Source), Evidence: r.Evidence, BlockedBy: campaign.Step(r.BlockedBy), At: r.At.UTC()}
	}
	return out, nil
}

// StepFilter selects step states of an academy.
type StepFilter struct {
	Step   campaign.Step      // 0: every step
	State  campaign.StepState // "": every state
	UAI    string
	Limit  int
	Offset int
}

// AcademySteps returns step states of the academy's schools in scope, by school then step, and
// how many match.
func (s *Store) AcademySteps(ctx context.Context, scope access.Scope, academyID int64, year int, f StepFilter) ([]SchoolStep, int64, error) {
	if !scope.AllowsAcademy(academyID) {
		return nil, 0, fmt.Errorf("steps of academy %d: %w", academyID, apperr.ErrNotFound)
	}
	q := scopeSchools(s.db.WithContext(ctx).Model(&stepStateRow{}), scope, "step_states").
		Where("academy_id = ? AND school_year = ?", academyID, year)
	if f.Step != 0 {
		q = q.Where("step = ?", int(f.Step))
	}
	if f.State != "" {
		q = q.Where("state = ?", string(f.State))
	}
	if f.UAI != "" {
		q = q.Where("uai = ?", f.UAI)
	}
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("count steps: %w", err)
	}
	q = q.Order("uai, step")
	if f.Limit > 0 {
		q = q.Limit(f.Limit).Offset(f.Offset)
	}
	var rows []stepStateRow
	if err := q.Find(&rows).Error; err != nil {
		return nil, 0, fmt.Errorf("list steps: %w", err)
	}
	out := make([]SchoolStep, len(rows))
	for i, r := range rows {
		out[i] = r.domain()
	}
	return out, total, nil
}

// StepCounts returns, for each step, how many schools in scope are in each state.
func (s *Store) StepCounts(ctx context.Context, scope access.Scope, academyID int64, year int) (map[campaign.Step]map[campaign.StepState]int, error) {
	if !scope.AllowsAcademy(academyID) {
		return nil, fmt.Errorf("step counts of academy %d: %w", academyID, apperr.ErrNotFound)
	}
	var rows []struct {
		Step  int
		State string
		N     int
	}
	err := scopeSchools(s.db.WithContext(ctx).Model(&stepStateRow{}), scope, "step_states").
		Where("academy_id = ? AND school_year = ?", academyID, year).
		Select("step, state, COUNT(*) AS n").Group("step, state").Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("count step states: %w", err)
	}
	out := map[campaign.Step]map[campaign.StepState]int{}
	for _, r := range rows {
		st := campaign.Step(r.Step)
		if out[st] == nil {
			out[st] = map[campaign.StepState]int{}
		}
		out[st][campaign.StepState(r.State)] = r.N
	}
	return out, nil
}

// SchoolForecast is a stored handover forecast of a school.
type SchoolForecast struct {
	campaign.Forecast
	ComputedAt time.Time
}

type forecastRow struct {
	AcademyID       int64  `gorm:"primaryKey;autoIncrement:false"`
	UAI             string `gorm:"column:uai;primaryKey"`
	ComputedAt      time.Time
	Status          string
	Outcome         string
	TargetAt        time.Time
	GreenNext       bool
	EarliestGreenAt *time.Time
	Reason          string
	Items           string
}

func (forecastRow) TableName() string { return "forecasts" }

func (r forecastRow) domain() (SchoolForecast, error) {
	f := SchoolForecast{ComputedAt: r.ComputedAt.UTC(), Forecast: campaign.Forecast{UAI: r.UAI, Status: r.Status,
		Outcome: campaign.ForecastOutcome(r.Outcome), Target: r.TargetAt.UTC(), GreenAtNextHandover: r.GreenNext, Reason: r.Reason}}
	if r.EarliestGreenAt != nil {
		f.EarliestGreen = r.EarliestGreenAt.UTC()
	}
	if err := json.Unmarshal([]byte(r.Items), &f.Items); err != nil {
		return SchoolForecast{}, fmt.Errorf("forecast of %s: %w", r.UAI, err)
	}
	for _, it := range f.Items {
		if !it.Unknown && (it.ETA.IsZero() || it.ETA.After(f.Target)) {
			f.Late = append(f.Late, it)
		}
	}
	return f, nil
}

// SaveForecasts replaces the stored forecasts of the given schools of an academy, in one
// transaction.
func (s *Store) SaveForecasts(ctx context.Context, scope access.Scope, academyID int64, fs []campaign.Forecast, computedAt time.Time) error {
	rows := make([]forecastRow, 0, len(fs))
	uais := make([]string, 0, len(fs))
	for _, f := range fs {
		if !scope.AllowsSchool(academyID, f.UAI) {
			return fmt.Errorf("save forecast of %s: %w", f.UAI, apperr.ErrNotFound)
		}
		items := f.Items
		if items == nil {
			items = []campaign.ForecastItem{}
		}
		b, err := json.Marshal(items)
		if err != nil {
			return fmt.Errorf("encode forecast of %s: %w", f.UAI, err)
		}
		r := forecastRow{AcademyID: academyID, UAI: f.UAI, ComputedAt: computedAt.UTC(), Status: f.Status, Outcome: string(f.Outcome),
			TargetAt: f.Target.UTC(), GreenNext: f.GreenAtNextHandover, Reason: f.Reason, Items: string(b)}
		if !f.EarliestGreen.IsZero() {
			t := f.EarliestGreen.UTC()
			r.EarliestGreenAt = &t
		}
		rows = append(rows, r)
		uais = append(uais, f.UAI)
	}
	return s.tx(ctx, func(tx *gorm.DB) error {
		for start := 0; start < len(rows); start += 500 {
			end := min(start+500, len(rows))
			if err := tx.Where("academy_id = ? AND uai IN ?", academyID, uais[start:end]).Delete(&forecastRow{}).Error; err != nil {
				return fmt.Errorf("replace forecasts: %w", err)
			}
			if err := tx.Create(rows[start:end]).Error; err != nil {
				return fmt.Errorf("save forecasts: %w", err)
			}
		}
		return nil
	})
}

// ForecastFilter selects forecasts.
type ForecastFilter struct {
	Outcome campaign.ForecastOutcome // "": every outcome
	UAI     string
}

// Forecasts returns the stored forecasts of the academy's schools in scope, by UAI.
func (s *Store) Forecasts(ctx context.Context, scope access.Scope, academyID int64, f ForecastFilter) ([]SchoolForecast, error) {
	if !scope.AllowsAcademy(academyID) {
		return nil, fmt.Errorf("forecasts of academy %d: %w", academyID, apperr.ErrNotFound)
	}
	q := scopeSchools(s.db.WithContext(ctx).Model(&forecastRow{}), scope, "forecasts").Where("academy_id = ?", academyID)
	if f.Outcome != "" {
		q = q.Where("outcome = ?", string(f.Outcome))
	}
	if f.UAI != "" {
		q = q.Where("uai = ?", f.UAI)
	}
	var rows []forecastRow
	if err := q.Order("uai").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list forecasts: %w", err)
	}
	out := make([]SchoolForecast, 0, len(rows))
	for _, r := range rows {
		f, err := r.domain()
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}

// ForecastOf returns the stored forecast of one school.
func (s *Store) ForecastOf(ctx context.Context, scope access.Scope, uai string) (SchoolForecast, error) {
	var r forecastRow
	if err := scopeSchools(s.db.WithContext(ctx).Model(&forecastRow{}), scope, "forecasts").Where("uai = ?", uai).Take(&r).Error; err != nil {
		return SchoolForecast{}, notFound(err, "forecast of %s", uai)
	}
	return r.domain()
}
