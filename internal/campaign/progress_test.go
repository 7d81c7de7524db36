package campaign

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigie-edu/vigie/internal/apperr"
)

func paris(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, Paris)
	if err != nil {
		panic(err)
	}
	return t
}

func TestDate(t *testing.T) {
	d, err := ParseDate("2026-09-01")
	require.NoError(t, err)
	assert.Equal(t, "2026-09-01", d.String())
	assert.Equal(t, "mardi 1 septembre 2026", d.French())
	assert.Equal(t, "2026-08-18", d.AddDays(-14).String())
	assert.Equal(t, "2026-10-01", NewDate(2026, time.September, 31).String())
	assert.Equal(t, -14, d.DaysUntil(d.AddDays(-14)))
	assert.Equal(t, paris("2026-09-02 00:00"), d.End())
	assert.True(t, d.AddDays(-1).Before(d))

	// Across the change to winter time (25 October 2026) the day still ends at midnight.
	assert.Equal(t, paris("2026-10-26 00:00"), NewDate(2026, time.October, 25).End())
	assert.Equal(t, 25*time.Hour, NewDate(2026, time.October, 25).End().Sub(NewDate(2026, time.October, 25).Start()))

	_, err = ParseDate("01/09/2026")
	assert.ErrorIs(t, err, apperr.ErrInvalid)
	zero, err := ParseDate("")
	require.NoError(t, err)
	assert.True(t, zero.IsZero())

	b, err := json.Marshal(map[string]Date{"d": d, "z": {}})
	require.NoError(t, err)
	assert.JSONEq(t, `{"d":"2026-09-01","z":""}`, string(b))
	var back map[string]Date
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, d, back["d"])
}

func TestCalendar(t *testing.T) {
	c := DefaultCalendar(2026)
	require.NoError(t, c.Validate())
	assert.Equal(t, "2026-09-01", c.Start.String())
	assert.Len(t, c.DeadlineSteps(), 13)
	d12, ok := c.Deadline(12)
	require.True(t, ok)
	assert.Equal(t, "2026-09-15", d12.String())

	c.Start = NewDate(2026, time.September, 2) // rentrée on Wednesday 2 September
	c.Deadlines[12] = NewDate(2026, time.September, 18)
	next := FromPrevious(c, 2027, Date{})
	require.NoError(t, next.Validate())
	assert.Equal(t, 2027, next.SchoolYear)
	assert.Equal(t, "2027-09-02", next.Start.String())
	d, _ := next.Deadline(12)
	assert.Equal(t, "2027-09-18", d.String(), "same distance from the start")
	moved := FromPrevious(c, 2027, NewDate(2027, time.September, 1))
	d, _ = moved.Deadline(12)
	assert.Equal(t, "2027-09-17", d.String(), "deadlines follow the start")

	bad := DefaultCalendar(2026)
	bad.Start = NewDate(2025, time.September, 1)
	assert.ErrorIs(t, bad.Validate(), apperr.ErrInvalid)
	bad = DefaultCalendar(2026)
	bad.HandoverTime = 25 * time.Hour
	assert.ErrorIs(t, bad.Validate(), apperr.ErrInvalid)
	bad = DefaultCalendar(2026)
	bad.Deadlines[14] = bad.Start
	assert.ErrorIs(t, bad.Validate(), apperr.ErrInvalid)
	bad = DefaultCalendar(2026)
	bad.Deadlines[3] = NewDate(2028, time.January, 1)
	assert.ErrorIs(t, bad.Validate(), apperr.ErrInvalid)

	h, err := ParseHandoverTime("06:30")
	require.NoError(t, err)
	assert.Equal(t, 6*time.Hour+30*time.Minute, h)
	assert.Equal(t, "06:30", FormatHandoverTime(h))
	_, err = ParseHandoverTime("6h")
	assert.ErrorIs(t, err, apperr.ErrInvalid)
}

func stateOf(t *testing.T, r ProgressResult, s Step) StepStatus {
	t.Helper()
	require.Len(t, r.Steps, 13)
	return r.Steps[s-1]
}

func TestProgressFactsAttestationsDependencies(t *testing.T) {
	cal := DefaultCalendar(2026) // step 12 due 2026-09-15, step 13 due 2026-09-22
	now := paris("2026-09-16 05:30")
	facts := paris("2026-09-15 18:00")
	var obs []Observation
	for _, s := range []Step{1, 5, 6, 7, 10, 11} {
		obs = append(obs, Observation{Step: s, State: StateDone, Evidence: "vu", At: facts})
	}
	obs = append(obs, Observation{Step: 12, State: StateInProgress, Evidence: "3 groupes vides dans SIECLE-BEE", At: facts})
	atts := []Attestation{
		// Step 2 is the academy's: an attestation of it (made before Vigie refused them) never counts.
		{ID: 1, Step: 2, By: "ce.0790029c", At: paris("2026-08-01 10:00"), Comment: "reçues"},
		{ID: 2, Step: 3, By: "ce.0790029c", At: paris("2026-08-01 10:00"), Comment: "sélectionnées"},
		{ID: 3, Step: 4, By: "ce.0790029c", At: paris("2026-08-01 10:00")},
		{ID: 4, Step: 8, By: "ce.0790029c", At: paris("2026-08-20 10:00")},
		// Step 12 attested before the files showed empty groups: the newer fact wins.
		{ID: 5, Step: 12, By: "ce.0790029c", At: paris("2026-09-14 09:00"), Comment: "liens importés"},
		// An expired attestation does not count.
		{ID: 6, Step: 9, By: "ce.0790029c", At: paris("2026-08-20 10:00"), ExpiredAt: paris("2026-09-01 00:00")},
	}
	r := Progress(ProgressInput{Now: now, Calendar: cal, Observations: obs, Attestations: atts})

	s1 := stateOf(t, r, 1)
	assert.Equal(t, StateDone, s1.State)
	assert.Equal(t, EvidenceFact, s1.Source)

	s2 := stateOf(t, r, 2)
	assert.Equal(t, StateLate, s2.State, "the academy's step, attested by the school, is not done")
	assert.Equal(t, EvidenceNone, s2.Source)
	assert.Zero(t, s2.AttestationID)

	s3 := stateOf(t, r, 3)
	assert.Equal(t, StateDone, s3.State)
	assert.Equal(t, EvidenceAttestation, s3.Source)
	assert.Equal(t, int64(2), s3.AttestationID)
	assert.Equal(t, "Attestée par ce.0790029c le 01/08/2026 à 10 h 00 : sélectionnées", s3.Evidence)

	s9 := stateOf(t, r, 9) // not attested (expired), deadline 2026-08-29 passed, prerequisites done
	assert.Equal(t, StateLate, s9.State)
	assert.True(t, s9.Overdue)
	assert.Equal(t, EvidenceNone, s9.Source)

	s12 := stateOf(t, r, 12)
	assert.Equal(t, StateBlocked, s12.State, "step 12 needs step 9")
	assert.Equal(t, Step(9), s12.BlockedBy)
	assert.Equal(t, StateInProgress, s12.Progress)
	assert.Equal(t, EvidenceFact, s12.Source)
	assert.True(t, s12.Overdue)

	s13 := stateOf(t, r, 13) // depends on 12, which depends on 11 (done) and 9 (not done): root is 9
	assert.Equal(t, StateBlocked, s13.State)
	assert.Equal(t, Step(9), s13.BlockedBy)
	assert.False(t, s13.Overdue, "due 2026-09-22")

	require.Len(t, r.Expire, 1)
	assert.Equal(t, int64(5), r.Expire[0].AttestationID)
	assert.Equal(t, Step(12), r.Expire[0].Step)
	assert.Equal(t, "Contredite par les fichiers du 15/09/2026 à 18 h 00 : 3 groupes vides dans SIECLE-BEE", r.Expire[0].Reason)

	// Once step 9 is attested, step 12 is no longer blocked but late (deadline passed).
	atts = append(atts, Attestation{ID: 7, Step: 9, By: "ce.0790029c", At: paris("2026-09-16 05:00")})
	r = Progress(ProgressInput{Now: now, Calendar: cal, Observations: obs, Attestations: atts})
	assert.Equal(t, StateLate, stateOf(t, r, 12).State)
	assert.Equal(t, Step(0), stateOf(t, r, 12).BlockedBy)
	assert.Equal(t, StateBlocked, stateOf(t, r, 13).State)
	assert.Equal(t, Step(12), stateOf(t, r, 13).BlockedBy)

	// Before the deadline, an unfinished step is just in progress.
	r = Progress(ProgressInput{Now: paris("2026-09-15 23:59"), Calendar: cal, Observations: obs, Attestations: atts})
	assert.Equal(t, StateInProgress, stateOf(t, r, 12).State)
	assert.False(t, stateOf(t, r, 12).Overdue)
}

func TestProgressAttestationNewerThanFactHolds(t *testing.T) {
	obs := []Observation{{Step: 1, State: StateNotStarted, Evidence: "aucun export STS-Web", At: paris("2026-08-10 08:00")}}
	atts := []Attestation{{ID: 1, Step: 1, By: "a", At: paris("2026-08-11 08:00")}}
	r := Progress(ProgressInput{Now: paris("2026-08-12 08:00"), Calendar: Calendar{SchoolYear: 2026}, Observations: obs, Attestations: atts})
	assert.Empty(t, r.Expire)
	assert.Equal(t, StateDone, stateOf(t, r, 1).State)
	assert.Equal(t, EvidenceAttestation, stateOf(t, r, 1).Source)
	// No calendar deadline: never late.
	assert.Equal(t, StateBlocked, stateOf(t, r, 3).State)
	assert.Equal(t, Step(2), stateOf(t, r, 3).BlockedBy)
	assert.Equal(t, StateNotStarted, stateOf(t, r, 2).State)
}

func TestProgressDoneDespiteUpstream(t *testing.T) {
	// The files show step 13 done: it is done even if nothing is known upstream.
	obs := []Observation{{Step: 13, State: StateDone, Evidence: "ENT peuplé", At: paris("2026-09-20 02:00")}}
	r := Progress(ProgressInput{Now: paris("2026-09-20 06:00"), Calendar: DefaultCalendar(2026), Observations: obs})
	assert.Equal(t, StateDone, stateOf(t, r, 13).State)
	assert.Equal(t, StateLate, stateOf(t, r, 1).State)
	assert.Equal(t, StateBlocked, stateOf(t, r, 2).State)
	assert.Equal(t, Step(1), stateOf(t, r, 2).BlockedBy)
}

func TestProgressFailingChecksReopenAStep(t *testing.T) {
	cal := DefaultCalendar(2026) // step 5 due 18 August, step 8 27 August
	facts := paris("2026-08-09 18:00")
	obs := []Observation{
		{Step: 1, State: StateDone, Evidence: "vu", At: facts},
		{Step: 4, State: StateDone, Evidence: "vu", At: facts},
		{Step: 5, State: StateDone, Evidence: "12 divisions dans STS-Web", At: facts},
		{Step: 13, State: StateNotStarted, Evidence: "L'établissement est absent de l'annuaire fédérateur", At: paris("2026-08-01 02:00")},
	}
	atts := []Attestation{
		{ID: 1, Step: 3, By: "ce", At: paris("2026-08-01 10:00")},
		{ID: 2, Step: 8, By: "ce", At: paris("2026-08-05 10:00"), Comment: "fait"},
	}
	failing := map[Step][]string{
		5: {"Professeur principal désigné dans chaque division", "Effectifs des divisions"},
		8: {"Enseignants connus"},
	}
	in := ProgressInput{Now: paris("2026-08-10 08:00"), Calendar: cal, Observations: obs, Attestations: atts, Failing: failing}
	r := Progress(in)

	s5 := stateOf(t, r, 5)
	assert.Equal(t, StateInProgress, s5.State, "done in the files, but two of its checks fail: to redo")
	assert.Equal(t, EvidenceFact, s5.Source)
	assert.Equal(t, "2 contrôles de cette étape échouent : « Professeur principal désigné dans chaque division » et « Effectifs des divisions » (les fichiers montrent par ailleurs : 12 divisions dans STS-Web)", s5.Evidence)

	s8 := stateOf(t, r, 8)
	assert.Equal(t, StateBlocked, s8.State, "attested, contradicted, and step 5 is to redo first")
	assert.Equal(t, Step(5), s8.BlockedBy)
	assert.Equal(t, EvidenceAttestation, s8.Source, "the attestation stays in force, shown contradicted")
	assert.Equal(t, int64(2), s8.AttestationID)
	assert.Equal(t, "Attestation contredite par les faits : 1 contrôle de cette étape échoue : « Enseignants connus »", s8.Evidence)
	assert.Empty(t, r.Expire)

	// A step whose own checks pass is done as before.
	assert.Equal(t, StateDone, stateOf(t, r, 3).State)
	assert.Equal(t, StateDone, stateOf(t, r, 4).State)

	// Past its deadline, a step to redo is late.
	in.Now = paris("2026-09-30 08:00")
	r = Progress(in)
	assert.Equal(t, StateLate, stateOf(t, r, 5).State)
	assert.True(t, stateOf(t, r, 5).Overdue)

	// Once the checks pass, the step is done again, and the attestation counts.
	in.Failing = nil
	r = Progress(in)
	assert.Equal(t, StateDone, stateOf(t, r, 5).State)
	assert.Equal(t, StateDone, stateOf(t, r, 8).State)
}

func TestAttestationValidate(t *testing.T) {
	a := Attestation{UAI: "0790029c", Step: 8, By: "x", Comment: "  fait  "}
	require.NoError(t, a.Validate())
	assert.Equal(t, "fait", a.Comment)
	a.Step = 0
	assert.ErrorIs(t, a.Validate(), apperr.ErrInvalid)
	for _, s := range []Step{2, 13} { // the academy's steps
		a := Attestation{UAI: "0790029C", Step: s, By: "x"}
		err := a.Validate()
		assert.ErrorIs(t, err, apperr.ErrInvalid)
		assert.ErrorContains(t, err, "est faite par l'académie, pas par l'établissement : elle ne peut pas être attestée")
	}
	var attestable []Step
	for _, info := range Steps {
		if info.Attestable() {
			attestable = append(attestable, info.Number)
		}
	}
	assert.Equal(t, []Step{1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, attestable)
	a = Attestation{UAI: "0790029C", Step: 8}
	assert.ErrorIs(t, a.Validate(), apperr.ErrInvalid)
	for _, s := range []string{"done", "in_progress", "not_started"} {
		_, err := ParseObservedState(s)
		assert.NoError(t, err)
	}
	_, err := ParseObservedState("late")
	assert.ErrorIs(t, err, apperr.ErrInvalid)
	assert.Equal(t, "En retard", StateLate.Label())
}
