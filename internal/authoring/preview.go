package authoring

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/vigie-edu/vigie/internal/access"
	"github.com/vigie-edu/vigie/internal/campaign"
	"github.com/vigie-edu/vigie/internal/evaluator"
	"github.com/vigie-edu/vigie/internal/fact"
	"github.com/vigie-edu/vigie/internal/policy"
	"github.com/vigie-edu/vigie/internal/readiness"
	"github.com/vigie-edu/vigie/internal/store"
)

// Preview is the impact of replacing one set (before: the published version) by another
// (after: a draft, or the target of a rollback) on every school of the academy, evaluated on
// each school's latest snapshot with the same exemptions and instant. It is read-only.
//
// Pupils affected: the pupils behind the items that appear on or disappear from a school's
// to-do list with the change (items of counted checks that fail, are unknown or in error).
// A group or division item counts the pupils meant to be in it: the largest head count any
// source gives it (STS-Web planned or computed, SIECLE-BEE active pupils, the links file, the
// ENT); a pupil item counts one; a source or school-wide item counts every active pupil of
// the school. Per school the figure is capped at its active pupils (a pupil is in a division
// and several groups); per check it is the sum over schools.
type Preview struct {
	Academy     string    `json:"academy"`
	Before      string    `json:"before"` // version label of the published set
	After       string    `json:"after"`
	EvaluatedAt time.Time `json:"evaluated_at"`
	Schools     int       `json:"schools"`
	// Changed counts schools with at least one change; Unchanged the others.
	Changed        int                `json:"changed"`
	StatusBefore   StatusCounts       `json:"status_before"`
	StatusAfter    StatusCounts       `json:"status_after"`
	StatusChanges  []StatusChange     `json:"status_changes"` // from -> to, schools
	PupilsAffected int                `json:"pupils_affected"`
	Checks         []CheckImpact      `json:"checks"`         // checks with a change, catalogue order
	SchoolChanges  []SchoolImpact     `json:"school_changes"` // worst first
	Failures       []SchoolFailure    `json:"failures"`       // schools one side could not evaluate
	Warnings       []string           `json:"warnings"`       // French, e.g. time budget exceeded
	DurationMS     int64              `json:"duration_ms"`
	Timing         map[string]float64 `json:"timing_ms"` // before, after, diff
}

// StatusCounts counts schools per status.
type StatusCounts struct {
	Ready    int `json:"ready"`
	AtRisk   int `json:"at_risk"`
	NotReady int `json:"not_ready"`
}

func (c *StatusCounts) add(s readiness.Status) {
	switch s {
	case readiness.StatusReady:
		c.Ready++
	case readiness.StatusAtRisk:
		c.AtRisk++
	default:
		c.NotReady++
	}
}

// StatusChange counts the schools whose status goes from one value to another.
type StatusChange struct {
	From    readiness.Status `json:"from"`
	To      readiness.Status `json:"to"`
	Schools int              `json:"schools"`
}

// CheckImpact sums one check's changes over the schools.
type CheckImpact struct {
	Check      string `json:"check"`
	Title      string `json:"title"`
	Severity   string `json:"severity"`
	Added      bool   `json:"added,omitempty"`   // only in the after set
	Removed    bool   `json:"removed,omitempty"` // only in the before set (or switched off)
	Schools    int    `json:"schools"`           // schools where it changes
	PassToFail int    `json:"pass_to_fail"`
	FailToPass int    `json:"fail_to_pass"`
	Other      int    `json:"other_transitions"` // any other status change (unknown, error...)
	ModeChange int    `json:"mode_changes"`      // enforce <-> monitor, or counted <-> not counted
	NewTodo    int    `json:"new_todo"`          // to-do items that appear
	ClosedTodo int    `json:"closed_todo"`       // to-do items that disappear
	NewItems   int    `json:"new_items"`         // failing items that appear (any mode)
	Closed     int    `json:"closed_items"`      // failing items that disappear
	Pupils     int    `json:"pupils_affected"`
	Errors     int    `json:"errors_after"` // schools where the after set ends in error
}

// SchoolImpact is one school's changes.
type SchoolImpact struct {
	UAI          string           `json:"uai"`
	Name         string           `json:"name"`
	StatusBefore readiness.Status `json:"status_before"`
	StatusAfter  readiness.Status `json:"status_after"`
	Pupils       int              `json:"pupils_affected"`
	NewTodo      []string         `json:"new_todo"`    // check ids
	ClosedTodo   []string         `json:"closed_todo"` // check ids
	Changes      []CheckChange    `json:"changes"`
}

// CheckState is a check's outcome on one side.
type CheckState struct {
	Status string `json:"status"` // pass, fail, unknown, error, exempt; "" when not evaluated
	Mode   string `json:"mode,omitempty"`
	Counts bool   `json:"counts"`
	Items  int    `json:"items"`
}

// maxListedItems bounds the items a change lists; the counts stay exact.
const maxListedItems = 20

// CheckChange is one check's change at one school.
type CheckChange struct {
	Check       string           `json:"check"`
	Before      CheckState       `json:"before"`
	After       CheckState       `json:"after"`
	NewItems    []readiness.Item `json:"new_items"` // at most 20
	NewCount    int              `json:"new_count"`
	ClosedItems []readiness.Item `json:"closed_items"` // at most 20
	ClosedCount int              `json:"closed_count"`
	Todo        string           `json:"todo,omitempty"` // "new" or "closed"
	Pupils      int              `json:"pupils_affected"`
}

// SchoolFailure is a school that one side could not evaluate.
type SchoolFailure struct {
	UAI   string `json:"uai"`
	Error string `json:"error"`
}

// Summary is what a publication keeps of its preview.
type PreviewSummary struct {
	Before         string         `json:"before"`
	After          string         `json:"after"`
	Schools        int            `json:"schools"`
	Changed        int            `json:"changed"`
	StatusBefore   StatusCounts   `json:"status_before"`
	StatusAfter    StatusCounts   `json:"status_after"`
	StatusChanges  []StatusChange `json:"status_changes"`
	PupilsAffected int            `json:"pupils_affected"`
	Checks         []CheckImpact  `json:"checks"`
	EvaluatedAt    time.Time      `json:"evaluated_at"`
}

// Summary returns the preview without its per-school detail.
func (p *Preview) Summary() PreviewSummary {
	return PreviewSummary{Before: p.Before, After: p.After, Schools: p.Schools, Changed: p.Changed, StatusBefore: p.StatusBefore,
		StatusAfter: p.StatusAfter, StatusChanges: p.StatusChanges, PupilsAffected: p.PupilsAffected, Checks: p.Checks,
		EvaluatedAt: p.EvaluatedAt}
}

// BudgetError is a preview stopped because it exceeded its time budget. It matches
// context.DeadlineExceeded.
type BudgetError struct {
	Budget time.Duration
	Done   int // schools evaluated before the stop
	Total  int
}

func (e *BudgetError) Error() string {
	return fmt.Sprintf("aperçu interrompu : budget de %s dépassé après %d établissement(s) sur %d ; une règle est sans doute trop lente",
		e.Budget, e.Done, e.Total)
}

// Is makes a BudgetError match context.DeadlineExceeded.
func (e *BudgetError) Is(target error) bool { return target == context.DeadlineExceeded }

// previewBatch is how many schools a preview holds in memory at once.
const previewBatch = 100

// School is one school to preview: its record, its snapshot JSON, its exemptions.
type School struct {
	School     campaign.School
	Snapshot   []byte
	Exemptions []readiness.Exemption
}

// schools lists the academy's schools with a loader of their latest snapshot (or an empty one:
// the evaluator evaluates schools that sent nothing too).
func (s *Service) schools(ctx context.Context, scope access.Scope, academy campaign.Academy, now time.Time) ([]campaign.School, func(context.Context, []campaign.School) ([]School, error), error) {
	list, _, err := s.st.ListSchools(ctx, scope, store.SchoolFilter{})
	if err != nil {
		return nil, nil, err
	}
	ids, err := s.st.LatestSnapshotIDs(ctx, scope, academy.ID)
	if err != nil {
		return nil, nil, err
	}
	exemptions, err := s.st.ActiveExemptions(ctx, scope, academy.ID, now)
	if err != nil {
		return nil, nil, err
	}
	byUAI := map[string][]readiness.Exemption{}
	for _, e := range exemptions {
		byUAI[e.UAI] = append(byUAI[e.UAI], readiness.Exemption{Check: e.CheckID, Until: e.Until, Reason: e.Reason})
	}
	year := campaign.SchoolYearOf(now)
	load := func(ctx context.Context, part []campaign.School) ([]School, error) {
		out := make([]School, len(part))
		errs := make([]error, len(part))
		var wg sync.WaitGroup
		sem := make(chan struct{}, 4)
		for i, sc := range part {
			out[i] = School{School: sc, Exemptions: byUAI[sc.UAI]}
			wg.Go(func() {
				sem <- struct{}{}
				defer func() { <-sem }()
				if id := ids[sc.UAI]; id != 0 {
					sn, err := s.st.SnapshotByID(ctx, scope, id)
					out[i].Snapshot, errs[i] = sn.Facts, err
					return
				}
				out[i].Snapshot, errs[i] = evaluator.EmptySnapshot(sc.UAI, year)
			})
		}
		wg.Wait()
		return out, errors.Join(errs...)
	}
	return list, load, nil
}

// preview evaluates before and after over the academy's schools and diffs them.
func (s *Service) preview(ctx context.Context, scope access.Scope, academy campaign.Academy, before, after *policy.Set, now time.Time) (*Preview, error) {
	list, load, err := s.schools(ctx, scope, academy, now)
	if err != nil {
		return nil, err
	}
	bctx, cancel := context.WithTimeout(ctx, s.opts.PreviewBudget)
	defer cancel()
	p := NewDiff(academy.Code, before, after, now)
	done := 0
	for start := 0; start < len(list); start += previewBatch {
		part, err := load(bctx, list[start:min(start+previewBatch, len(list))])
		if err != nil {
			if bctx.Err() != nil && ctx.Err() == nil {
				return nil, &BudgetError{Budget: s.opts.PreviewBudget, Done: done, Total: len(list)}
			}
			return nil, fmt.Errorf("preview %s: %w", academy.Code, err)
		}
		if err := s.compare(bctx, p, part, now); err != nil {
			if bctx.Err() != nil && ctx.Err() == nil {
				return nil, &BudgetError{Budget: s.opts.PreviewBudget, Done: done, Total: len(list)}
			}
			return nil, fmt.Errorf("preview %s: %w", academy.Code, err)
		}
		done += len(part)
	}
	return p.Finish(), nil
}

// Diff accumulates the comparison of two sets, batch after batch.
type Diff struct {
	p        *Preview
	before   *policy.Set
	after    *policy.Set
	checks   map[string]*CheckImpact
	status   map[[2]readiness.Status]int
	timeouts map[string]int
	start    time.Time
	timing   [3]time.Duration
}

// NewDiff starts a comparison of before and after at now.
func NewDiff(academy string, before, after *policy.Set, now time.Time) *Diff {
	return &Diff{p: &Preview{Academy: academy, Before: before.Version(), After: after.Version(), EvaluatedAt: now.UTC(),
		StatusChanges: []StatusChange{}, Checks: []CheckImpact{}, SchoolChanges: []SchoolImpact{}, Failures: []SchoolFailure{},
		Warnings: []string{}}, before: before, after: after, checks: map[string]*CheckImpact{},
		status: map[[2]readiness.Status]int{}, timeouts: map[string]int{}, start: time.Now()}
}

// Compare evaluates schools with both engines on all cores and adds their differences; it is
// Service.preview's step, exported for benchmarks with snapshots in memory.
func (s *Service) compare(ctx context.Context, d *Diff, part []School, now time.Time) error {
	eb, err := s.engine(d.before)
	if err != nil {
		return err
	}
	ea, err := s.engine(d.after)
	if err != nil {
		return err
	}
	return Compare(ctx, d, eb, ea, part, now, s.opts.Workers)
}

// Compare evaluates schools with the engines of both sides (readiness.Engine.RunAcademy, on
// workers goroutines) and adds their differences to d.
func Compare(ctx context.Context, d *Diff, before, after *readiness.Engine, part []School, now time.Time, workers int) error {
	reqs := make([]readiness.Request, len(part))
	for i, sc := range part {
		reqs[i] = readiness.Request{School: sc.School, Academy: d.p.Academy, SchoolYear: campaign.SchoolYearOf(now),
			Snapshot: sc.Snapshot, Exemptions: sc.Exemptions}
	}
	t0 := time.Now()
	rb, err := before.RunAcademy(ctx, reqs, readiness.RunOptions{Now: now, Workers: workers})
	if err != nil {
		return err
	}
	t1 := time.Now()
	ra, err := after.RunAcademy(ctx, reqs, readiness.RunOptions{Now: now, Workers: workers})
	if err != nil {
		return err
	}
	t2 := time.Now()
	for i := range part {
		d.add(part[i], rb.Outcomes[i], ra.Outcomes[i])
	}
	d.timing[0] += t1.Sub(t0)
	d.timing[1] += t2.Sub(t1)
	d.timing[2] += time.Since(t2)
	return nil
}

func (d *Diff) impact(id string, c readiness.CheckReport) *CheckImpact {
	ci, ok := d.checks[id]
	if !ok {
		ci = &CheckImpact{Check: id, Title: c.Title, Severity: c.Severity}
		d.checks[id] = ci
	}
	return ci
}

type itemKey struct{ kind, code string }

func open(c readiness.CheckReport) bool {
	return c.Status == readiness.CheckFail || c.Status == readiness.CheckUnknown || c.Status == readiness.CheckError
}

func flagged(c readiness.CheckReport, ok bool) bool { return ok && c.Counts && open(c) }

func itemSet(c readiness.CheckReport, ok bool) map[itemKey]readiness.Item {
	m := map[itemKey]readiness.Item{}
	if !ok {
		return m
	}
	for _, it := range c.Items {
		m[itemKey{it.Kind, it.Code}] = it
	}
	return m
}

func state(c readiness.CheckReport, ok bool) CheckState {
	if !ok {
		return CheckState{}
	}
	return CheckState{Status: string(c.Status), Mode: c.Mode, Counts: c.Counts, Items: len(c.Items)}
}

// minus lists the items of a missing from b, in a's order.
func minus(order []readiness.Item, a, b map[itemKey]readiness.Item) []readiness.Item {
	var out []readiness.Item
	for _, it := range order {
		k := itemKey{it.Kind, it.Code}
		if _, in := a[k]; !in {
			continue
		}
		if _, in := b[k]; !in {
			out = append(out, it)
		}
	}
	return out
}

func (d *Diff) add(sc School, b, a readiness.Outcome) {
	d.p.Schools++
	if b.Err != nil || a.Err != nil {
		err := b.Err
		side := "version publiée"
		if err == nil {
			err, side = a.Err, "nouvelle version"
		}
		d.p.Failures = append(d.p.Failures, SchoolFailure{UAI: sc.School.UAI, Error: side + " : " + err.Error()})
		return
	}
	rb, ra := b.Report, a.Report
	d.p.StatusBefore.add(rb.Status)
	d.p.StatusAfter.add(ra.Status)
	if rb.Status != ra.Status {
		d.status[[2]readiness.Status{rb.Status, ra.Status}]++
	}
	before := map[string]readiness.CheckReport{}
	for _, c := range rb.Checks {
		before[c.ID] = c
	}
	ids := make([]string, 0, len(ra.Checks)+len(rb.Checks))
	after := map[string]readiness.CheckReport{}
	for _, c := range ra.Checks {
		after[c.ID] = c
		ids = append(ids, c.ID)
	}
	for _, c := range rb.Checks {
		if _, ok := after[c.ID]; !ok {
			ids = append(ids, c.ID)
		}
	}

	si := SchoolImpact{UAI: sc.School.UAI, Name: sc.School.Name, StatusBefore: rb.Status, StatusAfter: ra.Status,
		NewTodo: []string{}, ClosedTodo: []string{}, Changes: []CheckChange{}}
	var pupilItems []map[itemKey]readiness.Item
	var changePupils []int
	for _, id := range ids {
		cb, okb := before[id]
		ca, oka := after[id]
		if oka && ca.Status == readiness.CheckError && strings.Contains(ca.Error, "délai dépassé") {
			d.timeouts[id]++
		}
		ib, ia := itemSet(cb, okb), itemSet(ca, oka)
		newItems, closedItems := minus(ca.Items, ia, ib), minus(cb.Items, ib, ia)
		sb, sa := state(cb, okb), state(ca, oka)
		if sb == sa && len(newItems) == 0 && len(closedItems) == 0 {
			continue
		}
		ref := ca
		if !oka {
			ref = cb
		}
		ci := d.impact(id, ref)
		ci.Schools++
		ci.Added = ci.Added || !okb
		ci.Removed = ci.Removed || !oka
		if oka && ca.Status == readiness.CheckError {
			ci.Errors++
		}
		switch {
		case sb.Status == sa.Status:
		case sb.Status == string(readiness.CheckPass) && sa.Status == string(readiness.CheckFail):
			ci.PassToFail++
		case sb.Status == string(readiness.CheckFail) && sa.Status == string(readiness.CheckPass):
			ci.FailToPass++
		default:
			ci.Other++
		}
		if sb.Mode != sa.Mode || sb.Counts != sa.Counts {
			ci.ModeChange++
		}
		ci.NewItems += len(newItems)
		ci.Closed += len(closedItems)
		cc := CheckChange{Check: id, Before: sb, After: sa, NewItems: capItems(newItems), NewCount: len(newItems),
			ClosedItems: capItems(closedItems), ClosedCount: len(closedItems)}
		fb, fa := flagged(cb, okb), flagged(ca, oka)
		switch {
		case fa && !fb:
			cc.Todo = "new"
			ci.NewTodo++
			si.NewTodo = append(si.NewTodo, id)
		case fb && !fa:
			cc.Todo = "closed"
			ci.ClosedTodo++
			si.ClosedTodo = append(si.ClosedTodo, id)
		}
		// The items that appear on or leave the to-do list.
		moved := map[itemKey]readiness.Item{}
		if fa {
			for k, it := range ia {
				if _, was := ib[k]; !was || !fb {
					moved[k] = it
				}
			}
		}
		if fb {
			for k, it := range ib {
				if _, is := ia[k]; !is || !fa {
					moved[k] = it
				}
			}
		}
		pupilItems = append(pupilItems, moved)
		changePupils = append(changePupils, len(si.Changes))
		si.Changes = append(si.Changes, cc)
	}
	if len(si.Changes) == 0 && rb.Status == ra.Status {
		return
	}
	d.p.Changed++
	if hasItems(pupilItems) {
		counter := newPupilCounter(sc.Snapshot, sc.School.UAI)
		all := map[itemKey]readiness.Item{}
		for i, moved := range pupilItems {
			n := counter.count(moved)
			ch := &si.Changes[changePupils[i]]
			ch.Pupils = n
			d.checks[ch.Check].Pupils += n
			for k, it := range moved {
				all[k] = it
			}
		}
		si.Pupils = counter.count(all)
		d.p.PupilsAffected += si.Pupils
	}
	d.p.SchoolChanges = append(d.p.SchoolChanges, si)
}

func hasItems(ms []map[itemKey]readiness.Item) bool {
	for _, m := range ms {
		if len(m) > 0 {
			return true
		}
	}
	return false
}

func capItems(items []readiness.Item) []readiness.Item {
	if items == nil {
		return []readiness.Item{}
	}
	return items[:min(len(items), maxListedItems)]
}

// pupilCounter counts the pupils behind items with the school's snapshot.
type pupilCounter struct {
	snap   *fact.Snapshot
	uai    string
	active int
}

func newPupilCounter(snapshot []byte, uai string) pupilCounter {
	c := pupilCounter{uai: uai}
	var snap fact.Snapshot
	if err := json.Unmarshal(snapshot, &snap); err == nil {
		c.snap = &snap
		c.active = snap.Pupils.Active
	}
	return c
}

func maxOf(xs ...int) int {
	m := 0
	for _, x := range xs {
		m = max(m, x)
	}
	return m
}

func computed(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}

func (c pupilCounter) item(it readiness.Item) int {
	if c.snap == nil {
		return 0
	}
	key := fact.Key(it.Code)
	switch {
	case it.Kind == "pupil":
		return 1
	case it.Kind == "source" || it.Code == c.uai:
		return c.active
	}
	group := func() (int, bool) {
		g, ok := c.snap.Groups[key]
		if !ok || g == nil {
			return 0, false
		}
		return maxOf(g.STS.Planned, computed(g.STS.Computed), g.SIECLE.Pupils, g.Links.Pupils, g.ENT.Pupils), true
	}
	division := func() (int, bool) {
		d, ok := c.snap.Divisions[key]
		if !ok || d == nil {
			return 0, false
		}
		return maxOf(d.STS.Planned, computed(d.STS.Computed), d.SIECLE.Pupils, d.ENT.Pupils), true
	}
	first, second := group, division
	if it.Kind == "division" {
		first, second = division, group
	}
	if n, ok := first(); ok {
		return n
	}
	n, _ := second()
	return n
}

func (c pupilCounter) count(items map[itemKey]readiness.Item) int {
	n := 0
	for _, it := range items {
		n += c.item(it)
	}
	if c.active > 0 {
		n = min(n, c.active)
	}
	return n
}

var statusRank = map[readiness.Status]int{readiness.StatusReady: 0, readiness.StatusAtRisk: 1, readiness.StatusNotReady: 2}

// Finish orders the preview: checks in the after set's catalogue order, schools whose status
// worsens first, then by pupils affected.
func (d *Diff) Finish() *Preview {
	p := d.p
	order := map[string]int{}
	for i, id := range d.after.Catalogue().IDs() {
		order[id] = i
	}
	for _, ci := range d.checks {
		p.Checks = append(p.Checks, *ci)
	}
	sort.Slice(p.Checks, func(i, j int) bool {
		oi, iok := order[p.Checks[i].Check]
		oj, jok := order[p.Checks[j].Check]
		if iok != jok {
			return iok
		}
		if oi != oj {
			return oi < oj
		}
		return p.Checks[i].Check < p.Checks[j].Check
	})
	for k, n := range d.status {
		p.StatusChanges = append(p.StatusChanges, StatusChange{From: k[0], To: k[1], Schools: n})
	}
	sort.Slice(p.StatusChanges, func(i, j int) bool {
		a, b := p.StatusChanges[i], p.StatusChanges[j]
		if a.Schools != b.Schools {
			return a.Schools > b.Schools
		}
		return string(a.From)+string(a.To) < string(b.From)+string(b.To)
	})
	sort.SliceStable(p.SchoolChanges, func(i, j int) bool {
		a, b := p.SchoolChanges[i], p.SchoolChanges[j]
		wa, wb := statusRank[a.StatusAfter]-statusRank[a.StatusBefore], statusRank[b.StatusAfter]-statusRank[b.StatusBefore]
		if wa != wb {
			return wa > wb
		}
		if a.Pupils != b.Pupils {
			return a.Pupils > b.Pupils
		}
		return a.UAI < b.UAI
	})
	ids := make([]string, 0, len(d.timeouts))
	for id := range d.timeouts {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		p.Warnings = append(p.Warnings, fmt.Sprintf("Le contrôle %s a dépassé son budget de temps dans %d établissement(s) : il est en erreur, à accélérer avant de publier.", id, d.timeouts[id]))
	}
	if len(p.Failures) > 0 {
		p.Warnings = append(p.Warnings, fmt.Sprintf("%d établissement(s) n'ont pas pu être évalués : voir failures.", len(p.Failures)))
	}
	p.Timing = map[string]float64{"before": ms(d.timing[0]), "after": ms(d.timing[1]), "diff": ms(d.timing[2])}
	p.DurationMS = time.Since(d.start).Milliseconds()
	return p
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
