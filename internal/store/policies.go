package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/vigie-edu/vigie/internal/access"
	"github.com/vigie-edu/vigie/internal/apperr"
)

// PolicyContent is what an academy changes in its policy set: its own Rego modules (a path of
// a national module replaces that module) and its configuration overrides.
type PolicyContent struct {
	Files     map[string]string `json:"files"`     // path -> Rego source
	Overrides map[string]any    `json:"overrides"` // deep-merged over data.vigie.defaults.config
}

// PolicyVersion is an immutable version of an academy's policy set.
type PolicyVersion struct {
	ID        int64
	AcademyID int64
	Number    int   // 1, 2, ... per academy
	ParentID  int64 // the version published when this one was made; 0 for the national defaults
	Author    string
	AuthorID  int64
	Message   string
	CreatedAt time.Time
	National  string // version of the national modules it was checked with
	Digest    string // SHA-256 of the content
	Content   PolicyContent
	Gates     json.RawMessage // tests and coverage when it was made
}

// PolicyDraft is a working copy of an academy's policy set, owned by an author.
type PolicyDraft struct {
	ID            int64
	AcademyID     int64
	Owner         string
	OwnerID       int64
	Title         string
	BaseVersionID int64 // the version it started from; 0 for the national defaults
	Content       PolicyContent
	Revision      int // +1 on every save
	CreatedAt     time.Time
	UpdatedAt     time.Time
	// PublishedVersionID is the version the draft became; a published draft is read-only.
	PublishedVersionID int64
	LastCheck          json.RawMessage // summary of the last check, for lists
}

// PolicyPublication records that a version was put in force, by a publication or a rollback.
type PolicyPublication struct {
	ID          int64
	AcademyID   int64
	VersionID   int64
	Number      int // the version's number
	Action      string
	PublishedAt time.Time
	PublishedBy string
	Message     string
	Summary     json.RawMessage
}

// Publication actions.
const (
	PolicyPublish  = "publish"
	PolicyRollback = "rollback"
)

type policyVersionRow struct {
	ID        int64 `gorm:"primaryKey"`
	AcademyID int64
	Number    int
	ParentID  *int64
	Author    string
	AuthorID  *int64
	Message   string
	CreatedAt time.Time
	National  string
	Digest    string
	Files     string
	Overrides string
	Gates     string
}

func (policyVersionRow) TableName() string { return "policy_versions" }

type policyDraftRow struct {
	ID                 int64 `gorm:"primaryKey"`
	AcademyID          int64
	Owner              string
	OwnerID            *int64
	Title              string
	BaseVersionID      *int64
	Files              string
	Overrides          string
	Revision           int
	CreatedAt          time.Time
	UpdatedAt          time.Time
	PublishedVersionID *int64
	LastCheck          string
}

func (policyDraftRow) TableName() string { return "policy_drafts" }

type policyPublicationRow struct {
	ID          int64 `gorm:"primaryKey"`
	AcademyID   int64
	VersionID   int64
	Action      string
	PublishedAt time.Time
	PublishedBy string
	Message     string
	Summary     string
}

func (policyPublicationRow) TableName() string { return "policy_publications" }

func idPtr(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}

func idOf(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

func encodeContent(c PolicyContent) (files, overrides string, err error) {
	if c.Files == nil {
		c.Files = map[string]string{}
	}
	if c.Overrides == nil {
		c.Overrides = map[string]any{}
	}
	f, err := json.Marshal(c.Files)
	if err != nil {
		return "", "", fmt.Errorf("encode policy files: %w", err)
	}
	o, err := json.Marshal(c.Overrides)
	if err != nil {
		return "", "", fmt.Errorf("encode policy overrides: %w", err)
	}
	return string(f), string(o), nil
}

func decodeContent(files, overrides string) (PolicyContent, error) {
	c := PolicyContent{Files: map[string]string{}, Overrides: map[string]any{}}
	if files != "" {
		if err := json.Unmarshal([]byte(files), &c.Files); err != nil {
			return c, fmt.Errorf("decode policy files: %w", err)
		}
	}
	if overrides != "" {
		if err := json.Unmarshal([]byte(overrides), &c.Overrides); err != nil {
			return c, fmt.Errorf("decode policy overrides: %w", err)
		}
	}
	return c, nil
}

func rawJSON(s string) json.RawMessage {
	if s == "" {
		return nil
	}
	return json.RawMessage(s)
}

func (r policyVersionRow) domain(withContent bool) (PolicyVersion, error) {
	v := PolicyVersion{ID: r.ID, AcademyID: r.AcademyID, Number: r.Number, ParentID: idOf(r.ParentID), Author: r.Author,
		AuthorID: idOf(r.AuthorID), Message: r.Message, CreatedAt: r.CreatedAt.UTC(), National: r.National, Digest: r.Digest,
		Gates: rawJSON(r.Gates)}
	if withContent {
		c, err := decodeContent(r.Files, r.Overrides)
		if err != nil {
			return PolicyVersion{}, fmt.Errorf("policy version %d: %w", r.ID, err)
		}
		v.Content = c
	}
	return v, nil
}

func (r policyDraftRow) domain(withContent bool) (PolicyDraft, error) {
	d := PolicyDraft{ID: r.ID, AcademyID: r.AcademyID, Owner: r.Owner, OwnerID: idOf(r.OwnerID), Title: r.Title,
		BaseVersionID: idOf(r.BaseVersionID), Revision: r.Revision, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
		PublishedVersionID: idOf(r.PublishedVersionID), LastCheck: rawJSON(r.LastCheck)}
	if withContent {
		c, err := decodeContent(r.Files, r.Overrides)
		if err != nil {
			return PolicyDraft{}, fmt.Errorf("policy draft %d: %w", r.ID, err)
		}
		d.Content = c
	}
	return d, nil
}

// policyScope refuses an academy outside the scope, or a scope limited to some schools: a
// policy set is academy-wide.
func policyScope(scope access.Scope, academyID int64) error {
	if !scope.AllowsAllSchools(academyID) {
		return fmt.Errorf("policies of academy %d: %w", academyID, apperr.ErrNotFound)
	}
	return nil
}

// CreatePolicyDraft records a new draft at revision 1.
func (s *Store) CreatePolicyDraft(ctx context.Context, scope access.Scope, d PolicyDraft, by Actor) (PolicyDraft, error) {
	if err := policyScope(scope, d.AcademyID); err != nil {
		return PolicyDraft{}, err
	}
	files, overrides, err := encodeContent(d.Content)
	if err != nil {
		return PolicyDraft{}, err
	}
	now := s.now()
	row := policyDraftRow{AcademyID: d.AcademyID, Owner: d.Owner, OwnerID: idPtr(d.OwnerID), Title: d.Title,
		BaseVersionID: idPtr(d.BaseVersionID), Files: files, Overrides: overrides, Revision: 1, CreatedAt: now, UpdatedAt: now,
		LastCheck: string(d.LastCheck)}
	err = s.tx(ctx, func(tx *gorm.DB) error {
		if d.BaseVersionID != 0 {
			if _, err := s.versionRow(tx, d.AcademyID, d.BaseVersionID); err != nil {
				return err
			}
		}
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		return s.writeAudit(tx, by, Change{AcademyID: d.AcademyID, Action: "policy.edit", TargetType: "policy_draft",
			TargetID: strconv.FormatInt(row.ID, 10), After: map[string]any{"title": d.Title, "base_version_id": d.BaseVersionID,
				"files": len(d.Content.Files)}})
	})
	if err != nil {
		return PolicyDraft{}, fmt.Errorf("create policy draft: %w", err)
	}
	return row.domain(true)
}

// PolicyDraftByID returns a draft with its content.
func (s *Store) PolicyDraftByID(ctx context.Context, scope access.Scope, academyID, id int64) (PolicyDraft, error) {
	if err := policyScope(scope, academyID); err != nil {
		return PolicyDraft{}, err
	}
	var r policyDraftRow
	if err := s.db.WithContext(ctx).Where("id = ? AND academy_id = ?", id, academyID).Take(&r).Error; err != nil {
		return PolicyDraft{}, notFound(err, "policy draft %d", id)
	}
	return r.domain(true)
}

// ListPolicyDrafts returns the academy's drafts without their content, the latest changed first.
func (s *Store) ListPolicyDrafts(ctx context.Context, scope access.Scope, academyID int64) ([]PolicyDraft, error) {
	if err := policyScope(scope, academyID); err != nil {
		return nil, err
	}
	var rows []policyDraftRow
	err := s.db.WithContext(ctx).Omit("files", "overrides").Where("academy_id = ?", academyID).
		Order("updated_at DESC, id DESC").Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("list policy drafts: %w", err)
	}
	out := make([]PolicyDraft, 0, len(rows))
	for _, r := range rows {
		d, err := r.domain(false)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

// SavePolicyDraft replaces a draft's title, content and last check, at the revision the caller
// read (d.Revision): a draft changed since, or already published, is apperr.ErrConflict. It
// returns the draft at its new revision.
func (s *Store) SavePolicyDraft(ctx context.Context, scope access.Scope, d PolicyDraft) (PolicyDraft, error) {
	if err := policyScope(scope, d.AcademyID); err != nil {
		return PolicyDraft{}, err
	}
	files, overrides, err := encodeContent(d.Content)
	if err != nil {
		return PolicyDraft{}, err
	}
	res := s.db.WithContext(ctx).Model(&policyDraftRow{}).
		Where("id = ? AND academy_id = ? AND revision = ? AND published_version_id IS NULL", d.ID, d.AcademyID, d.Revision).
		Updates(map[string]any{"title": d.Title, "files": files, "overrides": overrides, "revision": d.Revision + 1,
			"updated_at": s.now(), "last_check": string(d.LastCheck)})
	if res.Error != nil {
		return PolicyDraft{}, fmt.Errorf("save policy draft %d: %w", d.ID, res.Error)
	}
	if res.RowsAffected == 0 {
		cur, err := s.PolicyDraftByID(ctx, scope, d.AcademyID, d.ID)
		if err != nil {
			return PolicyDraft{}, err
		}
		if cur.PublishedVersionID != 0 {
			return PolicyDraft{}, fmt.Errorf("save policy draft %d: already published as version %d: %w", d.ID, cur.PublishedVersionID, apperr.ErrConflict)
		}
		return PolicyDraft{}, fmt.Errorf("save policy draft %d: revision %d, not %d: %w", d.ID, cur.Revision, d.Revision, apperr.ErrConflict)
	}
	return s.PolicyDraftByID(ctx, scope, d.AcademyID, d.ID)
}

// SetPolicyDraftCheck records the summary of a check of the draft at a revision; a draft saved
// since keeps its own.
func (s *Store) SetPolicyDraftCheck(ctx context.Context, scope access.Scope, academyID, id int64, revision int, check json.RawMessage) error {
	if err := policyScope(scope, academyID); err != nil {
		return err
	}
	err := s.db.WithContext(ctx).Model(&policyDraftRow{}).Where("id = ? AND academy_id = ? AND revision = ?", id, academyID, revision).
		Update("last_check", string(check)).Error
	if err != nil {
		return fmt.Errorf("record check of policy draft %d: %w", id, err)
	}
	return nil
}

// DeletePolicyDraft removes a draft.
func (s *Store) DeletePolicyDraft(ctx context.Context, scope access.Scope, academyID, id int64, by Actor) error {
	d, err := s.PolicyDraftByID(ctx, scope, academyID, id)
	if err != nil {
		return err
	}
	err = s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Where("id = ?", id).Delete(&policyDraftRow{}).Error; err != nil {
			return err
		}
		return s.writeAudit(tx, by, Change{AcademyID: academyID, Action: "policy.edit", TargetType: "policy_draft",
			TargetID: strconv.FormatInt(id, 10), Before: map[string]any{"title": d.Title, "revision": d.Revision, "owner": d.Owner}})
	})
	if err != nil {
		return fmt.Errorf("delete policy draft %d: %w", id, err)
	}
	return nil
}

func (s *Store) versionRow(tx *gorm.DB, academyID, id int64) (policyVersionRow, error) {
	var r policyVersionRow
	if err := tx.Where("id = ? AND academy_id = ?", id, academyID).Take(&r).Error; err != nil {
		return r, notFound(err, "policy version %d", id)
	}
	return r, nil
}

// PolicyVersionByID returns a version with its content.
func (s *Store) PolicyVersionByID(ctx context.Context, scope access.Scope, academyID, id int64) (PolicyVersion, error) {
	if err := policyScope(scope, academyID); err != nil {
		return PolicyVersion{}, err
	}
	r, err := s.versionRow(s.db.WithContext(ctx), academyID, id)
	if err != nil {
		return PolicyVersion{}, err
	}
	return r.domain(true)
}

// ListPolicyVersions returns the academy's versions without their content, newest first.
func (s *Store) ListPolicyVersions(ctx context.Context, scope access.Scope, academyID int64) ([]PolicyVersion, error) {
	if err := policyScope(scope, academyID); err != nil {
		return nil, err
	}
	var rows []policyVersionRow
	err := s.db.WithContext(ctx).Omit("files", "overrides").Where("academy_id = ?", academyID).Order("number DESC").Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("list policy versions: %w", err)
	}
	out := make([]PolicyVersion, 0, len(rows))
	for _, r := range rows {
		v, err := r.domain(false)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

func currentPublication(tx *gorm.DB, academyID int64) (policyPublicationRow, error) {
	var p policyPublicationRow
	err := tx.Where("academy_id = ?", academyID).Order("id DESC").Take(&p).Error
	return p, err
}

// PublishedPolicyVersionID returns the id of the academy's published version; an academy that
// never published (its schools are evaluated with the national defaults) is apperr.ErrNotFound.
func (s *Store) PublishedPolicyVersionID(ctx context.Context, scope access.Scope, academyID int64) (int64, error) {
	if !scope.AllowsAcademy(academyID) {
		return 0, fmt.Errorf("policies of academy %d: %w", academyID, apperr.ErrNotFound)
	}
	p, err := currentPublication(s.db.WithContext(ctx), academyID)
	if err != nil {
		return 0, notFound(err, "published policy of academy %d", academyID)
	}
	return p.VersionID, nil
}

// ListPolicyPublications returns the academy's publications and rollbacks, newest first.
func (s *Store) ListPolicyPublications(ctx context.Context, scope access.Scope, academyID int64, limit int) ([]PolicyPublication, error) {
	if err := policyScope(scope, academyID); err != nil {
		return nil, err
	}
	var rows []struct {
		ID          int64
		AcademyID   int64
		VersionID   int64
		Number      int
		Action      string
		PublishedAt time.Time
		PublishedBy string
		Message     string
		Summary     string
	}
	q := s.db.WithContext(ctx).Table("policy_publications p").
		Select("p.id, p.academy_id, p.version_id, v.number, p.action, p.published_at, p.published_by, p.message, p.summary").Joins("JOIN policy_versions v ON v.id = p.version_id").
		Where("p.academy_id = ?", academyID).Order("p.id DESC")
	if limit > 0 {
		q = q.Limit(limit)
	}
	if err := q.Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("list policy publications: %w", err)
	}
	out := make([]PolicyPublication, 0, len(rows))
	for _, r := range rows {
		out = append(out, PolicyPublication{ID: r.ID, AcademyID: r.AcademyID, VersionID: r.VersionID, Number: r.Number,
			Action: r.Action, PublishedAt: r.PublishedAt.UTC(), PublishedBy: r.PublishedBy, Message: r.Message, Summary: rawJSON(r.Summary)})
	}
	return out, nil
}

// NewPublication is a draft to publish as a new version.
type NewPublication struct {
	AcademyID     int64
	DraftID       int64
	DraftRevision int   // the revision that was checked: a draft saved since is a conflict
	Expected      int64 // the published version the caller previewed against; 0: the national defaults
	Message       string
	National      string
	Digest        string
	Gates         json.RawMessage
	Summary       any // the impact preview's summary, kept with the publication and in the audit log
}

// lockAcademy serialises the publications of one academy on PostgreSQL (SQLite transactions
// are already serialised by BEGIN IMMEDIATE).
func (s *Store) lockAcademy(tx *gorm.DB, academyID int64) error {
	if s.dialect != Postgres {
		return nil
	}
	var a academyRow
	return tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("id = ?", academyID).Take(&a).Error
}

func (s *Store) checkExpected(tx *gorm.DB, academyID, expected int64) (int64, error) {
	cur, err := currentPublication(tx, academyID)
	switch {
	case errors.Is(err, gorm.ErrRecordNotFound):
		cur.VersionID = 0
	case err != nil:
		return 0, err
	}
	if cur.VersionID != expected {
		return 0, fmt.Errorf("the published version changed (now %d, previewed against %d): %w", cur.VersionID, expected, apperr.ErrConflict)
	}
	return cur.VersionID, nil
}

// PublishPolicyDraft makes a draft a new version of the academy and puts it in force, in one
// transaction: the draft must still be at the checked revision and the published version the
// one the caller previewed against, otherwise apperr.ErrConflict. The publication and its
// summary land in the audit log.
func (s *Store) PublishPolicyDraft(ctx context.Context, scope access.Scope, p NewPublication, by Actor) (PolicyVersion, error) {
	if err := policyScope(scope, p.AcademyID); err != nil {
		return PolicyVersion{}, err
	}
	summary, err := json.Marshal(p.Summary)
	if err != nil {
		return PolicyVersion{}, fmt.Errorf("publish policy draft %d: encode summary: %w", p.DraftID, err)
	}
	var out policyVersionRow
	err = s.tx(ctx, func(tx *gorm.DB) error {
		if err := s.lockAcademy(tx, p.AcademyID); err != nil {
			return err
		}
		parent, err := s.checkExpected(tx, p.AcademyID, p.Expected)
		if err != nil {
			return err
		}
		var d policyDraftRow
		if err := tx.Where("id = ? AND academy_id = ?", p.DraftID, p.AcademyID).Take(&d).Error; err != nil {
			return notFound(err, "policy draft %d", p.DraftID)
		}
		if d.PublishedVersionID != nil {
			return fmt.Errorf("draft already published: %w", apperr.ErrConflict)
		}
		if d.Revision != p.DraftRevision {
			return fmt.Errorf("draft saved since its check (revision %d, checked %d): %w", d.Revision, p.DraftRevision, apperr.ErrConflict)
		}
		var last struct{ N int }
		if err := tx.Model(&policyVersionRow{}).Select("COALESCE(MAX(number), 0) AS n").Where("academy_id = ?", p.AcademyID).Scan(&last).Error; err != nil {
			return err
		}
		now := s.now()
		out = policyVersionRow{AcademyID: p.AcademyID, Number: last.N + 1, ParentID: idPtr(parent), Author: by.Login, AuthorID: idPtr(by.UserID),
			Message: p.Message, CreatedAt: now, National: p.National, Digest: p.Digest, Files: d.Files, Overrides: d.Overrides,
			Gates: string(p.Gates)}
		if out.Gates == "" {
			out.Gates = "{}"
		}
		if err := tx.Create(&out).Error; err != nil {
			if isUniqueViolation(err) {
				return fmt.Errorf("another version was published at the same time: %w", apperr.ErrConflict)
			}
			return err
		}
		pub := policyPublicationRow{AcademyID: p.AcademyID, VersionID: out.ID, Action: PolicyPublish, PublishedAt: now,
			PublishedBy: by.Login, Message: p.Message, Summary: string(summary)}
		if err := tx.Create(&pub).Error; err != nil {
			return err
		}
		if err := tx.Model(&policyDraftRow{}).Where("id = ?", d.ID).Update("published_version_id", out.ID).Error; err != nil {
			return err
		}
		return s.writeAudit(tx, by, Change{AcademyID: p.AcademyID, Action: "policy.publish", TargetType: "policy_version",
			TargetID: strconv.FormatInt(out.ID, 10), Before: map[string]any{"version_id": parent},
			After: map[string]any{"version_id": out.ID, "number": out.Number, "draft_id": d.ID, "message": p.Message,
				"digest": p.Digest, "national": p.National, "summary": json.RawMessage(summary)}})
	})
	if err != nil {
		return PolicyVersion{}, fmt.Errorf("publish policy draft %d: %w", p.DraftID, err)
	}
	return out.domain(true)
}

// RollbackPolicy puts a previous version of the academy in force again: a publication of
// action rollback, in the audit log with its summary. The published version must be the one
// the caller previewed against (expected), otherwise apperr.ErrConflict.
func (s *Store) RollbackPolicy(ctx context.Context, scope access.Scope, academyID, versionID, expected int64, message string, summary any, by Actor) (PolicyPublication, error) {
	if err := policyScope(scope, academyID); err != nil {
		return PolicyPublication{}, err
	}
	sum, err := json.Marshal(summary)
	if err != nil {
		return PolicyPublication{}, fmt.Errorf("roll back to policy version %d: encode summary: %w", versionID, err)
	}
	var pub policyPublicationRow
	var v policyVersionRow
	err = s.tx(ctx, func(tx *gorm.DB) error {
		if err := s.lockAcademy(tx, academyID); err != nil {
			return err
		}
		if v, err = s.versionRow(tx, academyID, versionID); err != nil {
			return err
		}
		cur, err := s.checkExpected(tx, academyID, expected)
		if err != nil {
			return err
		}
		if cur == versionID {
			return fmt.Errorf("version %d is already published: %w", v.Number, apperr.ErrConflict)
		}
		pub = policyPublicationRow{AcademyID: academyID, VersionID: versionID, Action: PolicyRollback, PublishedAt: s.now(),
			PublishedBy: by.Login, Message: message, Summary: string(sum)}
		if err := tx.Create(&pub).Error; err != nil {
			return err
		}
		return s.writeAudit(tx, by, Change{AcademyID: academyID, Action: "policy.rollback", TargetType: "policy_version",
			TargetID: strconv.FormatInt(versionID, 10), Before: map[string]any{"version_id": cur},
			After: map[string]any{"version_id": versionID, "number": v.Number, "message": message, "summary": json.RawMessage(sum)}})
	})
	if err != nil {
		return PolicyPublication{}, fmt.Errorf("roll back to policy version %d: %w", versionID, err)
	}
	return PolicyPublication{ID: pub.ID, AcademyID: academyID, VersionID: versionID, Number: v.Number, Action: pub.Action,
		PublishedAt: pub.PublishedAt.UTC(), PublishedBy: pub.PublishedBy, Message: message, Summary: rawJSON(pub.Summary)}, nil
}
