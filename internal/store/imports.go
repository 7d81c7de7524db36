package store

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"gorm.io/gorm"

	"github.com/vigie-edu/vigie/internal/access"
	"github.com/vigie-edu/vigie/internal/apperr"
)

// Import outcomes.
const (
	ImportAccepted = "accepted"
	ImportRejected = "rejected"
)

// Import is the record of one imported (or refused) export file.
type Import struct {
	ID             int64
	AcademyID      int64
	UAI            string // empty for an academy-wide file (the AAF feed)
	Kind           string
	FileName       string
	Size           int64
	SHA256         string
	SchoolYear     int
	ExportedAt     time.Time
	ExportTimeFrom string
	ImportedAt     time.Time
	ImportedBy     string
	Outcome        string
	Error          string
	Warnings       []string
	Schools        int // schools the file had facts for
}

// Part is what a reader extracted from an import for one school, as JSON.
type Part struct {
	ImportID   int64
	UAI        string
	Kind       string
	SchoolYear int
	ExportedAt time.Time
	ImportedAt time.Time
	Version    int
	JSON       []byte
	FileName   string
	SHA256     string
	ExportFrom string
}

type importRow struct {
	ID             int64 `gorm:"primaryKey"`
	AcademyID      int64
	UAI            *string `gorm:"column:uai"`
	Kind           string
	FileName       string
	SizeBytes      int64
	SHA256         string `gorm:"column:sha256"`
	SchoolYear     *int
	ExportedAt     *time.Time
	ExportTimeFrom string
	ImportedAt     time.Time
	ImportedBy     string
	Outcome        string
	Error          string
	Warnings       string
	Schools        int
}

func (importRow) TableName() string { return "imports" }

func (r importRow) domain() Import {
	imp := Import{
		ID: r.ID, AcademyID: r.AcademyID, Kind: r.Kind, FileName: r.FileName, Size: r.SizeBytes,
		SHA256: r.SHA256, ExportTimeFrom: r.ExportTimeFrom, ImportedAt: r.ImportedAt.UTC(), ImportedBy: r.ImportedBy,
		Outcome: r.Outcome, Error: r.Error, Schools: r.Schools,
	}
	if r.UAI != nil {
		imp.UAI = *r.UAI
	}
	if r.SchoolYear != nil {
		imp.SchoolYear = *r.SchoolYear
	}
	if r.ExportedAt != nil {
		imp.ExportedAt = r.ExportedAt.UTC()
	}
	_ = json.Unmarshal([]byte(r.Warnings), &imp.Warnings)
	return imp
}

type importBlobRow struct {
	ImportID int64 `gorm:"primaryKey;autoIncrement:false"`
	Encoding string
	Content  []byte
}

func (importBlobRow) TableName() string { return "import_blobs" }

type importPartRow struct {
	ID          int64 `gorm:"primaryKey"`
	ImportID    int64
	AcademyID   int64
	UAI         string `gorm:"column:uai"`
	Kind        string
	SchoolYear  int
	ExportedAt  time.Time
	ImportedAt  time.Time
	PartVersion int
	Part        []byte
}

func (importPartRow) TableName() string { return "import_parts" }

// checkImportScope: a school file needs the school in scope; an academy-wide file needs every
// school of the academy.
func checkImportScope(scope access.Scope, academyID int64, uai string) error {
	if uai == "" && !scope.AllowsAllSchools(academyID) {
		return fmt.Errorf("academy-wide import: %w", apperr.ErrForbidden)
	}
	if uai != "" && !scope.AllowsSchool(academyID, uai) {
		return fmt.Errorf("import for school %s: %w", uai, apperr.ErrNotFound)
	}
	return nil
}

// Blob is the original content of an import, compressed: Encoding "gzip" (one file) or "zip"
// (several files, e.g. the chunks of a directory feed).
type Blob struct {
	Encoding string
	Data     []byte
}

// GzipBlob compresses r into a Blob.
func GzipBlob(r io.Reader) (Blob, error) {
	var buf bytes.Buffer
	w := gzipWriters.Get().(*gzip.Writer)
	defer gzipWriters.Put(w)
	w.Reset(&buf)
	if _, err := io.Copy(w, r); err != nil {
		return Blob{}, fmt.Errorf("compress original: %w", err)
	}
	if err := w.Close(); err != nil {
		return Blob{}, fmt.Errorf("compress original: %w", err)
	}
	return Blob{Encoding: "gzip", Data: buf.Bytes()}, nil
}

// SaveImport records an import in one transaction: the record, the original content (kept
// for accepted files), and the parts read from it. Saving an accepted file already accepted
// for the academy (same kind, SHA-256 and name: links files and feeds carry their export time
// in their names) changes nothing and returns the existing record with existed=true.
func (s *Store) SaveImport(ctx context.Context, scope access.Scope, imp Import, original Blob, parts []Part) (saved Import, existed bool, err error) {
	if err := checkImportScope(scope, imp.AcademyID, imp.UAI); err != nil {
		return Import{}, false, err
	}
	if imp.Outcome != ImportAccepted && imp.Outcome != ImportRejected {
		return Import{}, false, fmt.Errorf("save import %s: bad outcome %q", imp.FileName, imp.Outcome)
	}
	if imp.ImportedAt.IsZero() {
		imp.ImportedAt = s.now()
	}
	if imp.Outcome == ImportAccepted {
		prev, err := s.acceptedImport(ctx, imp.AcademyID, imp.Kind, imp.SHA256, imp.FileName)
		if err == nil {
			return prev, true, nil
		}
	}
	warnings, _ := json.Marshal(imp.Warnings)
	if imp.Warnings == nil {
		warnings = []byte("[]")
	}
	row := importRow{
		AcademyID: imp.AcademyID, Kind: imp.Kind, FileName: imp.FileName, SizeBytes: imp.Size, SHA256: imp.SHA256,
		ExportTimeFrom: imp.ExportTimeFrom, ImportedAt: imp.ImportedAt.UTC(), ImportedBy: imp.ImportedBy,
		Outcome: imp.Outcome, Error: imp.Error, Warnings: string(warnings), Schools: imp.Schools,
	}
	if imp.UAI != "" {
		row.UAI = &imp.UAI
	}
	if imp.SchoolYear != 0 {
		row.SchoolYear = &imp.SchoolYear
	}
	if !imp.ExportedAt.IsZero() {
		t := imp.ExportedAt.UTC()
		row.ExportedAt = &t
	}
	err = s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		if imp.Outcome == ImportAccepted && original.Data != nil {
			if err := tx.Create(&importBlobRow{ImportID: row.ID, Encoding: original.Encoding, Content: original.Data}).Error; err != nil {
				return fmt.Errorf("save original: %w", err)
			}
		}
		rows := make([]importPartRow, 0, len(parts))
		for _, p := range parts {
			rows = append(rows, importPartRow{
				ImportID: row.ID, AcademyID: imp.AcademyID, UAI: p.UAI, Kind: p.Kind, SchoolYear: p.SchoolYear,
				ExportedAt: p.ExportedAt.UTC(), ImportedAt: imp.ImportedAt.UTC(), PartVersion: p.Version, Part: compress(p.JSON),
			})
		}
		if len(rows) > 0 {
			if err := tx.CreateInBatches(rows, 200).Error; err != nil {
				return fmt.Errorf("save parts: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		if isUniqueViolation(err) {
			// A concurrent upload of the same file won the race.
			if prev, perr := s.acceptedImport(ctx, imp.AcademyID, imp.Kind, imp.SHA256, imp.FileName); perr == nil {
				return prev, true, nil
			}
		}
		return Import{}, false, fmt.Errorf("save import %s: %w", imp.FileName, err)
	}
	return row.domain(), false, nil
}

func (s *Store) acceptedImport(ctx context.Context, academyID int64, kind, sha, name string) (Import, error) {
	var r importRow
	err := s.db.WithContext(ctx).Where("academy_id = ? AND kind = ? AND sha256 = ? AND file_name = ? AND outcome = ?",
		academyID, kind, sha, name, ImportAccepted).Take(&r).Error
	if err != nil {
		return Import{}, notFound(err, "import %s", sha)
	}
	return r.domain(), nil
}

// scopeImports restricts a query on imports: school-limited scopes see their schools' files only.
func scopeImports(q *gorm.DB, scope access.Scope) *gorm.DB {
	if scope.IsSystem() {
		return q
	}
	id, ok := scope.AcademyID()
	if !ok {
		return q.Where("1 = 0")
	}
	q = q.Where("imports.academy_id = ?", id)
	if uais, limited := scope.UAIs(); limited {
		if len(uais) == 0 {
			return q.Where("1 = 0")
		}
		q = q.Where("imports.uai IN ?", uais)
	}
	return q
}

// ImportFilter selects imports.
type ImportFilter struct {
	UAI     string
	Kind    string
	Outcome string
	Limit   int
	Offset  int
}

// ListImports returns imports, newest first, and the total matching.
func (s *Store) ListImports(ctx context.Context, scope access.Scope, f ImportFilter) ([]Import, int64, error) {
	q := scopeImports(s.db.WithContext(ctx).Model(&importRow{}), scope)
	if f.UAI != "" {
		q = q.Where("uai = ?", f.UAI)
	}
	if f.Kind != "" {
		q = q.Where("kind = ?", f.Kind)
	}
	if f.Outcome != "" {
		q = q.Where("outcome = ?", f.Outcome)
	}
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("count imports: %w", err)
	}
	q = q.Order("imported_at DESC, id DESC")
	if f.Limit > 0 {
		q = q.Limit(f.Limit).Offset(f.Offset)
	}
	var rows []importRow
	if err := q.Find(&rows).Error; err != nil {
		return nil, 0, fmt.Errorf("list imports: %w", err)
	}
	out := make([]Import, len(rows))
	for i, r := range rows {
		out[i] = r.domain()
	}
	return out, total, nil
}

// ImportByID returns one import.
func (s *Store) ImportByID(ctx context.Context, scope access.Scope, id int64) (Import, error) {
	var r importRow
	if err := scopeImports(s.db.WithContext(ctx).Model(&importRow{}), scope).Where("id = ?", id).Take(&r).Error; err != nil {
		return Import{}, notFound(err, "import %d", id)
	}
	return r.domain(), nil
}

// ImportOriginal returns the original content of an accepted import: the file's bytes, or a
// zip of its files when it had several (zip is true).
func (s *Store) ImportOriginal(ctx context.Context, scope access.Scope, id int64) (data []byte, zip bool, err error) {
	if _, err := s.ImportByID(ctx, scope, id); err != nil {
		return nil, false, err
	}
	var b importBlobRow
	if err := s.db.WithContext(ctx).Where("import_id = ?", id).Take(&b).Error; err != nil {
		return nil, false, notFound(err, "original of import %d", id)
	}
	if b.Encoding == "zip" {
		return b.Content, true, nil
	}
	data, err = decompress(b.Content)
	return data, false, err
}

// partsQuery selects parts of one school joined with their import's file facts.
func (s *Store) partsQuery(ctx context.Context, scope access.Scope, uai string) (*gorm.DB, error) {
	if scope.IsSystem() {
		return s.db.WithContext(ctx).Table("import_parts p").Where("p.uai = ?", uai), nil
	}
	sc, err := s.SchoolByUAI(ctx, scope, uai)
	if err != nil {
		return nil, fmt.Errorf("facts of school %s: %w", uai, err)
	}
	return s.db.WithContext(ctx).Table("import_parts p").Where("p.academy_id = ? AND p.uai = ?", sc.AcademyID, uai), nil
}

type partJoinRow struct {
	ID             int64
	ImportID       int64
	UAI            string `gorm:"column:uai"`
	Kind           string
	SchoolYear     int
	ExportedAt     time.Time
	ImportedAt     time.Time
	PartVersion    int
	Part           []byte
	FileName       string
	SHA256         string `gorm:"column:sha256"`
	ExportTimeFrom string
}

func (r partJoinRow) domain() (Part, error) {
	b, err := decompress(r.Part)
	if err != nil {
		return Part{}, fmt.Errorf("part %d of import %d: %w", r.ID, r.ImportID, err)
	}
	return Part{
		ImportID: r.ImportID, UAI: r.UAI, Kind: r.Kind, SchoolYear: r.SchoolYear, ExportedAt: r.ExportedAt.UTC(),
		ImportedAt: r.ImportedAt.UTC(), Version: r.PartVersion, JSON: b, FileName: r.FileName, SHA256: r.SHA256,
		ExportFrom: r.ExportTimeFrom,
	}, nil
}

const partColumns = "p.*, i.file_name, i.sha256, i.export_time_from"

// LatestParts returns, for one school and school year, the latest part of each kind (latest
// export time; the latest import breaks ties), as of a time (zero: now).
func (s *Store) LatestParts(ctx context.Context, scope access.Scope, uai string, schoolYear int, asOf time.Time) ([]Part, error) {
	q, err := s.partsQuery(ctx, scope, uai)
	if err != nil {
		return nil, err
	}
	q = q.Select(partColumns).Joins("JOIN imports i ON i.id = p.import_id").Where("p.school_year = ?", schoolYear)
	if !asOf.IsZero() {
		q = q.Where("p.imported_at <= ?", asOf.UTC())
	}
	// The newest part of each kind: no other part of the same kind is newer.
	q = q.Where(`NOT EXISTS (SELECT 1 FROM import_parts n WHERE n.academy_id = p.academy_id AND n.uai = p.uai
		AND n.kind = p.kind AND n.school_year = p.school_year AND (n.exported_at > p.exported_at
		OR (n.exported_at = p.exported_at AND n.id > p.id))`+importedBefore(asOf)+`)`, importedBeforeArgs(asOf)...)
	var rows []partJoinRow
	if err := q.Order("p.kind").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("latest facts of %s: %w", uai, err)
	}
	out := make([]Part, 0, len(rows))
	for _, r := range rows {
		p, err := r.domain()
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

func importedBefore(asOf time.Time) string {
	if asOf.IsZero() {
		return ""
	}
	return " AND n.imported_at <= ?"
}

func importedBeforeArgs(asOf time.Time) []any {
	if asOf.IsZero() {
		return nil
	}
	return []any{asOf.UTC()}
}

// PartsHistory returns every part of one kind for a school and school year, oldest export first.
func (s *Store) PartsHistory(ctx context.Context, scope access.Scope, uai, kind string, schoolYear int) ([]Part, error) {
	q, err := s.partsQuery(ctx, scope, uai)
	if err != nil {
		return nil, err
	}
	var rows []partJoinRow
	err = q.Select(partColumns).Joins("JOIN imports i ON i.id = p.import_id").
		Where("p.kind = ? AND p.school_year = ?", kind, schoolYear).Order("p.exported_at, p.id").Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("history of %s facts of %s: %w", kind, uai, err)
	}
	out := make([]Part, 0, len(rows))
	for _, r := range rows {
		p, err := r.domain()
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}
