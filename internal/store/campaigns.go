package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"gorm.io/gorm"

	"github.com/vigie-edu/vigie/internal/access"
	"github.com/vigie-edu/vigie/internal/apperr"
	"github.com/vigie-edu/vigie/internal/campaign"
)

type campaignRow struct {
	ID           int64 `gorm:"primaryKey"`
	AcademyID    int64
	SchoolYear   int
	StartsOn     string
	HandoverTime string
	CopiedFrom   *int
	CreatedAt    time.Time
	UpdatedAt    time.Time
	UpdatedBy    string
}

func (campaignRow) TableName() string { return "campaigns" }

type deadlineRow struct {
	CampaignID int64 `gorm:"primaryKey;autoIncrement:false"`
	Step       int   `gorm:"primaryKey;autoIncrement:false"`
	DueOn      string
	UpdatedAt  time.Time
	UpdatedBy  string
}

func (deadlineRow) TableName() string { return "campaign_deadlines" }

func (r campaignRow) domain(deadlines []deadlineRow) (campaign.Campaign, error) {
	start, err := campaign.ParseDate(r.StartsOn)
	if err != nil {
		return campaign.Campaign{}, fmt.Errorf("campaign %d: %w", r.ID, err)
	}
	h, err := campaign.ParseHandoverTime(r.HandoverTime)
	if err != nil {
		return campaign.Campaign{}, fmt.Errorf("campaign %d: %w", r.ID, err)
	}
	c := campaign.Campaign{ID: r.ID, AcademyID: r.AcademyID, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
		UpdatedBy: r.UpdatedBy, Calendar: campaign.Calendar{SchoolYear: r.SchoolYear, Start: start, HandoverTime: h,
			Deadlines: make(map[campaign.Step]campaign.Date, len(deadlines))}}
	if r.CopiedFrom != nil {
		c.CopiedFrom = *r.CopiedFrom
	}
	for _, d := range deadlines {
		due, err := campaign.ParseDate(d.DueOn)
		if err != nil {
			return campaign.Campaign{}, fmt.Errorf("campaign %d step %d: %w", r.ID, d.Step, err)
		}
		c.Calendar.Deadlines[campaign.Step(d.Step)] = due
	}
	return c, nil
}

// auditCalendar is the audit log's view of a calendar.
func auditCalendar(c campaign.Calendar) map[string]any {
	dl := map[string]string{}
	for s, d := range c.Deadlines {
		dl[strconv.Itoa(int(s))] = d.String()
	}
	return map[string]any{"school_year": c.SchoolYear, "start": c.Start.String(),
		"handover_time": campaign.FormatHandoverTime(c.HandoverTime), "deadlines": dl}
}

// Campaign returns the academy's campaign of a school year.
func (s *Store) Campaign(ctx context.Context, scope access.Scope, academyID int64, year int) (campaign.Campaign, error) {
	if !scope.AllowsAcademy(academyID) {
		return campaign.Campaign{}, fmt.Errorf("campaign %d of academy %d: %w", year, academyID, apperr.ErrNotFound)
	}
	return s.campaign(s.db.WithContext(ctx), academyID, year)
}

func (s *Store) campaign(db *gorm.DB, academyID int64, year int) (campaign.Campaign, error) {
	var r campaignRow
	if err := db.Where("academy_id = ? AND school_year = ?", academyID, year).Take(&r).Error; err != nil {
		return campaign.Campaign{}, notFound(err, "campaign %d of academy %d", year, academyID)
	}
	var dl []deadlineRow
	if err := db.Where("campaign_id = ?", r.ID).Order("step").Find(&dl).Error; err != nil {
		return campaign.Campaign{}, fmt.Errorf("deadlines of campaign %d: %w", r.ID, err)
	}
	return r.domain(dl)
}

// ListCampaigns returns the academy's campaigns, the latest school year first.
func (s *Store) ListCampaigns(ctx context.Context, scope access.Scope, academyID int64) ([]campaign.Campaign, error) {
	if !scope.AllowsAcademy(academyID) {
		return nil, fmt.Errorf("campaigns of academy %d: %w", academyID, apperr.ErrNotFound)
	}
	db := s.db.WithContext(ctx)
	var rows []campaignRow
	if err := db.Where("academy_id = ?", academyID).Order("school_year DESC").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list campaigns of academy %d: %w", academyID, err)
	}
	out := make([]campaign.Campaign, 0, len(rows))
	for _, r := range rows {
		var dl []deadlineRow
		if err := db.Where("campaign_id = ?", r.ID).Order("step").Find(&dl).Error; err != nil {
			return nil, fmt.Errorf("deadlines of campaign %d: %w", r.ID, err)
		}
		c, err := r.domain(dl)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// NewCampaign says how to start a campaign.
type NewCampaign struct {
	SchoolYear int
	// Start is the start of the school year; zero takes the previous campaign's day and month,
	// or 1 September.
	Start campaign.Date
	// FromPrevious starts from the previous school year's calendar when the academy has one
	// (deadlines keep their distance from the start); otherwise from the defaults.
	FromPrevious bool
}

// CreateCampaign starts the academy's campaign of a school year. A campaign that exists is a
// conflict.
func (s *Store) CreateCampaign(ctx context.Context, scope access.Scope, academyID int64, nc NewCampaign, by Actor) (campaign.Campaign, error) {
	if !scope.AllowsAllSchools(academyID) {
		return campaign.Campaign{}, fmt.Errorf("create campaign of academy %d: %w", academyID, apperr.ErrForbidden)
	}
	var out campaign.Campaign
	err := s.tx(ctx, func(tx *gorm.DB) error {
		c, err := s.createCampaign(tx, academyID, nc, by)
		out = c
		return err
	})
	return out, err
}

func (s *Store) createCampaign(tx *gorm.DB, academyID int64, nc NewCampaign, by Actor) (campaign.Campaign, error) {
	cal := campaign.DefaultCalendar(nc.SchoolYear)
	if !nc.Start.IsZero() {
		cal = campaign.FromPrevious(cal, nc.SchoolYear, nc.Start)
	}
	var copied *int
	if nc.FromPrevious {
		prev, err := s.campaign(tx, academyID, nc.SchoolYear-1)
		switch {
		case err == nil:
			cal = campaign.FromPrevious(prev.Calendar, nc.SchoolYear, nc.Start)
			y := nc.SchoolYear - 1
			copied = &y
		case !errors.Is(err, apperr.ErrNotFound):
			return campaign.Campaign{}, err
		}
	}
	if err := cal.Validate(); err != nil {
		return campaign.Campaign{}, err
	}
	now := s.now()
	row := campaignRow{AcademyID: academyID, SchoolYear: cal.SchoolYear, StartsOn: cal.Start.String(),
		HandoverTime: campaign.FormatHandoverTime(cal.HandoverTime), CopiedFrom: copied, CreatedAt: now, UpdatedAt: now,
		UpdatedBy: by.Login}
	if err := tx.Create(&row).Error; err != nil {
		if isUniqueViolation(err) {
			return campaign.Campaign{}, fmt.Errorf("campaign %d of academy %d: %w", nc.SchoolYear, academyID, apperr.ErrConflict)
		}
		return campaign.Campaign{}, fmt.Errorf("create campaign %d: %w", nc.SchoolYear, err)
	}
	dl := make([]deadlineRow, 0, len(cal.Deadlines))
	for _, st := range cal.DeadlineSteps() {
		dl = append(dl, deadlineRow{CampaignID: row.ID, Step: int(st), DueOn: cal.Deadlines[st].String(), UpdatedAt: now, UpdatedBy: by.Login})
	}
	if len(dl) > 0 {
		if err := tx.Create(&dl).Error; err != nil {
			return campaign.Campaign{}, fmt.Errorf("create deadlines of campaign %d: %w", nc.SchoolYear, err)
		}
	}
	c, err := row.domain(dl)
	if err != nil {
		return campaign.Campaign{}, err
	}
	err = s.writeAudit(tx, by, Change{AcademyID: academyID, Action: "campaign.create", TargetType: "campaign",
		TargetID: strconv.Itoa(nc.SchoolYear), After: auditCalendar(c.Calendar)})
	return c, err
}

// EnsureCampaign returns the academy's campaign of a school year, starting it from the previous
// year's calendar (or the defaults) when there is none: the daily jobs track every academy
// without waiting for a supervisor.
func (s *Store) EnsureCampaign(ctx context.Context, scope access.Scope, academyID int64, year int, by Actor) (campaign.Campaign, error) {
	c, err := s.Campaign(ctx, scope, academyID, year)
	if !errors.Is(err, apperr.ErrNotFound) {
		return c, err
	}
	c, err = s.CreateCampaign(ctx, scope, academyID, NewCampaign{SchoolYear: year, FromPrevious: true}, by)
	if errors.Is(err, apperr.ErrConflict) { // another replica started it meanwhile
		return s.Campaign(ctx, scope, academyID, year)
	}
	return c, err
}

// CalendarUpdate changes a campaign's calendar; nil fields are left as they are.
type CalendarUpdate struct {
	Start        *campaign.Date
	HandoverTime *time.Duration
	// Deadlines to set; a zero Date removes the step's deadline.
	Deadlines map[campaign.Step]campaign.Date
}

// UpdateCalendar edits a campaign's calendar (supervisors), audited, in one transaction.
func (s *Store) UpdateCalendar(ctx context.Context, scope access.Scope, academyID int64, year int, up CalendarUpdate, by Actor) (campaign.Campaign, error) {
	if !scope.AllowsAllSchools(academyID) {
		return campaign.Campaign{}, fmt.Errorf("update campaign %d of academy %d: %w", year, academyID, apperr.ErrForbidden)
	}
	var out campaign.Campaign
	err := s.tx(ctx, func(tx *gorm.DB) error {
		before, err := s.campaign(tx, academyID, year)
		if err != nil {
			return err
		}
		cal := before.Calendar
		cal.Deadlines = make(map[campaign.Step]campaign.Date, len(before.Calendar.Deadlines))
		for k, v := range before.Calendar.Deadlines {
			cal.Deadlines[k] = v
		}
		if up.Start != nil {
			cal.Start = *up.Start
		}
		if up.HandoverTime != nil {
			cal.HandoverTime = *up.HandoverTime
		}
		for st, d := range up.Deadlines {
			if d.IsZero() {
				delete(cal.Deadlines, st)
				continue
			}
			cal.Deadlines[st] = d
		}
		for st := range up.Deadlines {
			if _, err := st.Info(); err != nil {
				return err
			}
		}
		if err := cal.Validate(); err != nil {
			return err
		}
		now := s.now()
		if err := tx.Model(&campaignRow{}).Where("id = ?", before.ID).Updates(map[string]any{
			"starts_on": cal.Start.String(), "handover_time": campaign.FormatHandoverTime(cal.HandoverTime),
			"updated_at": now, "updated_by": by.Login}).Error; err != nil {
			return fmt.Errorf("update campaign %d: %w", year, err)
		}
		for st, d := range up.Deadlines {
			if err := tx.Where("campaign_id = ? AND step = ?", before.ID, int(st)).Delete(&deadlineRow{}).Error; err != nil {
				return fmt.Errorf("update deadline of step %d: %w", st, err)
			}
			if d.IsZero() {
				continue
			}
			if err := tx.Create(&deadlineRow{CampaignID: before.ID, Step: int(st), DueOn: d.String(), UpdatedAt: now, UpdatedBy: by.Login}).Error; err != nil {
				return fmt.Errorf("update deadline of step %d: %w", st, err)
			}
		}
		if out, err = s.campaign(tx, academyID, year); err != nil {
			return err
		}
		return s.writeAudit(tx, by, Change{AcademyID: academyID, Action: "campaign.update", TargetType: "campaign",
			TargetID: strconv.Itoa(year), Before: auditCalendar(before.Calendar), After: auditCalendar(out.Calendar)})
	})
	if err != nil {
		return campaign.Campaign{}, err
	}
	return out, nil
}
