package readiness

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/vigie-edu/vigie/internal/fact"
	"github.com/vigie-edu/vigie/internal/policy"
)

// Status of a school.
type Status string

// School statuses (checks.md, docs/design.md "Check decisions").
const (
	StatusReady    Status = "ready"     // no blocker or error fails, none is unknown
	StatusAtRisk   Status = "at_risk"   // only warnings fail, or a blocker/error is unknown
	StatusNotReady Status = "not_ready" // a blocker or error fails or ends in error
)

// CheckStatus is a check's status in a report.
type CheckStatus string

// Check statuses.
const (
	CheckPass    CheckStatus = "pass"
	CheckFail    CheckStatus = "fail"
	CheckUnknown CheckStatus = "unknown" // a needed source is missing or stale: never a pass
	CheckError   CheckStatus = "error"   // the policy could not be evaluated
	CheckExempt  CheckStatus = "exempt"  // an approved exemption applies
)

// Exemption is an approved exemption (dérogation) of one check for one school.
type Exemption struct {
	Check  string
	Until  time.Time // the exemption applies while now is before Until
	Reason string
}

// Instant is a time written in JSON as RFC 3339 in the timing's location, or "" when zero.
type Instant struct{ time.Time }

// MarshalJSON writes "" for the zero instant.
func (i Instant) MarshalJSON() ([]byte, error) {
	if i.IsZero() {
		return []byte(`""`), nil
	}
	return json.Marshal(i.Format(time.RFC3339))
}

// UnmarshalJSON reads what MarshalJSON writes.
func (i *Instant) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("read instant: %w", err)
	}
	if s == "" {
		i.Time = time.Time{}
		return nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return fmt.Errorf("read instant: %w", err)
	}
	i.Time = t
	return nil
}

// Item is one failing element: a division, group, pupil, source or service.
type Item struct {
	Code   string `json:"code"`
	Kind   string `json:"kind"`
	Detail string `json:"detail"`
}

// CheckReport is one check's outcome for the school, with what to do about it.
type CheckReport struct {
	ID       string      `json:"id"`
	Status   CheckStatus `json:"status"`
	Severity string      `json:"severity"`
	Step     int         `json:"step"`
	Title    string      `json:"title"`
	Items    []Item      `json:"items"`
	Fix      string      `json:"fix"`
	// Deadline is the cut-off: done before it, the fix makes the handover in ReachesGAR.
	// Empty for checks that pass.
	Deadline Instant `json:"deadline"`

	StepNote     string  `json:"step_note,omitempty"`
	Why          string  `json:"why"`
	Who          string  `json:"who,omitempty"`
	Software     string  `json:"software,omitempty"`
	Mode         string  `json:"mode"`   // enforce or monitor
	Counts       bool    `json:"counts"` // counts in the status and the to-do list
	Outcome      string  `json:"outcome,omitempty"`
	ExemptUntil  Instant `json:"exempt_until"`
	ExemptReason string  `json:"exempt_reason,omitempty"`
	Reason       string  `json:"reason,omitempty"`
	Note         string  `json:"note,omitempty"`
	Summary      string  `json:"summary,omitempty"`
	Error        string  `json:"error,omitempty"`
	ReachesGAR   Instant `json:"reaches_gar_at"`
	DeadlineKind string  `json:"deadline_kind,omitempty"`
	Late         bool    `json:"late,omitempty"`
	// Extra holds the policy's other result fields (e.g. "basis").
	Extra map[string]any `json:"extra,omitempty"`
}

// TodoItem is one thing to do, in order: what, why, how, by when, and what must be done
// first.
type TodoItem struct {
	Check     string   `json:"check"`
	Rank      int      `json:"rank"`
	BlockedBy []string `json:"blocked_by"`
	Title     string   `json:"title"`
	Fix       string   `json:"fix"`
	Deadline  Instant  `json:"deadline"`

	Status     CheckStatus `json:"status"`
	Severity   string      `json:"severity"`
	Step       int         `json:"step"`
	What       string      `json:"what"`
	Why        string      `json:"why"`
	Who        string      `json:"who,omitempty"`
	ReachesGAR Instant     `json:"reaches_gar_at"`
	Late       bool        `json:"late,omitempty"`
}

// Report is a school's readiness at one instant.
type Report struct {
	UAI         string        `json:"uai"`
	SchoolYear  int           `json:"school_year"`
	EvaluatedAt Instant       `json:"evaluated_at"`
	Status      Status        `json:"status"`
	Checks      []CheckReport `json:"checks"`
	Todo        []TodoItem    `json:"todo"`

	SchoolName    string  `json:"school_name,omitempty"`
	Academy       string  `json:"academy,omitempty"`
	PolicyVersion string  `json:"policy_version,omitempty"`
	NextHandover  Instant `json:"next_handover"`
	// Isolated: the checks had to be evaluated one by one (a policy failed at run time).
	Isolated bool `json:"isolated,omitempty"`
}

// Check returns the report of one check.
func (r *Report) Check(id string) (CheckReport, bool) {
	for _, c := range r.Checks {
		if c.ID == id {
			return c, true
		}
	}
	return CheckReport{}, false
}

// sourcesCheck is the check whose failing items are stale sources: a check unknown for one
// of them waits for a new upload first.
const sourcesCheck = "campaign.sources_fresh"

// reportInput is everything buildReport needs; it is pure.
type reportInput struct {
	UAI           string
	SchoolName    string
	Academy       string
	SchoolYear    int
	PolicyVersion string
	Now           time.Time
	Catalogue     map[string]policy.Check // from frenchCatalogue
	Evaluation    policy.Evaluation
	Exemptions    []Exemption
	Timing        Timing
}

// frenchCatalogue indexes checks by id with French typography applied to their text once, not
// for every school.
func frenchCatalogue(checks []policy.Check) map[string]policy.Check {
	out := make(map[string]policy.Check, len(checks))
	for _, c := range checks {
		c.Title, c.Fix, c.StepNote = typo(c.Title), typo(c.Fix), typo(c.StepNote)
		c.Description, c.Who = typo(c.Description), typo(c.Who)
		out[c.ID] = c
	}
	return out
}

// buildReport applies exemptions and modes, decides the status, computes deadlines and
// orders the to-do list.
func buildReport(in reportInput) *Report {
	now := in.Now.In(in.Timing.Location)
	rep := &Report{
		UAI: in.UAI, SchoolYear: in.SchoolYear, EvaluatedAt: Instant{now},
		SchoolName: in.SchoolName, Academy: in.Academy, PolicyVersion: in.PolicyVersion,
		NextHandover: Instant{in.Timing.NextHandover(now)},
		Isolated:     in.Evaluation.Isolated,
		Checks:       make([]CheckReport, 0, len(in.Evaluation.Results)),
		Todo:         []TodoItem{},
	}
	catalogue := in.Catalogue
	exempt := map[string]Exemption{}
	for _, e := range in.Exemptions {
		if now.Before(e.Until) {
			if prev, ok := exempt[e.Check]; !ok || e.Until.After(prev.Until) {
				exempt[e.Check] = e
			}
		}
	}

	for _, r := range in.Evaluation.Results {
		meta, ok := catalogue[r.Check]
		if !ok {
			continue // not in this set's catalogue: cannot happen with a Set's own results
		}
		cr := CheckReport{
			ID: r.Check, Status: CheckStatus(r.Status), Severity: string(meta.Severity), Step: meta.Step,
			Title: meta.Title, Fix: meta.Fix, StepNote: meta.StepNote,
			Why: meta.Description, Who: meta.Who, Software: meta.Software,
			Mode: r.Mode, Reason: typo(r.Reason), Note: typo(r.Note), Summary: typo(r.Summary),
			Error: r.Error, Extra: r.Extra, Items: make([]Item, len(r.Items)),
		}
		for i, it := range r.Items {
			cr.Items[i] = Item{Code: it.Code, Kind: it.Kind, Detail: typo(it.Detail)}
		}
		if e, ok := exempt[r.Check]; ok {
			cr.Outcome, cr.Status = string(cr.Status), CheckExempt
			cr.ExemptUntil, cr.ExemptReason = Instant{e.Until.In(in.Timing.Location)}, e.Reason
		}
		cr.Counts = cr.Mode == policy.ModeEnforce && cr.Status != CheckExempt
		if cr.Status == CheckFail || cr.Status == CheckUnknown || cr.Status == CheckError {
			d := in.Timing.DeadlineFor(meta.FixStage, now)
			cr.Deadline, cr.ReachesGAR, cr.DeadlineKind, cr.Late = Instant{d.By}, Instant{d.ReachesGAR}, d.Kind, d.Late
		}
		rep.Checks = append(rep.Checks, cr)
	}
	rep.Status = schoolStatus(rep.Checks)
	rep.Todo = todo(rep.Checks, catalogue)
	return rep
}

// schoolStatus: not ready if a counted blocker or error check fails or ends in error; else at
// risk if a counted warning fails (or ends in error) or a blocker/error check is unknown;
// else ready. An unknown warning does not change the status.
func schoolStatus(checks []CheckReport) Status {
	status := StatusReady
	for _, c := range checks {
		if !c.Counts {
			continue
		}
		serious := c.Severity == string(policy.SeverityBlocker) || c.Severity == string(policy.SeverityError)
		switch {
		case serious && (c.Status == CheckFail || c.Status == CheckError):
			return StatusNotReady
		case serious && c.Status == CheckUnknown:
			status = StatusAtRisk
		case !serious && (c.Status == CheckFail || c.Status == CheckError):
			status = StatusAtRisk
		}
	}
	return status
}

// todo lists the counted checks that fail, are unknown or ended in error, ordered by campaign
// step, severity, deadline and id, then moved so that nothing comes before what blocks it.
func todo(checks []CheckReport, catalogue map[string]policy.Check) []TodoItem {
	var open []CheckReport
	for _, c := range checks {
		if c.Counts && (c.Status == CheckFail || c.Status == CheckUnknown || c.Status == CheckError) {
			open = append(open, c)
		}
	}
	sort.SliceStable(open, func(i, j int) bool {
		a, b := open[i], open[j]
		if a.Step != b.Step {
			return a.Step < b.Step
		}
		if ra, rb := policy.Severity(a.Severity).Rank(), policy.Severity(b.Severity).Rank(); ra != rb {
			return ra < rb
		}
		if !a.Deadline.Equal(b.Deadline.Time) {
			return a.Deadline.Before(b.Deadline.Time)
		}
		return a.ID < b.ID
	})

	onList := map[string]bool{}
	for _, c := range open {
		onList[c.ID] = true
	}
	staleSources := map[string]bool{}
	for _, c := range open {
		if c.ID == sourcesCheck {
			for _, it := range c.Items {
				staleSources[it.Code] = true
			}
		}
	}
	blockers := make(map[string][]string, len(open))
	for _, c := range open {
		var bs []string
		for _, b := range catalogue[c.ID].BlockedBy {
			if onList[b] && b != c.ID && !slices.Contains(bs, b) {
				bs = append(bs, b)
			}
		}
		if c.Status == CheckUnknown && c.ID != sourcesCheck && onList[sourcesCheck] {
			for _, it := range c.Items {
				if it.Kind == "source" && staleSources[it.Code] && !slices.Contains(bs, sourcesCheck) {
					bs = append(bs, sourcesCheck)
				}
			}
		}
		blockers[c.ID] = bs
	}

	// Stable topological order: repeatedly take the first item whose blockers are placed.
	ordered := make([]CheckReport, 0, len(open))
	placed := map[string]bool{}
	for len(ordered) < len(open) {
		next := -1
		for i, c := range open {
			if placed[c.ID] {
				continue
			}
			ready := true
			for _, b := range blockers[c.ID] {
				if !placed[b] {
					ready = false
					break
				}
			}
			if ready {
				next = i
				break
			}
		}
		if next < 0 { // a cycle in blocked_by: fall back on the sorted order
			for i, c := range open {
				if !placed[c.ID] {
					next = i
					break
				}
			}
		}
		placed[open[next].ID] = true
		ordered = append(ordered, open[next])
	}

	rank := map[string]int{}
	items := make([]TodoItem, 0, len(ordered))
	for i, c := range ordered {
		rank[c.ID] = i + 1
		bs := blockers[c.ID]
		sort.SliceStable(bs, func(x, y int) bool { return rank[bs[x]] < rank[bs[y]] })
		if bs == nil {
			bs = []string{}
		}
		items = append(items, TodoItem{
			Check: c.ID, Rank: i + 1, BlockedBy: bs, Title: c.Title, Fix: todoFix(c), Deadline: c.Deadline,
			Status: c.Status, Severity: c.Severity, Step: c.Step, What: what(c), Why: c.Why, Who: c.Who,
			ReachesGAR: c.ReachesGAR, Late: c.Late,
		})
	}
	return items
}

// todoFix is the check's fix, or for a check ended in error what the school can do: nothing
// but wait for the academy.
func todoFix(c CheckReport) string {
	if c.Status == CheckError {
		return typo("Rien à faire dans l'établissement : le contrôle n'a pas pu être évalué ; l'académie (auteurs des règles) est prévenue.")
	}
	return c.Fix
}

var kindLabels = map[string][2]string{
	"division": {"division", "divisions"},
	"group":    {"groupe", "groupes"},
	"pupil":    {"élève", "élèves"},
	"source":   {"source", "sources"},
	"service":  {"service", "services"},
}

// what says in one sentence what is wrong: the summary, the reason, or the failing codes by
// kind, every one of them.
func what(c CheckReport) string {
	switch c.Status {
	case CheckError:
		return typo("Contrôle en erreur : " + c.Error)
	case CheckUnknown:
		if c.Reason != "" {
			return c.Reason
		}
	}
	if c.Summary != "" {
		return c.Summary
	}
	byKind := map[string][]string{}
	var kinds []string
	for _, it := range c.Items {
		if _, ok := byKind[it.Kind]; !ok {
			kinds = append(kinds, it.Kind)
		}
		code := it.Code
		if it.Kind == "source" {
			code = fact.Source(code).Label() // « STS-Web (sts_emp) », not « sts »
		}
		byKind[it.Kind] = append(byKind[it.Kind], code)
	}
	parts := make([]string, 0, len(kinds))
	for _, k := range kinds {
		codes := byKind[k]
		label, ok := kindLabels[k]
		if !ok {
			label = [2]string{k, k}
		}
		name := label[0]
		if len(codes) > 1 {
			name = label[1]
		}
		parts = append(parts, fmt.Sprintf("%d %s : %s", len(codes), name, strings.Join(codes, ", ")))
	}
	if len(parts) == 0 {
		return c.Reason
	}
	return typo(strings.Join(parts, " ; "))
}

// WriteJSON writes a report as JSON, indented, without escaping « > » and « & » that menu
// paths contain.
func WriteJSON(w io.Writer, r *Report) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("write report %s: %w", r.UAI, err)
	}
	return nil
}
