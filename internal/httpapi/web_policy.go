package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v5"

	"github.com/vigie-edu/vigie/internal/apperr"
	"github.com/vigie-edu/vigie/internal/authoring"
	"github.com/vigie-edu/vigie/internal/campaign"
	"github.com/vigie-edu/vigie/internal/policy"
	"github.com/vigie-edu/vigie/internal/store"
	"github.com/vigie-edu/vigie/policies"
)

// The policy editor: the academy's readiness modules in a code editor (CodeMirror with a Rego
// mode), a check of the draft that puts compile errors and strict-mode warnings at their
// lines, the Rego tests, and the impact preview: the draft evaluated on every school's latest
// facts, compared with the results in force.

// policyFiles returns the readiness modules of the set in force for the academy: the national
// modules with the academy's published files over them.
func (s *Server) policyFiles(ctx context.Context, g *grant) ([]policy.File, error) {
	if s.deps.Policies == nil {
		return policy.LoadFS(policies.FS, policies.ReadinessDir)
	}
	st, err := s.deps.Policies.State(ctx, g.scope, g.academy)
	if err != nil {
		return nil, err
	}
	content := store.PolicyContent{}
	if st.PublishedID != 0 {
		v, err := s.deps.Policies.Version(ctx, g.scope, g.academy, st.PublishedID)
		if err != nil {
			return nil, err
		}
		content = v.Content
	}
	return s.deps.Policies.Source().Files(content), nil
}

type moduleRef struct {
	Path     string
	Current  bool
	Changed  bool // the draft or the academy changed the national module
	Href     string
	TestHref string // its tests module, when there is one
}

// draftData is what the editor's script needs of the open draft.
type draftData struct {
	ID        int64             `json:"id"`
	Revision  int               `json:"revision"`
	Title     string            `json:"title"`
	Files     map[string]string `json:"files"`
	Overrides map[string]any    `json:"overrides"`
	API       string            `json:"api"`
}

// versionView is a published version with its differences from its parent.
type versionView struct {
	store.PolicyVersion
	InForce bool
	Diff    []diffFile
}

type policiesPage struct {
	Academy      campaign.Academy
	Base         string
	Modules      []moduleRef
	Module       string
	Text         string
	Checks       []policy.Check
	Modes        map[string]string // check id -> enforce, monitor or off in the open draft
	CanEdit      bool
	CanTest      bool
	CanPrev      bool
	CanPublish   bool
	CanRollback  bool
	CheckURL     string
	TestURL      string
	PrevURL      string
	API          string // the authoring API of the academy ("" when off)
	Authoring    bool
	Draft        *store.PolicyDraft
	DraftData    *draftData
	Editable     bool // the open draft belongs to the user and is not published
	Drafts       []store.PolicyDraft
	Versions     []versionView
	Publications []store.PolicyPublication
	InForce      string
	User         string
}

// pagePolicies shows the editor on one module (?module=path, default the groups check) of the
// set in force or of a draft (?brouillon=id), the drafts, the versions with their differences
// and the publications.
func (s *Server) pagePolicies(c *echo.Context) error {
	g := grantOf(c)
	ctx := c.Request().Context()
	base := "/academies/" + url.PathEscape(g.academy.Code) + "/regles"
	out := policiesPage{Academy: g.academy, Base: base, Checks: s.deps.Checks.Checks, Modes: map[string]string{},
		CheckURL: base + "/verifier", TestURL: base + "/tests", PrevURL: base + "/apercu", User: principalOf(c).user.Login}
	files, err := s.policyFiles(ctx, g)
	if err != nil {
		return err
	}
	national := map[string]string{}
	if s.deps.Policies != nil {
		out.Authoring = true
		out.API = "/api/v1/academies/" + url.PathEscape(g.academy.Code) + "/policies"
		for _, f := range s.deps.Policies.Source().NationalFiles() {
			national[f.Path] = string(f.Text)
		}
		if err := s.policyHistory(c, g, &out); err != nil {
			return err
		}
		if v := c.QueryParam("brouillon"); v != "" {
			id, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return fmt.Errorf("draft %q: %w", v, apperr.ErrNotFound)
			}
			d, err := s.deps.Policies.Draft(ctx, g.scope, g.academy, id)
			if err != nil {
				return err
			}
			out.Draft = &d
			files = s.deps.Policies.Source().Files(d.Content)
			p := principalOf(c)
			out.Editable = d.PublishedVersionID == 0 && (d.OwnerID == p.user.ID || (d.OwnerID == 0 && d.Owner == p.user.Login))
			overrides := d.Content.Overrides
			if overrides == nil {
				overrides = map[string]any{}
			}
			dfiles := d.Content.Files
			if dfiles == nil {
				dfiles = map[string]string{}
			}
			out.DraftData = &draftData{ID: d.ID, Revision: d.Revision, Title: d.Title, Files: dfiles, Overrides: overrides,
				API: out.API + "/drafts/" + strconv.FormatInt(d.ID, 10)}
			if checks, ok := overrides["checks"].(map[string]any); ok {
				for id, v := range checks {
					if m, ok := v.(map[string]any); ok {
						if mode, ok := m["mode"].(string); ok {
							out.Modes[id] = mode
						}
					}
				}
			}
		}
	}
	want := c.QueryParam("module")
	if want == "" {
		want = "readiness/siecle/groups_populated.rego"
	}
	tests := map[string]bool{}
	for _, f := range files {
		if strings.HasSuffix(f.Path, "_test.rego") {
			tests[f.Path] = true
		}
	}
	link := func(path string) string {
		q := url.Values{"module": {path}}
		if out.Draft != nil {
			q.Set("brouillon", strconv.FormatInt(out.Draft.ID, 10))
		}
		return base + "?" + q.Encode()
	}
	for _, f := range files {
		if !strings.HasSuffix(f.Path, ".rego") {
			continue
		}
		if f.Path == want {
			out.Module, out.Text = f.Path, string(f.Text)
		}
		if tests[f.Path] {
			continue
		}
		m := moduleRef{Path: f.Path, Current: f.Path == want, Href: link(f.Path), Changed: national[f.Path] != string(f.Text)}
		if tp := strings.TrimSuffix(f.Path, ".rego") + "_test.rego"; tests[tp] {
			m.TestHref = link(tp)
			m.Current = m.Current || tp == want
		}
		out.Modules = append(out.Modules, m)
	}
	if out.Module == "" {
		return fmt.Errorf("module %q: %w", want, apperr.ErrNotFound)
	}
	for _, a := range []struct {
		action Action
		dst    *bool
	}{{webPolicyEdit, &out.CanEdit}, {webPolicyTest, &out.CanTest}, {webPolicyPrev, &out.CanPrev},
		{ActionPolicyPublish, &out.CanPublish}, {ActionPolicyRollback, &out.CanRollback}} {
		if *a.dst, err = s.may(c, a.action, g.academy.Code, ""); err != nil {
			return err
		}
	}
	title := "Règles de l’académie"
	if out.Draft != nil {
		title = "Brouillon n° " + strconv.FormatInt(out.Draft.ID, 10) + " – règles"
	}
	return s.render(c, http.StatusOK, "policies", title, out)
}

// maxVersionsShown bounds the versions whose differences the editor page computes.
const maxVersionsShown = 8

// policyHistory fills the drafts, the versions (with their differences from their parent)
// and the publications of the academy.
func (s *Server) policyHistory(c *echo.Context, g *grant, out *policiesPage) error {
	ctx := c.Request().Context()
	st, err := s.deps.Policies.State(ctx, g.scope, g.academy)
	if err != nil {
		return err
	}
	out.InForce, out.Publications = st.PublishedVersion, st.Publications
	for _, d := range st.Drafts {
		if d.PublishedVersionID == 0 {
			out.Drafts = append(out.Drafts, d)
		}
	}
	national := store.PolicyContent{}
	for i, v := range st.Versions {
		if i == maxVersionsShown {
			break
		}
		full, err := s.deps.Policies.Version(ctx, g.scope, g.academy, v.ID)
		if err != nil {
			return err
		}
		parent := national
		if v.ParentID != 0 {
			p, err := s.deps.Policies.Version(ctx, g.scope, g.academy, v.ParentID)
			if err != nil {
				return err
			}
			parent = p.Content
		}
		src := s.deps.Policies.Source()
		out.Versions = append(out.Versions, versionView{PolicyVersion: v, InForce: v.ID == st.PublishedID,
			Diff: diffSets(src.Files(parent), src.Files(full.Content), parent.Overrides, full.Content.Overrides)})
	}
	return nil
}

// draftRequest is the editor's draft: one module changed, the others as in force.
type draftRequest struct {
	Module string `json:"module"`
	Text   string `json:"text"`
	Draft  int64  `json:"draft,omitempty"` // the open draft, whose other files are used
}

// maxDraftBytes caps the edited module.
const maxDraftBytes = 512 << 10

// draftFiles reads the draft of the request and returns the set's files with it: the set in
// force, or the open draft's files (Draft), with the edited module.
func (s *Server) draftFiles(c *echo.Context) ([]policy.File, draftRequest, error) {
	var in draftRequest
	if err := decode(c, &in); err != nil {
		return nil, in, err
	}
	if len(in.Text) > maxDraftBytes {
		return nil, in, apperr.Invalid("module %s: more than %d bytes", in.Module, maxDraftBytes)
	}
	files, err := s.policyFiles(c.Request().Context(), grantOf(c))
	if err != nil {
		return nil, in, err
	}
	if in.Draft != 0 && s.deps.Policies != nil {
		base, err := s.baseContent(c.Request().Context(), grantOf(c), in.Draft)
		if err != nil {
			return nil, in, err
		}
		files = s.deps.Policies.Source().Files(base)
	}
	i := slices.IndexFunc(files, func(f policy.File) bool { return f.Path == in.Module })
	if i < 0 {
		return nil, in, apperr.Invalid("unknown module %q", in.Module)
	}
	files[i].Text = []byte(in.Text)
	return files, in, nil
}

// baseContent is the content the editor's text goes into: the open draft's, or the published
// version's (empty for the national defaults).
func (s *Server) baseContent(ctx context.Context, g *grant, draft int64) (store.PolicyContent, error) {
	if draft != 0 {
		d, err := s.deps.Policies.Draft(ctx, g.scope, g.academy, draft)
		return d.Content, err
	}
	st, err := s.deps.Policies.State(ctx, g.scope, g.academy)
	if err != nil || st.PublishedID == 0 {
		return store.PolicyContent{}, err
	}
	v, err := s.deps.Policies.Version(ctx, g.scope, g.academy, st.PublishedID)
	return v.Content, err
}

// marker is a problem at a line of the edited module, for the editor's gutter.
type marker struct {
	Line     int    `json:"line"`
	Column   int    `json:"column"`
	Severity string `json:"severity"` // error or warning
	Code     string `json:"code"`
	Message  string `json:"message"`
	Module   string `json:"module"`
}

type checkAnswer struct {
	OK       bool     `json:"ok"`
	Errors   int      `json:"errors"`
	Warnings int      `json:"warnings"`
	Markers  []marker `json:"markers"` // in the edited module
	Others   []marker `json:"others"`  // in other modules (a draft can break them)
}

// pagePolicyCheck compiles the set with the draft and answers its problems with positions:
// errors (the set does not compile) and warnings (OPA's strict mode).
func (s *Server) pagePolicyCheck(c *echo.Context) error {
	files, in, err := s.draftFiles(c)
	if err != nil {
		return err
	}
	d := policy.Diagnose(files)
	out := checkAnswer{Markers: []marker{}, Others: []marker{}}
	add := func(p policy.Problem, sev string) {
		m := marker{Line: p.Line, Column: p.Column, Severity: sev, Code: p.Code, Message: p.Message, Module: p.Module}
		if p.Module == in.Module {
			out.Markers = append(out.Markers, m)
		} else {
			out.Others = append(out.Others, m)
		}
	}
	for _, p := range d.Problems {
		add(p, "error")
		out.Errors++
	}
	for _, p := range d.Strict {
		add(p, "warning")
		out.Warnings++
	}
	out.OK = out.Errors == 0
	return c.JSON(http.StatusOK, out)
}

type testAnswer struct {
	OK       bool                `json:"ok"`
	Passed   int                 `json:"passed"`
	Failed   int                 `json:"failed"`
	Errored  int                 `json:"errored"`
	Results  []policy.TestResult `json:"results"`
	Problems []marker            `json:"problems"` // the draft does not compile
}

// pagePolicyTests runs the Rego tests of the set with the draft.
func (s *Server) pagePolicyTests(c *echo.Context) error {
	files, _, err := s.draftFiles(c)
	if err != nil {
		return err
	}
	rep, err := policy.RunTests(c.Request().Context(), files, policy.TestOptions{Timeout: 10 * time.Second})
	var ce *policy.CompileError
	if errors.As(err, &ce) {
		out := testAnswer{Results: []policy.TestResult{}, Problems: []marker{}}
		for _, p := range ce.Problems {
			out.Problems = append(out.Problems, marker{Line: p.Line, Column: p.Column, Severity: "error", Code: p.Code, Message: p.Message, Module: p.Module})
		}
		return c.JSON(http.StatusOK, out)
	}
	if err != nil {
		return err
	}
	out := testAnswer{OK: rep.OK(), Passed: rep.Passed, Failed: rep.Failed, Errored: rep.Errored, Results: []policy.TestResult{}, Problems: []marker{}}
	for _, r := range rep.Results {
		if r.Outcome != policy.TestPass {
			out.Results = append(out.Results, r)
		}
	}
	return c.JSON(http.StatusOK, out)
}

// impactRow is a school whose outcome the draft changes.
type impactRow struct {
	UAI     string   `json:"uai"`
	Name    string   `json:"name"`
	Href    string   `json:"href"`
	Before  string   `json:"before"`
	After   string   `json:"after"`
	Changed []string `json:"changed"` // « check : avant → après »
}

// impactAnswer is the editor's preview of its text: the authoring service's preview (the call
// behind the API's draft preview, so the same baseline, schools and instant) in the editor's
// shape, or the compile problems.
type impactAnswer struct {
	Previewed string            `json:"previewed"` // what was compared with what, in French
	Schools   int               `json:"schools"`
	Changed   int               `json:"changed"`
	Before    map[string]int    `json:"before"`
	After     map[string]int    `json:"after"`
	Rows      []impactRow       `json:"rows"`
	Duration  string            `json:"duration"`
	Problems  []marker          `json:"problems"`
	StatusFor map[string]string `json:"status_for"`
}

// previewedText says what the editor's preview compares.
const previewedText = "Aperçu du texte de l’éditeur, non enregistré, comparé aux règles publiées\u00a0: " +
	"les deux évalués maintenant sur le dernier instantané de chaque établissement."

// pagePolicyPreview previews the editor's text (not saved) against the published set, with
// authoring.Service.PreviewContent: the API's draft preview gives the same counts for the same
// content.
func (s *Server) pagePolicyPreview(c *echo.Context) error {
	svc, err := s.authoring()
	if err != nil {
		return err
	}
	g := grantOf(c)
	files, in, err := s.draftFiles(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	base, err := s.baseContent(ctx, g, in.Draft)
	if err != nil {
		return err
	}
	content := store.PolicyContent{Files: svc.Source().Split(files), Overrides: base.Overrides}
	start := time.Now()
	pv, err := svc.PreviewContent(ctx, g.scope, g.academy, content, "brouillon", time.Time{})
	var ge *authoring.GateError
	if errors.As(err, &ge) {
		out := impactAnswer{Previewed: previewedText, Rows: []impactRow{}, Problems: []marker{}, StatusFor: statusWords}
		for _, p := range ge.Report.Problems {
			out.Problems = append(out.Problems, marker{Line: p.Line, Column: p.Column, Severity: "error", Code: p.Code, Message: p.Message, Module: p.Module})
		}
		return c.JSON(http.StatusOK, out)
	}
	if err != nil {
		return err
	}
	out := impactOf(g.academy, pv)
	out.Duration = time.Since(start).Round(time.Millisecond).String()
	return c.JSON(http.StatusOK, out)
}

// impactOf puts a preview in the editor's shape.
func impactOf(academy campaign.Academy, pv *authoring.Preview) impactAnswer {
	counts := func(c authoring.StatusCounts) map[string]int {
		return map[string]int{"ready": c.Ready, "at_risk": c.AtRisk, "not_ready": c.NotReady}
	}
	out := impactAnswer{Previewed: previewedText, Schools: pv.Schools, Changed: pv.Changed, Before: counts(pv.StatusBefore),
		After: counts(pv.StatusAfter), Rows: []impactRow{}, Problems: []marker{}, StatusFor: statusWords}
	state := func(st authoring.CheckState, gone string) string {
		if st.Status == "" {
			return gone
		}
		w := orDefault(checkWords[st.Status], st.Status)
		if st.Mode == "monitor" {
			w += " (surveillance)"
		}
		return w
	}
	for _, sc := range pv.SchoolChanges {
		changed := make([]string, 0, len(sc.Changes))
		for _, ch := range sc.Changes {
			changed = append(changed, fmt.Sprintf("%s\u00a0: %s → %s", ch.Check, state(ch.Before, "absent"), state(ch.After, "supprimé")))
		}
		sort.Strings(changed)
		out.Rows = append(out.Rows, impactRow{UAI: sc.UAI, Name: orDefault(sc.Name, sc.UAI), Before: string(sc.StatusBefore),
			After: string(sc.StatusAfter), Changed: changed,
			Href: "/academies/" + url.PathEscape(academy.Code) + "/etablissements/" + url.PathEscape(sc.UAI)})
	}
	sort.SliceStable(out.Rows, func(i, j int) bool {
		ri, rj := statusRank(out.Rows[i].After)-statusRank(out.Rows[i].Before), statusRank(out.Rows[j].After)-statusRank(out.Rows[j].Before)
		if ri != rj {
			return ri < rj // schools that get worse first
		}
		return out.Rows[i].UAI < out.Rows[j].UAI
	})
	return out
}

func statusRank(s string) int {
	switch s {
	case "ready":
		return 2
	case "at_risk":
		return 1
	default:
		return 0
	}
}
