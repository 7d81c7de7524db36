package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v5"

	"github.com/vigie-edu/vigie/internal/apperr"
	"github.com/vigie-edu/vigie/internal/authoring"
	"github.com/vigie-edu/vigie/internal/store"
)

// Policy authoring (internal/authoring does the work; these handlers only translate HTTP).
// Authors of an academy read and edit its drafts, check, preview, publish and roll back;
// supervisors read. Another academy's policies answer 404 like its schools.

// Actions of policy authoring.
const (
	ActionPolicyRead     Action = "policy.read"
	ActionPolicyEdit     Action = "policy.edit"
	ActionPolicyTest     Action = "policy.test"
	ActionPolicyPreview  Action = "policy.preview"
	ActionPolicyPublish  Action = "policy.publish"
	ActionPolicyRollback Action = "policy.rollback"
)

const (
	policiesPath = academy + "/policies"
	draftPath    = policiesPath + "/drafts/:draft"
	versionPath  = policiesPath + "/versions/:version"
)

// policyRoutes are the routes of policy authoring, installed by the route table.
func (s *Server) policyRoutes() []route {
	return []route{
		{http.MethodGet, policiesPath, ActionPolicyRead, s.policyState, classNormal},
		{http.MethodGet, policiesPath + "/bundle.tar.gz", ActionPolicyRead, s.exportPolicyBundle, classNormal},
		{http.MethodGet, versionPath, ActionPolicyRead, s.getPolicyVersion, classNormal},
		{http.MethodPost, versionPath + "/preview", ActionPolicyPreview, s.previewRollback, classLong},
		{http.MethodPost, versionPath + "/rollback", ActionPolicyRollback, s.rollbackPolicy, classLong},
		{http.MethodGet, policiesPath + "/drafts", ActionPolicyRead, s.listPolicyDrafts, classNormal},
		{http.MethodPost, policiesPath + "/drafts", ActionPolicyEdit, s.createPolicyDraft, classNormal},
		{http.MethodPost, policiesPath + "/drafts/import", ActionPolicyEdit, s.importPolicyBundle, classUpload},
		{http.MethodGet, draftPath, ActionPolicyRead, s.getPolicyDraft, classNormal},
		{http.MethodPut, draftPath, ActionPolicyEdit, s.savePolicyDraft, classLong},
		{http.MethodDelete, draftPath, ActionPolicyEdit, s.deletePolicyDraft, classNormal},
		{http.MethodPost, draftPath + "/check", ActionPolicyTest, s.checkPolicyDraft, classLong},
		{http.MethodPost, draftPath + "/preview", ActionPolicyPreview, s.previewPolicyDraft, classLong},
		{http.MethodPost, draftPath + "/evaluate", ActionPolicyPreview, s.evaluatePolicyDraft, classLong},
		{http.MethodPost, draftPath + "/publish", ActionPolicyPublish, s.publishPolicyDraft, classLong},
	}
}

// errAuthoringMissing: the server was built without the authoring service.
var errAuthoringMissing = fmt.Errorf("no policy authoring configured: %w", apperr.ErrUnavailable)

func (s *Server) authoring() (*authoring.Service, error) {
	if s.deps.Policies == nil {
		return nil, errAuthoringMissing
	}
	return s.deps.Policies, nil
}

type draftJSON struct {
	ID                 int64             `json:"id"`
	Title              string            `json:"title"`
	Owner              string            `json:"owner"`
	BaseVersionID      int64             `json:"base_version_id"`
	Revision           int               `json:"revision"`
	CreatedAt          time.Time         `json:"created_at"`
	UpdatedAt          time.Time         `json:"updated_at"`
	PublishedVersionID int64             `json:"published_version_id"`
	LastCheck          json.RawMessage   `json:"last_check"`
	Files              map[string]string `json:"files,omitempty"`
	Overrides          map[string]any    `json:"overrides,omitempty"`
}

func toDraftJSON(d store.PolicyDraft) draftJSON {
	last := d.LastCheck
	if len(last) == 0 {
		last = json.RawMessage("null")
	}
	return draftJSON{ID: d.ID, Title: d.Title, Owner: d.Owner, BaseVersionID: d.BaseVersionID, Revision: d.Revision,
		CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt, PublishedVersionID: d.PublishedVersionID, LastCheck: last,
		Files: d.Content.Files, Overrides: d.Content.Overrides}
}

type versionJSON struct {
	ID        int64             `json:"id"`
	Number    int               `json:"number"`
	ParentID  int64             `json:"parent_id"`
	Author    string            `json:"author"`
	Message   string            `json:"message"`
	CreatedAt time.Time         `json:"created_at"`
	National  string            `json:"national"`
	Digest    string            `json:"digest"`
	Gates     json.RawMessage   `json:"gates"`
	Files     map[string]string `json:"files,omitempty"`
	Overrides map[string]any    `json:"overrides,omitempty"`
}

func toVersionJSON(v store.PolicyVersion) versionJSON {
	gates := v.Gates
	if len(gates) == 0 {
		gates = json.RawMessage("{}")
	}
	return versionJSON{ID: v.ID, Number: v.Number, ParentID: v.ParentID, Author: v.Author, Message: v.Message, CreatedAt: v.CreatedAt,
		National: v.National, Digest: v.Digest, Gates: gates, Files: v.Content.Files, Overrides: v.Content.Overrides}
}

type publicationJSON struct {
	ID          int64           `json:"id"`
	VersionID   int64           `json:"version_id"`
	Number      int             `json:"number"`
	Action      string          `json:"action"`
	PublishedAt time.Time       `json:"published_at"`
	PublishedBy string          `json:"published_by"`
	Message     string          `json:"message"`
	Summary     json.RawMessage `json:"summary"`
}

type policyStateJSON struct {
	National         string            `json:"national"`
	PublishedID      int64             `json:"published_id"`
	PublishedVersion string            `json:"published_version"`
	Versions         []versionJSON     `json:"versions"`
	Publications     []publicationJSON `json:"publications"`
	Drafts           []draftJSON       `json:"drafts"`
	Checks           int               `json:"checks"`
	Config           map[string]any    `json:"config"`
}

type draftCheckJSON struct {
	Draft draftJSON              `json:"draft"`
	Check *authoring.CheckReport `json:"check"`
}

type publishedJSON struct {
	Version versionJSON              `json:"version"`
	Check   *authoring.CheckReport   `json:"check"`
	Summary authoring.PreviewSummary `json:"summary"`
}

type publishRequest struct {
	Message string `json:"message"`
}

type previewRequest struct {
	// At evaluates at another instant (RFC 3339), e.g. after a check's start date; default now.
	At string `json:"at,omitempty"`
}

type checkRequest struct {
	// Coverage is always measured; the field is reserved for options of the check.
	Coverage bool `json:"coverage,omitempty"`
}

// decodeOptional reads a JSON body that may be empty.
func decodeOptional(c *echo.Context, v any) error {
	if c.Request().ContentLength == 0 {
		return nil
	}
	return decode(c, v)
}

func (s *Server) policyState(c *echo.Context) error {
	svc, err := s.authoring()
	if err != nil {
		return err
	}
	g := grantOf(c)
	st, err := svc.State(c.Request().Context(), g.scope, g.academy)
	if err != nil {
		return err
	}
	out := policyStateJSON{National: st.National, PublishedID: st.PublishedID, PublishedVersion: st.PublishedVersion,
		Versions: []versionJSON{}, Publications: []publicationJSON{}, Drafts: []draftJSON{}, Checks: len(st.Catalogue), Config: st.Config}
	for _, v := range st.Versions {
		out.Versions = append(out.Versions, toVersionJSON(v))
	}
	for _, p := range st.Publications {
		sum := p.Summary
		if len(sum) == 0 {
			sum = json.RawMessage("{}")
		}
		out.Publications = append(out.Publications, publicationJSON{ID: p.ID, VersionID: p.VersionID, Number: p.Number, Action: p.Action,
			PublishedAt: p.PublishedAt, PublishedBy: p.PublishedBy, Message: p.Message, Summary: sum})
	}
	for _, d := range st.Drafts {
		out.Drafts = append(out.Drafts, toDraftJSON(d))
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) listPolicyDrafts(c *echo.Context) error {
	g := grantOf(c)
	ds, err := s.deps.Store.ListPolicyDrafts(c.Request().Context(), g.scope, g.academy.ID)
	if err != nil {
		return err
	}
	items := make([]draftJSON, len(ds))
	for i, d := range ds {
		items[i] = toDraftJSON(d)
	}
	return c.JSON(http.StatusOK, itemsOf[draftJSON]{Items: items})
}

func (s *Server) createPolicyDraft(c *echo.Context) error {
	svc, err := s.authoring()
	if err != nil {
		return err
	}
	var in authoring.NewDraft
	if err := decodeOptional(c, &in); err != nil {
		return err
	}
	g := grantOf(c)
	d, err := svc.CreateDraft(c.Request().Context(), g.scope, g.academy, in, s.actor(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, toDraftJSON(d))
}

func (s *Server) getPolicyDraft(c *echo.Context) error {
	svc, err := s.authoring()
	if err != nil {
		return err
	}
	id, err := idParam(c, "draft")
	if err != nil {
		return err
	}
	g := grantOf(c)
	d, err := svc.Draft(c.Request().Context(), g.scope, g.academy, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toDraftJSON(d))
}

func (s *Server) savePolicyDraft(c *echo.Context) error {
	svc, err := s.authoring()
	if err != nil {
		return err
	}
	id, err := idParam(c, "draft")
	if err != nil {
		return err
	}
	var in authoring.DraftUpdate
	if err := decode(c, &in); err != nil {
		return err
	}
	g := grantOf(c)
	d, rep, err := svc.SaveDraft(c.Request().Context(), g.scope, g.academy, id, in, s.actor(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, draftCheckJSON{Draft: toDraftJSON(d), Check: rep})
}

func (s *Server) deletePolicyDraft(c *echo.Context) error {
	svc, err := s.authoring()
	if err != nil {
		return err
	}
	id, err := idParam(c, "draft")
	if err != nil {
		return err
	}
	g := grantOf(c)
	if err := svc.DeleteDraft(c.Request().Context(), g.scope, g.academy, id, s.actor(c)); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) checkPolicyDraft(c *echo.Context) error {
	svc, err := s.authoring()
	if err != nil {
		return err
	}
	id, err := idParam(c, "draft")
	if err != nil {
		return err
	}
	if err := decodeOptional(c, &checkRequest{}); err != nil {
		return err
	}
	g := grantOf(c)
	rep, err := svc.CheckDraft(c.Request().Context(), g.scope, g.academy, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, rep)
}

func previewInstant(c *echo.Context) (time.Time, error) {
	var in previewRequest
	if err := decodeOptional(c, &in); err != nil {
		return time.Time{}, err
	}
	if in.At == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, in.At)
	if err != nil {
		return time.Time{}, apperr.Invalid("at=%q: want an RFC 3339 time", in.At)
	}
	return t, nil
}

func (s *Server) previewPolicyDraft(c *echo.Context) error {
	svc, err := s.authoring()
	if err != nil {
		return err
	}
	id, err := idParam(c, "draft")
	if err != nil {
		return err
	}
	at, err := previewInstant(c)
	if err != nil {
		return err
	}
	g := grantOf(c)
	p, err := svc.PreviewDraft(c.Request().Context(), g.scope, g.academy, id, at)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, p)
}

func (s *Server) previewRollback(c *echo.Context) error {
	svc, err := s.authoring()
	if err != nil {
		return err
	}
	id, err := idParam(c, "version")
	if err != nil {
		return err
	}
	at, err := previewInstant(c)
	if err != nil {
		return err
	}
	g := grantOf(c)
	p, err := svc.PreviewRollback(c.Request().Context(), g.scope, g.academy, id, at)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, p)
}

func (s *Server) evaluatePolicyDraft(c *echo.Context) error {
	svc, err := s.authoring()
	if err != nil {
		return err
	}
	id, err := idParam(c, "draft")
	if err != nil {
		return err
	}
	var in authoring.PlaygroundRequest
	if err := decode(c, &in); err != nil {
		return err
	}
	g := grantOf(c)
	p, err := svc.Evaluate(c.Request().Context(), g.scope, g.academy, id, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, p)
}

func (s *Server) publishPolicyDraft(c *echo.Context) error {
	svc, err := s.authoring()
	if err != nil {
		return err
	}
	id, err := idParam(c, "draft")
	if err != nil {
		return err
	}
	var in publishRequest
	if err := decode(c, &in); err != nil {
		return err
	}
	g := grantOf(c)
	p, err := svc.Publish(c.Request().Context(), g.scope, g.academy, id, in.Message, s.actor(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, publishedJSON{Version: toVersionJSON(p.Version), Check: p.Check, Summary: p.Summary})
}

func (s *Server) getPolicyVersion(c *echo.Context) error {
	svc, err := s.authoring()
	if err != nil {
		return err
	}
	id, err := idParam(c, "version")
	if err != nil {
		return err
	}
	g := grantOf(c)
	v, err := svc.Version(c.Request().Context(), g.scope, g.academy, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toVersionJSON(v))
}

func (s *Server) rollbackPolicy(c *echo.Context) error {
	svc, err := s.authoring()
	if err != nil {
		return err
	}
	id, err := idParam(c, "version")
	if err != nil {
		return err
	}
	var in publishRequest
	if err := decodeOptional(c, &in); err != nil {
		return err
	}
	g := grantOf(c)
	p, err := svc.Rollback(c.Request().Context(), g.scope, g.academy, id, in.Message, s.actor(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, publishedJSON{Version: toVersionJSON(p.Version), Check: p.Check, Summary: p.Summary})
}

// exportPolicyBundle answers the set in force, a version (?version=ID) or a draft (?draft=ID)
// as an OPA bundle.
func (s *Server) exportPolicyBundle(c *echo.Context) error {
	svc, err := s.authoring()
	if err != nil {
		return err
	}
	var ref authoring.BundleRef
	for _, q := range []struct {
		name string
		dst  *int64
	}{{"version", &ref.VersionID}, {"draft", &ref.DraftID}} {
		if v := c.QueryParam(q.name); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n <= 0 {
				return apperr.Invalid("%s=%q: want a positive id", q.name, v)
			}
			*q.dst = n
		}
	}
	g := grantOf(c)
	var buf bytes.Buffer
	rev, err := svc.Export(c.Request().Context(), g.scope, g.academy, ref, &buf)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": rev + ".tar.gz"}))
	return c.Blob(http.StatusOK, "application/gzip", buf.Bytes())
}

// importPolicyBundle makes a draft from an uploaded bundle: a multipart "file" part, or the
// bundle itself as the body (application/gzip).
func (s *Server) importPolicyBundle(c *echo.Context) error {
	svc, err := s.authoring()
	if err != nil {
		return err
	}
	var r io.Reader = c.Request().Body
	if strings.HasPrefix(c.Request().Header.Get("Content-Type"), "multipart/") {
		fh, err := c.FormFile("file")
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				return err
			}
			return apperr.Invalid("a multipart \"file\" part with the bundle is expected")
		}
		f, err := fh.Open()
		if err != nil {
			return fmt.Errorf("open uploaded bundle: %w", err)
		}
		defer f.Close()
		r = f
	}
	g := grantOf(c)
	d, rep, err := svc.Import(c.Request().Context(), g.scope, g.academy, r, c.QueryParam("title"), s.actor(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, draftCheckJSON{Draft: toDraftJSON(d), Check: rep})
}
