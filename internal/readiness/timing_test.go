package readiness

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestDeadlines(t *testing.T) {
	tm := DefaultTiming()
	paris := tm.Location
	at := func(y int, m time.Month, d, h, min int) time.Time { return time.Date(y, m, d, h, min, 0, 0, paris) }
	tests := []struct {
		name    string
		now     time.Time
		stage   string
		by      time.Time
		reaches time.Time
	}{
		// Monday 5 October 2026. Links: visible in SIECLE on Tuesday, synchronised by Thursday,
		// in the ENT directory of Thursday, at the GAR on Friday morning.
		{"links, morning", at(2026, 10, 5, 9, 0), "links", at(2026, 10, 5, 20, 0), at(2026, 10, 9, 6, 0)},
		{"links, one minute before the cut-off", at(2026, 10, 5, 19, 59), "links", at(2026, 10, 5, 20, 0), at(2026, 10, 9, 6, 0)},
		{"links, at the cut-off: next night", at(2026, 10, 5, 20, 0), "links", at(2026, 10, 6, 20, 0), at(2026, 10, 10, 6, 0)},
		{"links, just before midnight", at(2026, 10, 5, 23, 59), "links", at(2026, 10, 6, 20, 0), at(2026, 10, 10, 6, 0)},
		{"links, just after midnight", at(2026, 10, 6, 0, 1), "links", at(2026, 10, 6, 20, 0), at(2026, 10, 10, 6, 0)},
		{"STS-Web: export overnight, then synchronisation", at(2026, 10, 5, 9, 0), "sts", at(2026, 10, 5, 20, 0), at(2026, 10, 9, 6, 0)},
		{"SIECLE-BEE", at(2026, 10, 5, 9, 0), "siecle", at(2026, 10, 5, 20, 0), at(2026, 10, 8, 6, 0)},
		{"ENT: next nightly feed, GAR at J+1", at(2026, 10, 5, 9, 0), "ent", at(2026, 10, 5, 20, 0), at(2026, 10, 7, 6, 0)},
		{"ENT, around the handover hour", at(2026, 10, 7, 6, 0), "ent", at(2026, 10, 7, 20, 0), at(2026, 10, 9, 6, 0)},
		{"a new upload to Vigie: tonight", at(2026, 10, 5, 9, 0), "vigie", at(2026, 10, 5, 20, 0), time.Time{}},
		// Sunday 25 October 2026, clocks go back at 3:00: wall-clock cut-off and handover.
		{"change of hour", at(2026, 10, 24, 21, 0), "ent", at(2026, 10, 25, 20, 0), at(2026, 10, 27, 6, 0)},
		{"instant given in UTC", time.Date(2026, 10, 5, 17, 59, 0, 0, time.UTC), "ent", at(2026, 10, 5, 20, 0), at(2026, 10, 7, 6, 0)},
		{"instant given in UTC, after the cut-off in Paris", time.Date(2026, 10, 5, 18, 0, 0, 0, time.UTC), "ent", at(2026, 10, 6, 20, 0), at(2026, 10, 8, 6, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := tm.DeadlineFor(tt.stage, tt.now)
			assert.Equal(t, tt.by, d.By, "by")
			assert.Equal(t, tt.reaches, d.ReachesGAR, "reaches the GAR")
			assert.Equal(t, DeadlineNextHandover, d.Kind)
			assert.False(t, d.Late)
			assert.Equal(t, paris, d.By.Location())
		})
	}
}

func TestDeadlineWithCampaignTarget(t *testing.T) {
	tm := DefaultTiming()
	paris := tm.Location
	at := func(m time.Month, d, h, min int) time.Time { return time.Date(2026, m, d, h, min, 0, 0, paris) }
	tm.Target = at(10, 16, 8, 0) // the academy wants every group populated at the GAR on Friday 16 October

	d := tm.DeadlineFor("links", at(10, 5, 9, 0))
	assert.Equal(t, DeadlineTarget, d.Kind)
	assert.Equal(t, at(10, 16, 6, 0), d.ReachesGAR, "the last handover before the target")
	assert.Equal(t, at(10, 12, 20, 0), d.By, "4 days of chain: the links import can wait until Monday 12 October evening")
	assert.False(t, d.Late)

	ent := tm.DeadlineFor("ent", at(10, 5, 9, 0))
	assert.True(t, ent.By.After(d.By), "a shorter chain leaves more time")

	late := tm.DeadlineFor("links", at(10, 14, 9, 0))
	assert.True(t, late.Late, "Wednesday 14 October is too late for Friday")
	assert.Equal(t, DeadlineNextHandover, late.Kind)
	assert.Equal(t, at(10, 18, 6, 0), late.ReachesGAR)

	tm.Target = at(10, 16, 5, 0) // before that day's handover: the previous one counts
	assert.Equal(t, at(10, 15, 6, 0), tm.DeadlineFor("links", at(10, 5, 9, 0)).ReachesGAR)
}

func TestNextHandover(t *testing.T) {
	tm := DefaultTiming()
	paris := tm.Location
	assert.Equal(t, time.Date(2026, 10, 5, 6, 0, 0, 0, paris), tm.NextHandover(time.Date(2026, 10, 5, 5, 59, 0, 0, paris)))
	assert.Equal(t, time.Date(2026, 10, 6, 6, 0, 0, 0, paris), tm.NextHandover(time.Date(2026, 10, 5, 6, 0, 0, 0, paris)))
}

func TestTimingValidate(t *testing.T) {
	assert.NoError(t, DefaultTiming().Validate())
	bad := DefaultTiming()
	bad.NightlyCutoff = 25 * time.Hour
	assert.Error(t, bad.Validate())
	bad = DefaultTiming()
	bad.SyncDays = -1
	assert.Error(t, bad.Validate())
	bad = DefaultTiming()
	bad.Location = nil
	assert.Error(t, bad.Validate())
}

func TestSchoolYearAt(t *testing.T) {
	paris := DefaultTiming().Location
	assert.Equal(t, 2026, SchoolYearAt(time.Date(2026, 8, 1, 0, 0, 0, 0, paris), paris))
	assert.Equal(t, 2025, SchoolYearAt(time.Date(2026, 7, 31, 23, 59, 0, 0, paris), paris))
	assert.Equal(t, 2026, SchoolYearAt(time.Date(2026, 7, 31, 22, 30, 0, 0, time.UTC), paris), "00:30 on 1 August in Paris")
}
