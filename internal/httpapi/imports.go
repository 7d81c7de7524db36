package httpapi

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v5"

	"github.com/vigie-edu/vigie/internal/apperr"
	"github.com/vigie-edu/vigie/internal/fact"
	"github.com/vigie-edu/vigie/internal/importer"
	"github.com/vigie-edu/vigie/internal/ingest"
	"github.com/vigie-edu/vigie/internal/store"
)

type importJSON struct {
	ID         int64      `json:"id"`
	UAI        string     `json:"uai,omitempty"` // empty for an academy-wide file
	Kind       string     `json:"kind"`
	FileName   string     `json:"file_name"`
	Size       int64      `json:"size"`
	SHA256     string     `json:"sha256"`
	SchoolYear int        `json:"school_year,omitempty"`
	ExportedAt *time.Time `json:"exported_at"`
	ImportedAt time.Time  `json:"imported_at"`
	ImportedBy string     `json:"imported_by"`
	KindLabel  string     `json:"kind_label"` // French, for people: « STS-Web (sts_emp) »
	Outcome    string     `json:"outcome"`    // accepted or rejected
	Error      string     `json:"error,omitempty"`
	Warnings   []string   `json:"warnings"`
	Schools    int        `json:"schools"`
}

func toImportJSON(i store.Import) importJSON {
	w := i.Warnings
	if w == nil {
		w = []string{}
	}
	return importJSON{ID: i.ID, UAI: i.UAI, Kind: i.Kind, FileName: i.FileName, Size: i.Size, SHA256: i.SHA256,
		KindLabel: fact.Source(i.Kind).Label(), SchoolYear: i.SchoolYear, ExportedAt: timeOrNil(i.ExportedAt), ImportedAt: i.ImportedAt, ImportedBy: i.ImportedBy,
		Outcome: i.Outcome, Error: i.Error, Warnings: w, Schools: i.Schools}
}

type fileOutcomeJSON struct {
	File      string     `json:"file"`
	Import    importJSON `json:"import"`
	Duplicate bool       `json:"duplicate"`
	Error     string     `json:"error,omitempty"`
}

type uploadJSON struct {
	Files     []fileOutcomeJSON `json:"files"`
	Accepted  int               `json:"accepted"`
	Rejected  int               `json:"rejected"`
	Snapshots int               `json:"snapshots"` // schools whose facts were rebuilt
}

// maxUploadFiles caps the files of one upload (an academy feed comes in a few dozen chunks).
const maxUploadFiles = 200

// receiveFiles streams the file parts of a multipart body to temporary files under the data
// directory, never holding a whole file in memory. The caller removes them with cleanup.
func (s *Server) receiveFiles(c *echo.Context) (files []ingest.Upload, cleanup func(), err error) {
	var paths []*os.File
	cleanup = func() {
		for _, f := range paths {
			_ = f.Close()
			_ = os.Remove(f.Name())
		}
	}
	defer func() {
		if err != nil {
			cleanup()
		}
	}()
	mt, _, _ := mime.ParseMediaType(c.Request().Header.Get("Content-Type"))
	if mt != "multipart/form-data" {
		return nil, cleanup, apperr.Input("", 0, "", "un dépôt est un formulaire multipart/form-data avec un ou plusieurs fichiers (champ « file »)")
	}
	mr, err := c.Request().MultipartReader()
	if err != nil {
		return nil, cleanup, apperr.Input("", 0, "", "formulaire de dépôt illisible : %v", err)
	}
	dir := filepath.Join(s.opts.DataDir, "uploads")
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, cleanup, fmt.Errorf("upload directory: %w", err)
	}
	now := s.now().UTC()
	pending, _ := c.Get(keyCSRFInBody).(string) // the session whose token the body must carry
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				return nil, cleanup, err
			}
			return nil, cleanup, apperr.Input("", 0, "", "formulaire de dépôt illisible : %v", err)
		}
		if pending != "" {
			// The pages' upload form: its first part is the CSRF token, checked before any
			// file is received.
			tok, _ := io.ReadAll(io.LimitReader(part, 256))
			_ = part.Close()
			if part.FormName() != "csrf_token" || !equalCSRF(string(tok), pending) {
				return nil, cleanup, fmt.Errorf("%w: missing or wrong csrf_token field", errCSRF)
			}
			pending = ""
			continue
		}
		if part.FormName() != "file" || part.FileName() == "" {
			_ = part.Close()
			continue
		}
		if len(files) == maxUploadFiles {
			return nil, cleanup, apperr.Input("", 0, "", "plus de %d fichiers dans un même dépôt : déposez-les en plusieurs fois", maxUploadFiles)
		}
		f, err := os.CreateTemp(dir, "upload-*")
		if err != nil {
			return nil, cleanup, fmt.Errorf("receive upload: %w", err)
		}
		paths = append(paths, f)
		n, err := io.Copy(f, part)
		_ = part.Close()
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				return nil, cleanup, err
			}
			return nil, cleanup, fmt.Errorf("receive upload: %w", err)
		}
		name := filepath.Base(strings.ReplaceAll(part.FileName(), "\\", "/"))
		files = append(files, ingest.Upload{Name: name, Content: f, Size: n, ReceivedAt: now})
	}
	if pending != "" {
		return nil, cleanup, fmt.Errorf("%w: no csrf_token field", errCSRF)
	}
	if len(files) == 0 {
		return nil, cleanup, errNoFile
	}
	return files, cleanup, nil
}

// errNoFile is an upload without any file (the form sent with no file chosen).
var errNoFile = apperr.Input("", 0, "", "aucun fichier reçu : choisissez un ou plusieurs fichiers d'export (.xml ou .zip)")

func (s *Server) upload(c *echo.Context, uai string, action Action) error {
	out, err := s.importUpload(c, uai, action)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

// importUpload receives the files of a request, imports them and audits each new import:
// what both the API and the school page's upload form do.
func (s *Server) importUpload(c *echo.Context, uai string, action Action) (uploadJSON, error) {
	g := grantOf(c)
	files, cleanup, err := s.receiveFiles(c)
	if err != nil {
		return uploadJSON{}, err
	}
	defer cleanup()
	ctx := c.Request().Context()
	res, err := s.deps.Importer.Import(ctx, g.scope, importer.Request{Academy: g.academy, UAI: uai,
		By: principalOf(c).user.Login, Files: files})
	if err != nil {
		return uploadJSON{}, err
	}
	out := uploadJSON{Files: []fileOutcomeJSON{}, Snapshots: len(res.Snapshots)}
	for _, f := range res.Files {
		fo := fileOutcomeJSON{File: f.File, Import: toImportJSON(f.Import), Duplicate: f.Duplicate}
		if f.Err != nil {
			fo.Error = f.Err.Error()
			out.Rejected++
		} else {
			out.Accepted++
		}
		out.Files = append(out.Files, fo)
		if f.Duplicate {
			continue
		}
		err := s.deps.Store.RecordAudit(ctx, g.scope, s.actor(c), store.Change{AcademyID: g.academy.ID, UAI: f.Import.UAI,
			Action: string(action), TargetType: "import", TargetID: strconv.FormatInt(f.Import.ID, 10), After: fo.Import})
		if err != nil {
			return uploadJSON{}, err
		}
	}
	return out, nil
}

// uploadSchool imports files for the school of the path.
func (s *Server) uploadSchool(c *echo.Context) error {
	g := grantOf(c)
	if _, err := s.schoolInScope(c.Request().Context(), g); err != nil {
		return err
	}
	return s.upload(c, g.uai, ActionSchoolUpload)
}

// uploadAcademy imports academy-wide files: the federating directory feed, or school files
// that name their school.
func (s *Server) uploadAcademy(c *echo.Context) error { return s.upload(c, "", ActionImportFeed) }

func (s *Server) listImports(c *echo.Context) error {
	g := grantOf(c)
	p, err := pageParams(c)
	if err != nil {
		return err
	}
	f := store.ImportFilter{Kind: c.QueryParam("kind"), Outcome: c.QueryParam("outcome"), Limit: p.limit(), Offset: p.offset()}
	if f.UAI, err = uaiParam(c, "uai"); err != nil {
		return err
	}
	imps, total, err := s.deps.Store.ListImports(c.Request().Context(), g.scope, f)
	if err != nil {
		return err
	}
	items := make([]importJSON, len(imps))
	for i, im := range imps {
		items[i] = toImportJSON(im)
	}
	return c.JSON(http.StatusOK, newList(items, total, p))
}

func (s *Server) getImport(c *echo.Context) error {
	g := grantOf(c)
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	im, err := s.deps.Store.ImportByID(c.Request().Context(), g.scope, id)
	if err != nil {
		return err
	}
	if im.AcademyID != g.academy.ID {
		return fmt.Errorf("import %d: %w", id, apperr.ErrNotFound)
	}
	return c.JSON(http.StatusOK, toImportJSON(im))
}
