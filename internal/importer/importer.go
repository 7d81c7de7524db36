// Package importer turns uploaded export files into stored imports and fresh fact snapshots:
// it reads each file with the ingest package, checks it belongs to the school and academy it
// was uploaded for, records it (accepted or rejected, with its original content) in the store
// in one transaction, and rebuilds the snapshot of every school it touched. The command line,
// the HTTP upload and the drop-folder job all call it.
package importer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"
	"time"

	"github.com/vigie-edu/vigie/internal/access"
	"github.com/vigie-edu/vigie/internal/apperr"
	"github.com/vigie-edu/vigie/internal/campaign"
	"github.com/vigie-edu/vigie/internal/fact"
	"github.com/vigie-edu/vigie/internal/ingest"
	"github.com/vigie-edu/vigie/internal/store"
)

// PartVersion is the version of the reader output stored with each part; bump it when a reader
// change makes stored parts worth re-reading from the originals.
const PartVersion = 1

// Importer imports export files. It is safe for concurrent use.
type Importer struct {
	st      *store.Store
	log     *slog.Logger
	limits  ingest.Limits
	now     func() time.Time
	observe func(Observation)
}

// Option configures an Importer.
type Option func(*Importer)

// Observation is one file's outcome as the metrics see it.
type Observation struct {
	Kind    string // fact.Source; empty when the file was not recognised
	Outcome string // accepted, duplicate, rejected (bad input, recorded) or failed (Vigie's error)
	Bytes   int64
}

// Outcomes of an Observation.
const (
	ObservedAccepted  = "accepted"
	ObservedDuplicate = "duplicate"
	ObservedRejected  = "rejected"
	ObservedFailed    = "failed"
)

// WithObserver has fn see every file of every request once it is imported or refused, and
// every request that failed on Vigie's side (the place for metrics).
func WithObserver(fn func(Observation)) Option { return func(im *Importer) { im.observe = fn } }

// New returns an Importer. now may be nil (time.Now).
func New(st *store.Store, log *slog.Logger, limits ingest.Limits, now func() time.Time, opts ...Option) *Importer {
	if now == nil {
		now = time.Now
	}
	im := &Importer{st: st, log: log, limits: limits, now: now}
	for _, o := range opts {
		o(im)
	}
	return im
}

// Request is one upload of one or several files.
type Request struct {
	Academy campaign.Academy
	// UAI is the school the files are uploaded for; empty for an academy-wide upload, where each
	// file's own UAI decides (and must be a school of the academy).
	UAI string
	// SchoolYear is the campaign's school year; 0 means the one in progress. Files of another
	// school year are refused.
	SchoolYear int
	By         string // who uploaded: a user's login, or "dropfolder"
	Files      []ingest.Upload
	// HoldIncompleteFeed has a directory feed that is not a complete extraction (see
	// ingest.Feed.CheckComplete) held instead of refused: nothing is recorded and its outcome
	// says Held, for a caller whose files may still be arriving (the drop folder).
	HoldIncompleteFeed bool
}

// FileOutcome says what happened to one file.
type FileOutcome struct {
	File      string
	Import    store.Import // the record, accepted or rejected
	Duplicate bool         // the same file was already imported: nothing changed
	Err       error        // why it was refused (nil when accepted), or held
	Held      bool         // an incomplete feed held at the caller's request: nothing recorded
	Feed      int          // a directory feed's files, imported together as this one outcome; 0 for a file
}

// Count is how many uploaded files the outcome stands for.
func (f FileOutcome) Count() int { return max(f.Feed, 1) }

// Result is what an upload did.
type Result struct {
	Files     []FileOutcome
	Snapshots []store.Snapshot // rebuilt snapshots, one per school touched, by UAI
}

// Rejected counts the refused files.
func (r Result) Rejected() int {
	n := 0
	for _, f := range r.Files {
		if f.Err != nil && !f.Held {
			n++
		}
	}
	return n
}

// Import reads, checks and stores the files of a request, then rebuilds the snapshots of the
// schools they touched. A bad file is refused (recorded with its error) without affecting the
// others or anything stored before. The returned error is for failures of Vigie itself
// (database) or an out-of-scope school, not for bad files.
func (im *Importer) Import(ctx context.Context, scope access.Scope, req Request) (Result, error) {
	res, err := im.importFiles(ctx, scope, req)
	if im.observe != nil {
		for _, f := range res.Files {
			if f.Held {
				continue // seen again when it is complete, or refused
			}
			o := Observation{Kind: f.Import.Kind, Outcome: ObservedAccepted, Bytes: f.Import.Size}
			switch {
			case f.Err != nil:
				o.Outcome = ObservedRejected
			case f.Duplicate:
				o.Outcome = ObservedDuplicate
			}
			im.observe(o)
		}
		if err != nil {
			var size int64
			for _, u := range req.Files[min(len(res.Files), len(req.Files)):] {
				size += u.Size
			}
			im.observe(Observation{Outcome: ObservedFailed, Bytes: size})
		}
	}
	return res, err
}

func (im *Importer) importFiles(ctx context.Context, scope access.Scope, req Request) (Result, error) {
	var res Result
	year := req.SchoolYear
	if year == 0 {
		year = campaign.SchoolYearOf(im.now())
	}
	if req.UAI != "" {
		sc, err := im.st.SchoolByUAI(ctx, scope, req.UAI)
		if err != nil {
			return res, fmt.Errorf("import for %s: %w", req.UAI, err)
		}
		if sc.AcademyID != req.Academy.ID {
			return res, fmt.Errorf("import for %s: %w", req.UAI, apperr.ErrNotFound)
		}
	}
	touched := map[string]bool{}
	var feed []ingest.Upload
	for _, u := range req.Files {
		kind, err := ingest.Detect(u, im.limits)
		if err != nil {
			out, serr := im.reject(ctx, scope, req, u, "", err)
			if serr != nil {
				return res, serr
			}
			res.Files = append(res.Files, out)
			continue
		}
		if kind == fact.SourceENT {
			feed = append(feed, u)
			continue
		}
		out, uai, err := im.importSchoolFile(ctx, scope, req, year, u, kind)
		if err != nil {
			return res, err
		}
		res.Files = append(res.Files, out)
		if out.Err == nil && !out.Duplicate {
			touched[uai] = true
		}
	}
	if len(feed) > 0 {
		out, uais, err := im.importFeed(ctx, scope, req, feed)
		if err != nil {
			return res, err
		}
		out.Feed = len(feed)
		res.Files = append(res.Files, out)
		for _, u := range uais {
			touched[u] = true
		}
	}
	uais := make([]string, 0, len(touched))
	for u := range touched {
		uais = append(uais, u)
	}
	sort.Strings(uais)
	for _, uai := range uais {
		sn, err := im.Rebuild(ctx, scope, req.Academy, uai, year)
		if err != nil {
			return res, err
		}
		res.Snapshots = append(res.Snapshots, sn)
	}
	return res, nil
}

func (im *Importer) importSchoolFile(ctx context.Context, scope access.Scope, req Request, year int, u ingest.Upload, kind fact.Source) (FileOutcome, string, error) {
	opt := ingest.Options{UAI: req.UAI, SchoolYear: year, Limits: im.limits}
	if kind == fact.SourceNomenclature {
		opt.SchoolYear = 0 // a nomenclature serves the school whatever its year field says
	}
	part, err := ingest.Read(u, opt)
	if err != nil {
		out, serr := im.reject(ctx, scope, req, u, kind, err)
		return out, "", serr
	}
	meta := part.Meta()
	uai := meta.UAI
	if uai == "" {
		uai = req.UAI
	}
	if uai == "" {
		out, serr := im.reject(ctx, scope, req, u, kind, apperr.Input(u.Name, 0, "", "le fichier n'indique aucun établissement (UAI) : déposez-le depuis la page de l'établissement"))
		return out, "", serr
	}
	sc, err := im.st.SchoolByUAI(ctx, scope, uai)
	if err != nil || sc.AcademyID != req.Academy.ID {
		if err != nil && !errors.Is(err, apperr.ErrNotFound) {
			return FileOutcome{}, "", err
		}
		out, serr := im.reject(ctx, scope, req, u, kind, apperr.Input(u.Name, 0, "", "l'établissement %s n'est pas un établissement de l'académie %s pour lequel vous pouvez déposer des fichiers", uai, req.Academy.Code))
		return out, "", serr
	}
	body, err := partJSON(part)
	if err != nil {
		return FileOutcome{}, "", err
	}
	blob, err := store.GzipBlob(io.NewSectionReader(u.Content, 0, u.Size))
	if err != nil {
		return FileOutcome{}, "", err
	}
	partYear := meta.SchoolYear
	if partYear == 0 {
		partYear = year
	}
	rec := store.Import{
		AcademyID: req.Academy.ID, UAI: uai, Kind: string(kind), FileName: u.Name, Size: u.Size, SHA256: meta.SHA256,
		SchoolYear: partYear, ExportedAt: meta.ExportedAt, ExportTimeFrom: meta.ExportTimeFrom, ImportedAt: u.ReceivedAt,
		ImportedBy: req.By, Outcome: store.ImportAccepted, Warnings: meta.Warnings, Schools: 1,
	}
	if rec.SHA256 == "" {
		if rec.SHA256, err = hashUpload(u); err != nil {
			return FileOutcome{}, "", err
		}
	}
	saved, existed, err := im.st.SaveImport(ctx, scope, rec, blob, []store.Part{{
		UAI: uai, Kind: string(kind), SchoolYear: partYear, ExportedAt: meta.ExportedAt, Version: PartVersion, JSON: body,
	}})
	if err != nil {
		return FileOutcome{}, "", err
	}
	im.log.Info("file imported", "file", u.Name, "kind", kind, "uai", uai, "duplicate", existed, "by", req.By)
	return FileOutcome{File: u.Name, Import: saved, Duplicate: existed}, uai, nil
}

// importFeed imports the federating directory feed files of a request as one import, with one
// part per school of the academy: the schools the feed does not mention get a part saying so.
func (im *Importer) importFeed(ctx context.Context, scope access.Scope, req Request, files []ingest.Upload) (FileOutcome, []string, error) {
	names := make([]string, len(files))
	for i, f := range files {
		names[i] = f.Name
	}
	label := strings.Join(names, ", ")
	if !scope.AllowsAllSchools(req.Academy.ID) {
		return FileOutcome{}, nil, fmt.Errorf("import the directory feed of academy %s: %w", req.Academy.Code, apperr.ErrForbidden)
	}
	feed, err := ingest.ReadFeed(files, ingest.Options{Limits: im.limits})
	if err != nil {
		out, serr := im.reject(ctx, scope, req, ingest.Upload{Name: label, ReceivedAt: files[0].ReceivedAt}, fact.SourceENT, err)
		return out, nil, serr
	}
	// A partial feed (a category missing, a Delta alone) would replace, for every school of the
	// academy, the last good part with one saying the school has no structure, no pupils or no
	// teachers: it is refused before anything is written.
	if err := feed.CheckComplete(); err != nil {
		if req.HoldIncompleteFeed {
			im.log.Info("incomplete directory feed held", "files", len(files), "by", req.By, "err", err)
			return FileOutcome{File: label, Err: err, Held: true}, nil, nil
		}
		out, serr := im.reject(ctx, scope, req, ingest.Upload{Name: label, ReceivedAt: files[0].ReceivedAt}, fact.SourceENT, err)
		return out, nil, serr
	}
	schools, _, err := im.st.ListSchools(ctx, scope, store.SchoolFilter{})
	if err != nil {
		return FileOutcome{}, nil, err
	}
	sha, size, err := hashUploads(files)
	if err != nil {
		return FileOutcome{}, nil, err
	}
	blob, err := zipBlob(files)
	if err != nil {
		return FileOutcome{}, nil, err
	}
	received := files[0].ReceivedAt
	meta := ingest.Meta{Source: fact.SourceENT, File: label, ExportedAt: feed.ExtractedAt, ExportTimeFrom: feed.ExportTimeFrom,
		ReceivedAt: received, SHA256: sha}
	year := req.SchoolYear
	if year == 0 {
		year = campaign.SchoolYearOf(im.now())
	}
	var parts []store.Part
	var uais []string
	for _, sc := range schools {
		if sc.AcademyID != req.Academy.ID {
			continue
		}
		p := feed.Schools[sc.UAI]
		if p == nil {
			p = &ingest.ENTPart{StructureFound: false}
		}
		p.Meta = meta
		p.Meta.UAI = sc.UAI
		body, err := json.Marshal(p)
		if err != nil {
			return FileOutcome{}, nil, fmt.Errorf("encode feed facts of %s: %w", sc.UAI, err)
		}
		parts = append(parts, store.Part{UAI: sc.UAI, Kind: string(fact.SourceENT), SchoolYear: year, ExportedAt: feed.ExtractedAt,
			Version: PartVersion, JSON: body})
		uais = append(uais, sc.UAI)
	}
	warnings := feed.Warnings
	if unknown := len(feed.Schools) - countKnown(feed.Schools, uais); unknown > 0 {
		warnings = append(warnings, fmt.Sprintf("structures de l'annuaire qui ne sont pas des établissements de l'académie %s, ignorées : %d", req.Academy.Code, unknown))
	}
	rec := store.Import{
		AcademyID: req.Academy.ID, Kind: string(fact.SourceENT), FileName: label, Size: size, SHA256: sha,
		ExportedAt: feed.ExtractedAt, ExportTimeFrom: feed.ExportTimeFrom, ImportedAt: received, ImportedBy: req.By,
		Outcome: store.ImportAccepted, Warnings: warnings, Schools: len(parts),
	}
	saved, existed, err := im.st.SaveImport(ctx, scope, rec, blob, parts)
	if err != nil {
		return FileOutcome{}, nil, err
	}
	im.log.Info("directory feed imported", "files", len(files), "schools", len(parts), "duplicate", existed, "by", req.By)
	if existed {
		uais = nil
	}
	return FileOutcome{File: label, Import: saved, Duplicate: existed}, uais, nil
}

func countKnown(m map[string]*ingest.ENTPart, uais []string) int {
	n := 0
	for _, u := range uais {
		if _, ok := m[u]; ok {
			n++
		}
	}
	return n
}

// reject records a refused file and returns its outcome.
func (im *Importer) reject(ctx context.Context, scope access.Scope, req Request, u ingest.Upload, kind fact.Source, cause error) (FileOutcome, error) {
	var ie *apperr.InputError
	if !errors.As(cause, &ie) && !errors.Is(cause, apperr.ErrInvalid) && !errors.Is(cause, apperr.ErrTooLarge) {
		return FileOutcome{}, fmt.Errorf("read %s: %w", u.Name, cause)
	}
	sha := ""
	if u.Content != nil {
		sha, _ = hashUpload(u)
	}
	uai := req.UAI
	if uai == "" && !scope.AllowsAllSchools(req.Academy.ID) {
		// A school admin's academy-wide upload is recorded against one of their schools.
		if uais, ok := scope.UAIs(); ok && len(uais) > 0 {
			uai = uais[0]
		}
	}
	rec := store.Import{
		AcademyID: req.Academy.ID, UAI: uai, Kind: string(kind), FileName: u.Name, Size: u.Size, SHA256: sha,
		ImportedAt: u.ReceivedAt, ImportedBy: req.By, Outcome: store.ImportRejected, Error: cause.Error(),
	}
	saved, _, err := im.st.SaveImport(ctx, scope, rec, store.Blob{}, nil)
	if err != nil {
		return FileOutcome{}, err
	}
	// The outcome goes back to the caller, who tells the user: log it only for debugging.
	im.log.Debug("file refused", "file", u.Name, "by", req.By, "err", cause)
	return FileOutcome{File: u.Name, Import: saved, Err: cause}, nil
}

// partJSON encodes the one reader output of a part.
func partJSON(p *ingest.Part) ([]byte, error) {
	var v any
	switch {
	case p.STS != nil:
		v = p.STS
	case p.SIECLE != nil:
		v = p.SIECLE
	case p.Structures != nil:
		v = p.Structures
	case p.Nomenclature != nil:
		v = p.Nomenclature
	case p.Links != nil:
		v = p.Links
	case p.ENT != nil:
		v = p.ENT
	default:
		return nil, errors.New("encode part: empty part")
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode part: %w", err)
	}
	return b, nil
}

func hashUpload(u ingest.Upload) (string, error) {
	h := sha256.New()
	if _, err := io.Copy(h, io.NewSectionReader(u.Content, 0, u.Size)); err != nil {
		return "", fmt.Errorf("hash %s: %w", u.Name, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// hashUploads hashes several files independently of their order.
func hashUploads(us []ingest.Upload) (string, int64, error) {
	sums := make([]string, len(us))
	var size int64
	for i, u := range us {
		s, err := hashUpload(u)
		if err != nil {
			return "", 0, err
		}
		sums[i] = s
		size += u.Size
	}
	if len(us) == 1 {
		return sums[0], size, nil
	}
	sort.Strings(sums)
	h := sha256.Sum256([]byte(strings.Join(sums, "\n")))
	return hex.EncodeToString(h[:]), size, nil
}
