package authoring

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/vigie-edu/vigie/internal/access"
	"github.com/vigie-edu/vigie/internal/campaign"
	"github.com/vigie-edu/vigie/internal/policy"
	"github.com/vigie-edu/vigie/internal/store"
)

// BundleRef names the set to export: a version, a draft, or (neither) the set in force.
type BundleRef struct {
	VersionID int64
	DraftID   int64
}

// Export writes the whole set (national modules with the academy's replacements and own
// modules, tests included, and its overrides in data.vigie.overrides) as an OPA bundle, so
// that authors can keep it in Git and run `opa test` or `vigie policy test` on it. It returns
// the bundle's revision, a file name stem.
func (s *Service) Export(ctx context.Context, scope access.Scope, academy campaign.Academy, ref BundleRef, w io.Writer) (string, error) {
	var c store.PolicyContent
	var revision string
	meta := map[string]any{"academy": academy.Code, "national": s.source.NationalVersion()}
	switch {
	case ref.DraftID != 0:
		d, err := s.st.PolicyDraftByID(ctx, scope, academy.ID, ref.DraftID)
		if err != nil {
			return "", err
		}
		c, revision = d.Content, fmt.Sprintf("%s-draft-%d-r%d", academy.Code, d.ID, d.Revision)
		meta["draft"], meta["revision"] = d.ID, d.Revision
	case ref.VersionID != 0:
		v, err := s.st.PolicyVersionByID(ctx, scope, academy.ID, ref.VersionID)
		if err != nil {
			return "", err
		}
		c, revision = v.Content, fmt.Sprintf("%s-v%d", academy.Code, v.Number)
		meta["version"] = v.Number
	default:
		content, id, err := s.publishedContent(ctx, scope, academy)
		if err != nil {
			return "", err
		}
		c, revision = content, academy.Code+"-national"
		if id != 0 {
			v, err := s.st.PolicyVersionByID(ctx, scope, academy.ID, id)
			if err != nil {
				return "", err
			}
			revision = fmt.Sprintf("%s-v%d", academy.Code, v.Number)
			meta["version"] = v.Number
		}
	}
	meta["own_files"] = len(c.Files)
	err := policy.WriteBundle(w, policy.Bundle{Revision: revision, Files: s.source.Files(c), Overrides: c.Overrides, Metadata: meta})
	return revision, err
}

// Import makes a draft of the caller from an OPA bundle (as Export writes it, or built with
// `opa build`): files equal to the national module of the same path are left out, the others
// become the academy's; data.vigie.overrides become its overrides. The draft is checked at once.
func (s *Service) Import(ctx context.Context, scope access.Scope, academy campaign.Academy, r io.Reader, title string, by store.Actor) (store.PolicyDraft, *CheckReport, error) {
	b, err := policy.ReadBundle(r)
	if err != nil {
		return store.PolicyDraft{}, nil, err
	}
	c := store.PolicyContent{Files: s.source.Split(b.Files), Overrides: b.Overrides}
	if c.Overrides == nil {
		c.Overrides = map[string]any{}
	}
	if err := ValidateContent(c); err != nil {
		return store.PolicyDraft{}, nil, err
	}
	_, base, err := s.publishedContent(ctx, scope, academy)
	if err != nil {
		return store.PolicyDraft{}, nil, err
	}
	title = strings.TrimSpace(title)
	if title == "" {
		title = "Import du bundle " + b.Revision
	}
	if len(title) > 200 {
		title = title[:200]
	}
	d, err := s.st.CreatePolicyDraft(ctx, scope, store.PolicyDraft{AcademyID: academy.ID, Owner: by.Login, OwnerID: by.UserID,
		Title: title, BaseVersionID: base, Content: c}, by)
	if err != nil {
		return store.PolicyDraft{}, nil, err
	}
	rep, _, err := s.Check(ctx, academy, c, draftLabel(d))
	if err != nil {
		return store.PolicyDraft{}, nil, err
	}
	d.LastCheck = rep.summaryJSON(s.opts.Now())
	if err := s.st.SetPolicyDraftCheck(ctx, scope, academy.ID, d.ID, d.Revision, d.LastCheck); err != nil {
		return store.PolicyDraft{}, nil, err
	}
	return d, rep, nil
}
