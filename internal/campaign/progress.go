package campaign

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/vigie-edu/vigie/internal/apperr"
)

// StepState is where a school stands on one step of the campaign.
type StepState string

// Step states.
const (
	StateNotStarted StepState = "not_started" // nothing shows the step was done
	StateInProgress StepState = "in_progress" // started, not finished (the files show a partial state)
	StateDone       StepState = "done"        // the files show it, or the school attested it
	StateBlocked    StepState = "blocked"     // an upstream step is not done
	StateLate       StepState = "late"        // not done and its deadline has passed
)

// Label is the French label of a state.
func (s StepState) Label() string {
	switch s {
	case StateNotStarted:
		return "Non commencée"
	case StateInProgress:
		return "En cours"
	case StateDone:
		return "Terminée"
	case StateBlocked:
		return "Bloquée"
	case StateLate:
		return "En retard"
	default:
		return string(s)
	}
}

// ParseObservedState accepts the states a policy may observe: done, in_progress, not_started.
func ParseObservedState(s string) (StepState, error) {
	switch st := StepState(s); st {
	case StateDone, StateInProgress, StateNotStarted:
		return st, nil
	default:
		return "", apperr.Invalid("observed step state %q: want done, in_progress or not_started", s)
	}
}

// EvidenceSource says where a step's state comes from.
type EvidenceSource string

// Evidence sources.
const (
	EvidenceFact        EvidenceSource = "fact"        // the school's files (policy-derived)
	EvidenceAttestation EvidenceSource = "attestation" // the school admin said so
	EvidenceNone        EvidenceSource = "none"        // nothing known
)

// Observation is what the school's files show about one step, as the campaign policy derives
// it from the latest fact snapshot and report.
type Observation struct {
	Step  Step
	State StepState // done, in_progress or not_started
	// Evidence says what the files show, in French.
	Evidence string
	// At is when the files showed it (the export time of the source that tells).
	At time.Time
}

// Attestation is a school admin's statement that a step is done, for steps the files cannot
// show. A newer fact that contradicts it expires it.
type Attestation struct {
	ID         int64
	AcademyID  int64
	UAI        string
	SchoolYear int
	Step       Step
	By         string // login of the school admin
	At         time.Time
	Comment    string
	// ExpiredAt is set when a newer fact contradicted the attestation.
	ExpiredAt     time.Time
	ExpiredReason string
}

// Active tells whether the attestation still counts.
func (a Attestation) Active() bool { return a.ExpiredAt.IsZero() }

// MaxCommentLength bounds an attestation's comment.
const MaxCommentLength = 2000

// Validate checks an attestation before it is stored.
func (a *Attestation) Validate() error {
	info, err := a.Step.Info()
	if err != nil {
		return err
	}
	if !info.Attestable() {
		return apperr.Invalid("L'étape %d (%s) est faite par l'académie, pas par l'établissement : elle ne peut pas être attestée", int(a.Step), info.Title)
	}
	a.Comment = strings.TrimSpace(a.Comment)
	if len(a.Comment) > MaxCommentLength {
		return apperr.Invalid("attestation comment: at most %d characters", MaxCommentLength)
	}
	if a.By == "" {
		return apperr.Invalid("attestation: who attests is required")
	}
	uai, err := ParseUAI(a.UAI)
	if err != nil {
		return err
	}
	a.UAI = uai
	return nil
}

// StepStatus is one step's state for a school, with its evidence.
type StepStatus struct {
	Step  Step
	State StepState
	// Progress is the state before dependencies and deadlines: done, in_progress or not_started.
	Progress      StepState
	Source        EvidenceSource
	Evidence      string // French
	EvidenceAt    time.Time
	AttestationID int64
	// BlockedBy is the upstream step to finish first (the earliest one not done whose own
	// prerequisites are done); 0 when nothing blocks.
	BlockedBy Step
	// Deadline is the academy's deadline for the step (zero: none).
	Deadline Date
	// Overdue: the deadline has passed and the step is not done (blocked steps too).
	Overdue bool
}

// Expiry is an attestation that a newer fact contradicts.
type Expiry struct {
	AttestationID int64
	Step          Step
	At            time.Time // the time of the contradicting fact
	Reason        string    // French
}

// ProgressInput is what Progress combines.
type ProgressInput struct {
	Now          time.Time
	Calendar     Calendar
	Observations []Observation
	// Attestations of the school for the year; expired ones are ignored, the latest active one
	// of a step counts. An attestation of a step the academy does never counts.
	Attestations []Attestation
	// Failing are the titles of the checks of each step, of severity blocker or error, that
	// fail in the school's latest report: a step is never done while one of them fails,
	// whatever the files show of it or the school attested.
	Failing map[Step][]string
}

// ProgressResult is the state of the 13 steps and the attestations to expire.
type ProgressResult struct {
	Steps  []StepStatus // the 13 steps, in order
	Expire []Expiry
}

// Progress derives the state of every step of a school: a step the files show done is done; a
// step they do not show is done when the school attested it, unless a fact newer than the
// attestation contradicts it (the attestation then expires); a step done either way is in
// progress again (to redo) while a blocker or error check of the step fails, naming those
// checks (an attestation so contradicted stays in force); a step not done whose prerequisite
// is not done is blocked, naming the upstream step to finish first; otherwise a step whose
// deadline has passed is late.
func Progress(in ProgressInput) ProgressResult {
	obs := map[Step]Observation{}
	for _, o := range in.Observations {
		if _, err := o.Step.Info(); err != nil {
			continue
		}
		obs[o.Step] = o
	}
	att := map[Step]Attestation{}
	for _, a := range in.Attestations {
		if info, err := a.Step.Info(); err != nil || !info.Attestable() || !a.Active() {
			continue
		}
		if prev, ok := att[a.Step]; !ok || a.At.After(prev.At) || (a.At.Equal(prev.At) && a.ID > prev.ID) {
			att[a.Step] = a
		}
	}

	var res ProgressResult
	res.Steps = make([]StepStatus, len(Steps))
	for i, info := range Steps {
		st := StepStatus{Step: info.Number, Progress: StateNotStarted, Source: EvidenceNone}
		o, hasObs := obs[info.Number]
		a, hasAtt := att[info.Number]
		switch {
		case hasObs && o.State == StateDone:
			st.Progress, st.Source, st.Evidence, st.EvidenceAt = StateDone, EvidenceFact, o.Evidence, o.At
		case hasAtt && hasObs && o.At.After(a.At):
			// A newer fact says the step is not done: the attestation no longer holds.
			res.Expire = append(res.Expire, Expiry{AttestationID: a.ID, Step: info.Number, At: o.At,
				Reason: fmt.Sprintf("Contredite par les fichiers du %s : %s", frenchInstant(o.At), o.Evidence)})
			st.Progress, st.Source, st.Evidence, st.EvidenceAt = o.State, EvidenceFact, o.Evidence, o.At
		case hasAtt:
			st.Progress, st.Source, st.EvidenceAt, st.AttestationID = StateDone, EvidenceAttestation, a.At, a.ID
			st.Evidence = fmt.Sprintf("Attestée par %s le %s", a.By, frenchInstant(a.At))
			if a.Comment != "" {
				st.Evidence += " : " + a.Comment
			}
		case hasObs:
			st.Progress, st.Source, st.Evidence, st.EvidenceAt = o.State, EvidenceFact, o.Evidence, o.At
		}
		if failing := in.Failing[info.Number]; st.Progress == StateDone && len(failing) > 0 {
			// The step is to redo: what the files show or the school said does not hold while
			// a check of the step that blocks the GAR fails.
			why := fmt.Sprintf("%s : %s", Plural(len(failing), "contrôle de cette étape échoue", "contrôles de cette étape échouent"), QuotedList(failing))
			if st.Source == EvidenceAttestation {
				st.Evidence = "Attestation contredite par les faits : " + why
			} else {
				st.Evidence = fmt.Sprintf("%s (les fichiers montrent par ailleurs : %s)", why, st.Evidence)
			}
			st.Progress = StateInProgress
		}
		if d, ok := in.Calendar.Deadline(info.Number); ok {
			st.Deadline = d
		}
		res.Steps[i] = st
	}

	for i := range res.Steps {
		st := &res.Steps[i]
		if st.Progress == StateDone {
			st.State = StateDone
			continue
		}
		st.Overdue = !st.Deadline.IsZero() && !in.Now.Before(st.Deadline.End())
		if up := rootBlocker(res.Steps, st.Step); up != 0 {
			st.State, st.BlockedBy = StateBlocked, up
			continue
		}
		if st.Overdue {
			st.State = StateLate
			continue
		}
		st.State = st.Progress
	}
	sort.Slice(res.Expire, func(i, j int) bool { return res.Expire[i].Step < res.Expire[j].Step })
	return res
}

// rootBlocker returns the upstream step to finish first for step s: among s's prerequisites
// not done, the earliest; then, while that one has a prerequisite not done, its own. 0 when
// every prerequisite of s is done.
func rootBlocker(steps []StepStatus, s Step) Step {
	blocker := Step(0)
	for cur := s; ; {
		next := Step(0)
		for _, dep := range Steps[cur-1].DependsOn {
			if steps[dep-1].Progress != StateDone && (next == 0 || dep < next) {
				next = dep
			}
		}
		if next == 0 {
			return blocker
		}
		blocker, cur = next, next
	}
}

// frenchInstant writes an instant as "02/09/2026 à 14 h 05", Paris time.
func frenchInstant(t time.Time) string {
	return t.In(Paris).Format("02/01/2006 à 15 h 04")
}
