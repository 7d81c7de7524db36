// Package demo seeds a realistic demo academy through the real ingestion path: it generates the
// export files of about 150 schools at several moments of a campaign (internal/fixture), with
// defects that most schools fix over the weeks while some stay stuck, imports each stage's
// files with the importer as a school or the academy would, and evaluates the academy every
// day in between, so that trends, history and "what changed since yesterday" mean something.
// It also creates one demo account per role, whose credentials the login page shows in demo
// mode only.
package demo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vigie-edu/vigie/internal/access"
	"github.com/vigie-edu/vigie/internal/apperr"
	"github.com/vigie-edu/vigie/internal/auth"
	"github.com/vigie-edu/vigie/internal/campaign"
	"github.com/vigie-edu/vigie/internal/evaluator"
	"github.com/vigie-edu/vigie/internal/fixture"
	"github.com/vigie-edu/vigie/internal/importer"
	"github.com/vigie-edu/vigie/internal/ingest"
	"github.com/vigie-edu/vigie/internal/store"
)

// AcademyCode is the demo academy.
const AcademyCode = "demo-poitiers"

// Account is a demo login shown on the login page in demo mode.
type Account struct {
	Login    string
	Password string
	Role     access.Role
	Label    string // French: what this account shows
	UAIs     []string
}

// Password is the demo accounts' password (demo mode only).
const Password = "demo-vigie-2026"

// Options size the demo.
type Options struct {
	Schools int          // default 150
	Days    int          // days of daily evaluations, default 21 (three weeks)
	Stages  int          // moments of the campaign at which schools send files, default 5
	Scale   float64      // pupil scale of the generated schools, default 0.15 (fast to seed)
	Seed    uint64       // default 2026
	Now     time.Time    // the demo's "today"; zero: time.Now()
	WorkDir string       // where generated files are written (removed after); default: a temp dir
	Log     *slog.Logger // required
	Sets    evaluator.PolicySource
}

func (o *Options) defaults() {
	if o.Schools <= 0 {
		o.Schools = 150
	}
	// 21 days and 5 stages: files every 4 or 5 days, so that they never all go stale between
	// stages (freshness limit 7 days from the export time) and the trend shows the campaign.
	// Every stage sends and imports every school's files and each day evaluates every school:
	// days, stages and pupils are what seeding time is made of (about a minute of CPU time
	// with these, half of it importing).
	if o.Days <= 0 {
		o.Days = 21
	}
	if o.Stages <= 0 {
		o.Stages = 5
	}
	if o.Scale <= 0 {
		o.Scale = 0.15
	}
	if o.Seed == 0 {
		o.Seed = 2026
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
}

// Result describes the seeded demo.
type Result struct {
	Academy  campaign.Academy
	Accounts []Account
	Seeded   bool // false when the demo was already there
}

// Accounts returns the demo accounts of an academy whose schools are uais (sorted).
func Accounts(uais []string) []Account {
	accts := []Account{
		{Login: "superviseur", Role: access.Supervisor, Label: access.Supervisor.Label() + " : toute l'académie"},
		{Login: "auteur", Role: access.PolicyAuthor, Label: access.PolicyAuthor.Label() + " (DANE) : règles de l'académie"},
		{Login: "admin", Role: access.PlatformAdmin, Label: access.PlatformAdmin.Label()},
	}
	if len(uais) >= 2 {
		accts = append(accts, Account{Login: "etablissement", Role: access.SchoolAdmin,
			Label: access.SchoolAdmin.Label() + " : deux établissements", UAIs: []string{uais[0], uais[1]}})
	}
	for i := range accts {
		accts[i].Password = Password
	}
	return accts
}

// Seed creates the demo academy unless it exists. It takes under a minute on two cores: a
// stage's files are generated while the previous stage is imported, and schools import side
// by side.
func Seed(ctx context.Context, st *store.Store, opts Options) (Result, error) {
	opts.defaults()
	log := opts.Log
	sys := access.System()
	if a, err := st.AcademyByCode(ctx, sys, AcademyCode); err == nil {
		schools, _, err := st.ListSchools(ctx, access.Academy(a.ID), store.SchoolFilter{})
		if err != nil {
			return Result{}, err
		}
		uais := uaisOf(schools)
		// The school admin's schools were chosen at seeding: read them back from its grant.
		if u, _, err := st.UserCredentials(ctx, sys, "etablissement"); err == nil && len(u.Grants) == 1 && len(u.Grants[0].UAIs) == 2 {
			uais = u.Grants[0].UAIs
		}
		return Result{Academy: a, Accounts: Accounts(uais)}, nil
	} else if !errors.Is(err, apperr.ErrNotFound) {
		return Result{}, err
	}
	start := time.Now()
	dir := opts.WorkDir
	if dir == "" {
		d, err := os.MkdirTemp("", "vigie-demo-")
		if err != nil {
			return Result{}, fmt.Errorf("demo work dir: %w", err)
		}
		defer os.RemoveAll(d)
		dir = d
	}
	academy, err := st.CreateAcademy(ctx, sys, AcademyCode, "Poitiers (démonstration)")
	if err != nil {
		return Result{}, err
	}
	// The clock the importer and the evaluator see moves through the campaign.
	var clock atomic.Int64
	now := func() time.Time { return time.Unix(0, clock.Load()) }
	// Thousands of demo files are imported: their per-file lines would bury the start-up
	// output, so the importer and the evaluator only report warnings and errors here.
	quiet := slog.New(minLevel{Handler: log.Handler(), min: slog.LevelWarn})
	im := importer.New(st, quiet, ingest.DefaultLimits(), now)
	ev := evaluator.New(st, opts.Sets, quiet, evaluator.Options{Now: now})
	scope := access.Academy(academy.ID)

	today := opts.Now.In(campaign.Paris)
	first := time.Date(today.Year(), today.Month(), today.Day(), 5, 30, 0, 0, campaign.Paris).AddDate(0, 0, -(opts.Days - 1))
	stageDays := stagesAt(opts.Days, opts.Stages)
	plan := newPlan(opts.Seed, opts.Schools, opts.Stages)

	// Files arrive the evening before the morning's evaluation. Each stage's files are
	// generated ahead, while the previous stages are imported and evaluated.
	arrivals := make([]time.Time, len(stageDays))
	for i, d := range stageDays {
		arrivals[i] = first.AddDate(0, 0, d).Add(-10 * time.Hour)
	}
	genCtx, stopGen := context.WithCancel(ctx)
	stages, generating := generateStages(genCtx, plan, opts, arrivals, dir)
	defer func() { stopGen(); generating.Wait() }() // before the work dir goes

	stage := 0
	for day := 0; day < opts.Days; day++ {
		if err := ctx.Err(); err != nil {
			return Result{}, err
		}
		at := first.AddDate(0, 0, day)
		for stage < len(stageDays) && stageDays[stage] == day {
			g := <-stages
			if g.err != nil {
				return Result{}, fmt.Errorf("demo stage %d: %w", stage, g.err)
			}
			clock.Store(arrivals[stage].UnixNano())
			err := importStage(ctx, st, im, scope, academy, stage, arrivals[stage], g.dir, g.res)
			os.RemoveAll(g.dir)
			if err != nil {
				return Result{}, fmt.Errorf("demo stage %d: %w", stage, err)
			}
			stage++
		}
		clock.Store(at.UnixNano())
		if _, err := ev.RunAcademy(ctx, scope, academy, "schedule", "demo"); err != nil {
			return Result{}, fmt.Errorf("demo evaluation of %s: %w", at.Format("2006-01-02"), err)
		}
	}
	schools, _, err := st.ListSchools(ctx, scope, store.SchoolFilter{})
	if err != nil {
		return Result{}, err
	}
	latest, err := st.LatestResults(ctx, scope, academy.ID, time.Time{})
	if err != nil {
		return Result{}, err
	}
	checks, err := st.LatestCheckResults(ctx, scope, academy.ID, time.Time{})
	if err != nil {
		return Result{}, err
	}
	accts := Accounts(schoolAdminSchools(latest, checks, uaisOf(schools)))
	if err := createAccounts(ctx, st, academy, accts); err != nil {
		return Result{}, err
	}
	log.Info("demo academy seeded", "academy", AcademyCode, "schools", len(schools), "days", opts.Days,
		"stages", opts.Stages, "duration", time.Since(start).Round(time.Millisecond))
	return Result{Academy: academy, Accounts: accts, Seeded: true}, nil
}

// schoolAdminSchools chooses the demo school admin's two schools: one still not ready because
// of a school-side check (a to-do list to follow, a step of its own to finish and attest) and
// one ready or at risk, the lowest UAIs of each, whatever the generator's draw; the lowest
// UAIs of all when the statuses do not allow it.
func schoolAdminSchools(latest []store.Result, checks map[string][]store.CheckResult, all []string) []string {
	sort.Slice(latest, func(i, j int) bool { return latest[i].UAI < latest[j].UAI })
	// School-side: the STS-Web, SIECLE-BEE and links checks belong to steps the school does;
	// the ENT checks are the academy's step 13, which a school cannot attest.
	schoolSide := func(uai string) bool {
		return slices.ContainsFunc(checks[uai], func(c store.CheckResult) bool {
			return c.Status == "fail" && (c.Severity == "blocker" || c.Severity == "error") &&
				(strings.HasPrefix(c.CheckID, "sts.") || strings.HasPrefix(c.CheckID, "siecle.") || strings.HasPrefix(c.CheckID, "links."))
		})
	}
	var out []string
	for _, want := range []func(store.Result) bool{
		func(r store.Result) bool { return r.Status == "not_ready" && schoolSide(r.UAI) },
		func(r store.Result) bool { return r.Status == "at_risk" || r.Status == "ready" },
	} {
		for _, r := range latest {
			if want(r) && !slices.Contains(out, r.UAI) {
				out = append(out, r.UAI)
				break
			}
		}
	}
	for _, u := range all {
		if len(out) >= 2 {
			break
		}
		if !slices.Contains(out, u) {
			out = append(out, u)
		}
	}
	sort.Strings(out)
	return out
}

func uaisOf(schools []campaign.School) []string {
	out := make([]string, len(schools))
	for i, s := range schools {
		out[i] = s.UAI
	}
	sort.Strings(out)
	return out
}

// stagesAt spreads the stages over the days: the first on day 0, the last two days before the
// end (so that the latest files are recent but the ENT feed has had a night to catch up).
func stagesAt(days, stages int) []int {
	if stages == 1 {
		return []int{0}
	}
	last := max(days-2, 1)
	out := make([]int, stages)
	for i := range out {
		out[i] = i * last / (stages - 1)
	}
	return out
}

func createAccounts(ctx context.Context, st *store.Store, academy campaign.Academy, accts []Account) error {
	sys := access.System()
	by := store.SystemActor("demo")
	hash, err := auth.HashPassword(Password, auth.DefaultParams)
	if err != nil {
		return err
	}
	for _, a := range accts {
		u, err := st.CreateUser(ctx, sys, store.NewUser{Login: a.Login, Name: a.Label, PasswordHash: hash}, by)
		if err != nil {
			return fmt.Errorf("demo account %s: %w", a.Login, err)
		}
		g := access.Grant{UserID: u.ID, Role: a.Role, UAIs: a.UAIs}
		if a.Role != access.PlatformAdmin {
			g.AcademyID = academy.ID
		}
		if _, err := st.AddGrant(ctx, sys, g, by); err != nil {
			return fmt.Errorf("demo grant of %s: %w", a.Login, err)
		}
	}
	return nil
}

// plan decides, per school, which defects it has at each stage: most schools start broken and
// are fixed over the weeks; some stay stuck; a few get worse late (a new STS-Web export whose
// groups are not yet linked).
type plan struct {
	defects [][]fixture.Defects // [school][stage]
}

func newPlan(seed uint64, schools, stages int) plan {
	r := rand.New(rand.NewPCG(seed, 0x64656d6f))
	p := plan{defects: make([][]fixture.Defects, schools)}
	early := []fixture.Defects{
		{NoLinks: true, EmptyGroups: 4},
		{GroupsNotExported: 3, MissingPP: 3},
		{PupilsAbsentFromLinks: 250, ENTEmptyGroups: 3},
		{DivisionsNotExported: 1, MissingPP: 2, EmptyGroups: 2},
		{ENTStructureMissing: true},
		{CarriedOverGroups: 4, LinksBeforeSTS: true},
		{NoLinks: true, MissingPP: 5, DivisionsWithoutService: 2},
		{DuplicateINE: 2, MissingINE: 4, PupilsWithoutDivision: 2},
	}
	late := []fixture.Defects{
		{MissingINE: 1},
		{DivisionHeadcountOff: 1},
		{ENTDivisionsWithoutPP: 1},
		{GroupHeadcountOff: 2},
		{ServicesUnknownTeacher: 1},
	}
	for i := range p.defects {
		p.defects[i] = make([]fixture.Defects, stages)
		start := early[r.IntN(len(early))]
		// When the school fixes its defects: early (most), late, or never (about one in six).
		fixAt := 1 + r.IntN(stages)
		if r.IntN(6) == 0 {
			fixAt = stages // never within the demo
		}
		var residual fixture.Defects
		if r.IntN(3) == 0 {
			residual = late[r.IntN(len(late))]
		}
		for s := 0; s < stages; s++ {
			switch {
			case s < fixAt:
				p.defects[i][s] = start
			default:
				p.defects[i][s] = residual
			}
		}
		// A few schools break again at the last stage: a new timetable export, links not yet sent.
		if stages > 2 && r.IntN(12) == 0 {
			p.defects[i][stages-1] = fixture.Defects{LinksBeforeSTS: true, EmptyGroups: 3}
		}
	}
	return p
}

// generated is one stage's files, written by the generator.
type generated struct {
	dir string
	res *fixture.AcademyResult
	err error
}

// generateStages writes each stage's files as of its arrival time, in order, one stage ahead
// of the caller at most, on a goroutine of its own: generating is a third of a stage's work.
func generateStages(ctx context.Context, p plan, opts Options, arrivals []time.Time, dir string) (<-chan generated, *sync.WaitGroup) {
	out := make(chan generated, 1)
	var wg sync.WaitGroup
	wg.Go(func() {
		defer close(out)
		for stage, at := range arrivals {
			g := generated{dir: filepath.Join(dir, fmt.Sprintf("stage%d", stage))}
			spec := fixture.AcademySpec{Seed: opts.Seed, Now: at, Code: AcademyCode, Name: "Poitiers",
				Departements: []string{"16", "17", "79", "86"}, Schools: len(p.defects),
				PupilScale: opts.Scale, Customize: func(i int, s *fixture.SchoolSpec) { s.Defects = p.defects[i][stage] }}
			a, err := fixture.NewAcademy(spec)
			if err == nil {
				g.res, err = fixture.WriteAcademy(g.dir, a)
			}
			g.err = err
			select {
			case out <- g:
			case <-ctx.Done():
				os.RemoveAll(g.dir)
				return
			}
			if err != nil {
				return
			}
		}
	})
	return out, &wg
}

// importStage imports a stage's files: the national directory first (the registry), each
// school's files as the school would upload them (several schools at once, as they do),
// then the feed.
func importStage(ctx context.Context, st *store.Store, im *importer.Importer, scope access.Scope, academy campaign.Academy, stage int, at time.Time, dir string, res *fixture.AcademyResult) error {
	if stage == 0 {
		if err := registerSchools(ctx, st, academy, dir, res); err != nil {
			return err
		}
	}
	type key struct {
		uai  string
		year int
	}
	byKey := map[key][]ingest.Upload{}
	var feed []ingest.Upload
	var opened []*os.File
	defer func() {
		for _, f := range opened {
			f.Close()
		}
	}()
	for _, m := range res.Manifest {
		if strings.HasSuffix(m.Path, ".csv") {
			continue
		}
		if stage > 0 && m.SchoolYear != 0 && m.SchoolYear < campaign.SchoolYearOf(at) {
			continue // last year's exports were sent once
		}
		f, err := os.Open(filepath.Join(dir, filepath.FromSlash(m.Path)))
		if err != nil {
			return err
		}
		opened = append(opened, f)
		fi, err := f.Stat()
		if err != nil {
			return err
		}
		u := ingest.Upload{Name: filepath.Base(m.Path), Content: f, Size: fi.Size(), ReceivedAt: at, ModTime: fi.ModTime()}
		if m.UAI == "" {
			feed = append(feed, u)
			continue
		}
		k := key{m.UAI, m.SchoolYear}
		byKey[k] = append(byKey[k], u)
	}
	keys := make([]key, 0, len(byKey))
	for k := range byKey {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].year != keys[j].year {
			return keys[i].year < keys[j].year
		}
		return keys[i].uai < keys[j].uai
	})
	// A school's files of last year go before this year's: its snapshot history needs them
	// first. Different schools do not wait for one another.
	byUAI := map[string][]key{}
	var uais []string
	for _, k := range keys {
		if _, ok := byUAI[k.uai]; !ok {
			uais = append(uais, k.uai)
		}
		byUAI[k.uai] = append(byUAI[k.uai], k)
	}
	err := parallel(ctx, len(uais), func(i int) error {
		for _, k := range byUAI[uais[i]] {
			out, err := im.Import(ctx, scope, importer.Request{Academy: academy, UAI: k.uai, SchoolYear: k.year, By: "etablissement", Files: byKey[k]})
			if err != nil {
				return err
			}
			for _, f := range out.Files {
				if f.Err != nil {
					return fmt.Errorf("file %s of %s refused: %w", f.File, k.uai, f.Err)
				}
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if len(feed) > 0 {
		out, err := im.Import(ctx, scope, importer.Request{Academy: academy, By: "annuaire-federateur", Files: feed})
		if err != nil {
			return err
		}
		for _, f := range out.Files {
			if f.Err != nil {
				return fmt.Errorf("feed %s refused: %w", f.File, f.Err)
			}
		}
	}
	return nil
}

// parallel runs fn(0..n-1) on as many workers as cores (at most four) and returns the first
// error; the others stop taking work once one fails.
func parallel(ctx context.Context, n int, fn func(i int) error) error {
	workers := min(runtime.GOMAXPROCS(0), 4, max(n, 1))
	var next atomic.Int64
	var failed atomic.Bool
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for !failed.Load() && ctx.Err() == nil {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				if err := fn(i); err != nil {
					errs[w] = err
					failed.Store(true)
					return
				}
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	return ctx.Err()
}

// registerSchools registers the schools from the national directory CSV the generator wrote,
// as `vigie schools import` does.
func registerSchools(ctx context.Context, st *store.Store, academy campaign.Academy, dir string, res *fixture.AcademyResult) error {
	for _, m := range res.Manifest {
		if !strings.HasSuffix(m.Path, ".csv") {
			continue
		}
		f, err := os.Open(filepath.Join(dir, filepath.FromSlash(m.Path)))
		if err != nil {
			return err
		}
		defer f.Close()
		var schools []campaign.School
		sum, err := campaign.ReadDirectory(m.Path, f, "", func(r campaign.DirectoryRow) error {
			schools = append(schools, r.School)
			return nil
		})
		if err != nil {
			return err
		}
		if len(sum.Errors) > 0 {
			return sum.Errors[0]
		}
		_, err = st.UpsertSchools(ctx, access.System(), academy.ID, schools)
		return err
	}
	return errors.New("the generator wrote no school directory")
}

// minLevel is a slog handler that drops records below min, whatever its inner handler keeps.
type minLevel struct {
	slog.Handler
	min slog.Level
}

func (h minLevel) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}

func (h minLevel) WithAttrs(attrs []slog.Attr) slog.Handler {
	return minLevel{Handler: h.Handler.WithAttrs(attrs), min: h.min}
}

func (h minLevel) WithGroup(name string) slog.Handler {
	return minLevel{Handler: h.Handler.WithGroup(name), min: h.min}
}
