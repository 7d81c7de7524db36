package authoring

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/vigie-edu/vigie/internal/access"
	"github.com/vigie-edu/vigie/internal/apperr"
	"github.com/vigie-edu/vigie/internal/campaign"
	"github.com/vigie-edu/vigie/internal/policy"
	"github.com/vigie-edu/vigie/internal/store"
)

// State is an academy's policy state: what is in force, the versions and the drafts.
type State struct {
	National         string                    `json:"national"`          // version of the national modules
	PublishedID      int64                     `json:"published_id"`      // 0: the national defaults
	PublishedVersion string                    `json:"published_version"` // label of the set in force
	Versions         []store.PolicyVersion     `json:"versions"`          // newest first, without content
	Publications     []store.PolicyPublication `json:"publications"`      // newest first
	Drafts           []store.PolicyDraft       `json:"drafts"`            // without content
	Catalogue        []policy.Check            `json:"catalogue"`         // checks of the set in force
	Config           map[string]any            `json:"config"`            // effective configuration in force
}

// State returns the academy's policy state.
func (s *Service) State(ctx context.Context, scope access.Scope, academy campaign.Academy) (*State, error) {
	versions, err := s.st.ListPolicyVersions(ctx, scope, academy.ID)
	if err != nil {
		return nil, err
	}
	pubs, err := s.st.ListPolicyPublications(ctx, scope, academy.ID, 50)
	if err != nil {
		return nil, err
	}
	drafts, err := s.st.ListPolicyDrafts(ctx, scope, academy.ID)
	if err != nil {
		return nil, err
	}
	set, id, err := s.source.Published(ctx, academy)
	if err != nil {
		return nil, err
	}
	return &State{National: s.source.NationalVersion(), PublishedID: id, PublishedVersion: set.Version(), Versions: versions,
		Publications: pubs, Drafts: drafts, Catalogue: set.Catalogue().Checks, Config: set.Config()}, nil
}

// publishedContent returns the content of the version in force (empty for the national
// defaults) and its id.
func (s *Service) publishedContent(ctx context.Context, scope access.Scope, academy campaign.Academy) (store.PolicyContent, int64, error) {
	id, err := s.st.PublishedPolicyVersionID(ctx, scope, academy.ID)
	if errors.Is(err, apperr.ErrNotFound) {
		return store.PolicyContent{Files: map[string]string{}, Overrides: map[string]any{}}, 0, nil
	}
	if err != nil {
		return store.PolicyContent{}, 0, err
	}
	v, err := s.st.PolicyVersionByID(ctx, scope, academy.ID, id)
	if err != nil {
		return store.PolicyContent{}, 0, err
	}
	return v.Content, id, nil
}

// NewDraft says where a draft starts from.
type NewDraft struct {
	Title       string `json:"title"`
	FromVersion int64  `json:"from_version"` // 0: the version in force (or the national defaults)
}

// CreateDraft starts a draft owned by the caller, a copy of a version.
func (s *Service) CreateDraft(ctx context.Context, scope access.Scope, academy campaign.Academy, nd NewDraft, by store.Actor) (store.PolicyDraft, error) {
	content, base, err := s.publishedContent(ctx, scope, academy)
	if err != nil {
		return store.PolicyDraft{}, err
	}
	if nd.FromVersion != 0 {
		v, err := s.st.PolicyVersionByID(ctx, scope, academy.ID, nd.FromVersion)
		if err != nil {
			return store.PolicyDraft{}, err
		}
		content, base = v.Content, v.ID
	}
	if len(nd.Title) > 200 {
		return store.PolicyDraft{}, apperr.Invalid("title longer than 200 characters")
	}
	return s.st.CreatePolicyDraft(ctx, scope, store.PolicyDraft{AcademyID: academy.ID, Owner: by.Login, OwnerID: by.UserID,
		Title: strings.TrimSpace(nd.Title), BaseVersionID: base, Content: content}, by)
}

// Draft returns a draft with its content.
func (s *Service) Draft(ctx context.Context, scope access.Scope, academy campaign.Academy, id int64) (store.PolicyDraft, error) {
	return s.st.PolicyDraftByID(ctx, scope, academy.ID, id)
}

// Version returns a version with its content.
func (s *Service) Version(ctx context.Context, scope access.Scope, academy campaign.Academy, id int64) (store.PolicyVersion, error) {
	return s.st.PolicyVersionByID(ctx, scope, academy.ID, id)
}

func owns(d store.PolicyDraft, by store.Actor) bool {
	if d.OwnerID != 0 && by.UserID != 0 {
		return d.OwnerID == by.UserID
	}
	return d.Owner == by.Login
}

// DraftUpdate is a save of a draft at the revision the author read.
type DraftUpdate struct {
	Title     string            `json:"title"`
	Files     map[string]string `json:"files"`
	Overrides map[string]any    `json:"overrides"`
	Revision  int               `json:"revision"`
}

// SaveDraft saves the owner's draft and checks it at once: the answer carries the compile
// problems, lint findings and test results of what was saved. A draft of someone else is
// apperr.ErrForbidden; a draft saved since the given revision, apperr.ErrConflict.
func (s *Service) SaveDraft(ctx context.Context, scope access.Scope, academy campaign.Academy, id int64, u DraftUpdate, by store.Actor) (store.PolicyDraft, *CheckReport, error) {
	d, err := s.st.PolicyDraftByID(ctx, scope, academy.ID, id)
	if err != nil {
		return store.PolicyDraft{}, nil, err
	}
	if !owns(d, by) {
		return store.PolicyDraft{}, nil, fmt.Errorf("save draft %d of %s: %w", id, d.Owner, apperr.ErrForbidden)
	}
	if d.PublishedVersionID != 0 {
		return store.PolicyDraft{}, nil, fmt.Errorf("save draft %d: already published: %w", id, apperr.ErrConflict)
	}
	if u.Revision != d.Revision {
		return store.PolicyDraft{}, nil, &StaleDraftError{Draft: id, Revision: d.Revision, Given: u.Revision}
	}
	if len(u.Title) > 200 {
		return store.PolicyDraft{}, nil, apperr.Invalid("title longer than 200 characters")
	}
	c := store.PolicyContent{Files: u.Files, Overrides: u.Overrides}
	if c.Files == nil {
		c.Files = map[string]string{}
	}
	if c.Overrides == nil {
		c.Overrides = map[string]any{}
	}
	if err := ValidateContent(c); err != nil {
		return store.PolicyDraft{}, nil, err
	}
	next := d
	next.Title, next.Content = strings.TrimSpace(u.Title), c
	rep, _, err := s.Check(ctx, academy, c, fmt.Sprintf("draft-%d-r%d", d.ID, d.Revision+1))
	if err != nil {
		return store.PolicyDraft{}, nil, err
	}
	next.LastCheck = rep.summaryJSON(s.opts.Now())
	saved, err := s.st.SavePolicyDraft(ctx, scope, next)
	if err != nil {
		return store.PolicyDraft{}, nil, err
	}
	return saved, rep, nil
}

// CheckDraft checks a draft again (e.g. after a new release of the national modules).
func (s *Service) CheckDraft(ctx context.Context, scope access.Scope, academy campaign.Academy, id int64) (*CheckReport, error) {
	d, err := s.st.PolicyDraftByID(ctx, scope, academy.ID, id)
	if err != nil {
		return nil, err
	}
	rep, _, err := s.Check(ctx, academy, d.Content, draftLabel(d))
	if err != nil {
		return nil, err
	}
	if err := s.st.SetPolicyDraftCheck(ctx, scope, academy.ID, id, d.Revision, rep.summaryJSON(s.opts.Now())); err != nil {
		return nil, err
	}
	return rep, nil
}

// StaleDraftError is a save of a draft from a revision older than its current one (saved
// meanwhile, in another tab or by the API). It matches apperr.ErrConflict.
type StaleDraftError struct {
	Draft    int64
	Revision int // the draft's current revision
	Given    int // the revision the save started from
}

func (e *StaleDraftError) Error() string {
	return fmt.Sprintf("save draft %d: revision %d, not %d: %v", e.Draft, e.Revision, e.Given, apperr.ErrConflict)
}

// Is makes a StaleDraftError match apperr.ErrConflict.
func (e *StaleDraftError) Is(target error) bool { return target == apperr.ErrConflict }

// French says what happened and what to do, for the author.
func (e *StaleDraftError) French() string {
	return fmt.Sprintf("Le brouillon a été modifié entre-temps (révision %d) : rechargez-le avant d'enregistrer.", e.Revision)
}

// DeleteDraft removes the owner's draft.
func (s *Service) DeleteDraft(ctx context.Context, scope access.Scope, academy campaign.Academy, id int64, by store.Actor) error {
	d, err := s.st.PolicyDraftByID(ctx, scope, academy.ID, id)
	if err != nil {
		return err
	}
	if !owns(d, by) {
		return fmt.Errorf("delete draft %d of %s: %w", id, d.Owner, apperr.ErrForbidden)
	}
	return s.st.DeletePolicyDraft(ctx, scope, academy.ID, id, by)
}

// contentSet compiles a draft's content; one that does not compile is a *GateError with its
// report.
func (s *Service) contentSet(ctx context.Context, academy campaign.Academy, c store.PolicyContent, label string) (*policy.Set, error) {
	set, err := s.compiled(ctx, academy, c, label)
	var ce *policy.CompileError
	if errors.As(err, &ce) {
		return nil, &GateError{What: "évaluation impossible", Report: &CheckReport{Problems: ce.Problems, Strict: []policy.Problem{}, Lint: []policy.Finding{}}}
	}
	return set, err
}

// instant is now unless the caller gives one (to preview a start date, say).
func (s *Service) instant(at time.Time) time.Time {
	if at.IsZero() {
		return s.opts.Now()
	}
	return at
}

// PreviewDraft evaluates the draft and the published version over every school's latest
// snapshot and diffs them. Nothing is written.
func (s *Service) PreviewDraft(ctx context.Context, scope access.Scope, academy campaign.Academy, id int64, at time.Time) (*Preview, error) {
	if !scope.AllowsAllSchools(academy.ID) {
		return nil, fmt.Errorf("preview policies of %s: %w", academy.Code, apperr.ErrNotFound)
	}
	d, err := s.st.PolicyDraftByID(ctx, scope, academy.ID, id)
	if err != nil {
		return nil, err
	}
	return s.previewContent(ctx, scope, academy, d.Content, draftLabel(d), at)
}

// PreviewContent is PreviewDraft for a content not saved (the editor's text): the same
// baseline (the published set), schools, snapshots, exemptions and instant, so a content
// previews alike saved or not. label names the after set (e.g. "brouillon").
func (s *Service) PreviewContent(ctx context.Context, scope access.Scope, academy campaign.Academy, c store.PolicyContent, label string, at time.Time) (*Preview, error) {
	if !scope.AllowsAllSchools(academy.ID) {
		return nil, fmt.Errorf("preview policies of %s: %w", academy.Code, apperr.ErrNotFound)
	}
	return s.previewContent(ctx, scope, academy, c, label, at)
}

func (s *Service) previewContent(ctx context.Context, scope access.Scope, academy campaign.Academy, c store.PolicyContent, label string, at time.Time) (*Preview, error) {
	after, err := s.contentSet(ctx, academy, c, label)
	if err != nil {
		return nil, err
	}
	before, _, err := s.source.Published(ctx, academy)
	if err != nil {
		return nil, err
	}
	return s.preview(ctx, scope, academy, before, after, s.instant(at))
}

// Publication is the outcome of a publication or a rollback.
type Publication struct {
	Version store.PolicyVersion `json:"version"`
	Check   *CheckReport        `json:"check"`
	Summary PreviewSummary      `json:"summary"`
}

// Publish makes the draft the academy's published version: it must compile and pass its
// tests (otherwise *GateError), and the impact preview against the version in force is kept
// with the publication and in the audit log.
func (s *Service) Publish(ctx context.Context, scope access.Scope, academy campaign.Academy, id int64, message string, by store.Actor) (*Publication, error) {
	if !scope.AllowsAllSchools(academy.ID) {
		return nil, fmt.Errorf("publish policies of %s: %w", academy.Code, apperr.ErrNotFound)
	}
	message = strings.TrimSpace(message)
	if message == "" || len(message) > 2000 {
		return nil, apperr.Invalid("a publication needs a message (at most 2000 characters)")
	}
	d, err := s.st.PolicyDraftByID(ctx, scope, academy.ID, id)
	if err != nil {
		return nil, err
	}
	if d.PublishedVersionID != 0 {
		return nil, fmt.Errorf("publish draft %d: already published: %w", id, apperr.ErrConflict)
	}
	rep, after, err := s.Check(ctx, academy, d.Content, draftLabel(d))
	if err != nil {
		return nil, err
	}
	if !rep.OK {
		return nil, &GateError{Report: rep}
	}
	before, current, err := s.source.Published(ctx, academy)
	if err != nil {
		return nil, err
	}
	pv, err := s.preview(ctx, scope, academy, before, after, s.opts.Now())
	if err != nil {
		return nil, err
	}
	sum := pv.Summary()
	gates, _ := json.Marshal(rep.Summary(s.opts.Now()))
	v, err := s.st.PublishPolicyDraft(ctx, scope, store.NewPublication{AcademyID: academy.ID, DraftID: d.ID, DraftRevision: d.Revision,
		Expected: current, Message: message, National: s.source.NationalVersion(), Digest: Digest(s.source.NationalVersion(), d.Content),
		Gates: gates, Summary: sum}, by)
	if err != nil {
		return nil, err
	}
	s.log.Info("policy published", "academy", academy.Code, "version", v.Number, "by", by.Login,
		"schools_changed", sum.Changed, "pupils_affected", sum.PupilsAffected)
	return &Publication{Version: v, Check: rep, Summary: sum}, nil
}

// PreviewRollback previews putting a previous version back in force.
func (s *Service) PreviewRollback(ctx context.Context, scope access.Scope, academy campaign.Academy, versionID int64, at time.Time) (*Preview, error) {
	if !scope.AllowsAllSchools(academy.ID) {
		return nil, fmt.Errorf("preview policies of %s: %w", academy.Code, apperr.ErrNotFound)
	}
	v, err := s.st.PolicyVersionByID(ctx, scope, academy.ID, versionID)
	if err != nil {
		return nil, err
	}
	after, err := s.compiled(ctx, academy, v.Content, versionLabel(academy, v.Number, s.source.NationalVersion()))
	var ce *policy.CompileError
	if errors.As(err, &ce) {
		return nil, &GateError{What: "retour impossible", Report: &CheckReport{Problems: ce.Problems}}
	}
	if err != nil {
		return nil, err
	}
	before, _, err := s.source.Published(ctx, academy)
	if err != nil {
		return nil, err
	}
	return s.preview(ctx, scope, academy, before, after, s.instant(at))
}

// Rollback puts a previous version in force again, behind the same gates as a publication
// (it must still compile and pass its tests with this binary's national modules).
func (s *Service) Rollback(ctx context.Context, scope access.Scope, academy campaign.Academy, versionID int64, message string, by store.Actor) (*Publication, error) {
	if !scope.AllowsAllSchools(academy.ID) {
		return nil, fmt.Errorf("roll back policies of %s: %w", academy.Code, apperr.ErrNotFound)
	}
	message = strings.TrimSpace(message)
	if len(message) > 2000 {
		return nil, apperr.Invalid("message longer than 2000 characters")
	}
	v, err := s.st.PolicyVersionByID(ctx, scope, academy.ID, versionID)
	if err != nil {
		return nil, err
	}
	rep, after, err := s.Check(ctx, academy, v.Content, versionLabel(academy, v.Number, s.source.NationalVersion()))
	if err != nil {
		return nil, err
	}
	if !rep.OK {
		return nil, &GateError{What: "retour refusé", Report: rep}
	}
	before, current, err := s.source.Published(ctx, academy)
	if err != nil {
		return nil, err
	}
	pv, err := s.preview(ctx, scope, academy, before, after, s.opts.Now())
	if err != nil {
		return nil, err
	}
	sum := pv.Summary()
	if message == "" {
		message = fmt.Sprintf("retour à la version %d", v.Number)
	}
	if _, err := s.st.RollbackPolicy(ctx, scope, academy.ID, versionID, current, message, sum, by); err != nil {
		return nil, err
	}
	s.log.Info("policy rolled back", "academy", academy.Code, "version", v.Number, "by", by.Login, "schools_changed", sum.Changed)
	v.Content = store.PolicyContent{}
	return &Publication{Version: v, Check: rep, Summary: sum}, nil
}
