package ingest

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/vigie-edu/vigie/internal/apperr"
)

// entry is one XML document of an upload: the upload itself, or one entry of a zip.
type entry struct {
	upload  string    // the upload's name
	name    string    // the entry's name inside the zip; "" for a bare file
	modTime time.Time // the zip entry's modified time; zero when unknown
	size    int64     // the expected uncompressed size (a hint: headers are not trusted)
	bud     *budget   // the read's size budget
	openOn  func(*budget) (io.ReadCloser, error)
}

// open opens the entry on the read's budget.
func (e entry) open() (io.ReadCloser, error) { return e.openOn(e.bud) }

// reopen opens the entry on another budget (a peek that must not count).
func (e entry) reopen(b *budget) (io.ReadCloser, error) { return e.openOn(b) }

// label names the entry in messages: "a.zip (b.xml)" or "b.xml".
func (e entry) label() string {
	if e.name == "" {
		return e.upload
	}
	return e.upload + " (" + e.name + ")"
}

// xmlName is the XML file's own name: the zip entry's base name, or the upload's.
func (e entry) xmlName() string {
	if e.name == "" {
		return e.upload
	}
	return path.Base(e.name)
}

// budget counts uncompressed bytes across the entries of one read (a feed spans several).
type budget struct {
	used, max int64
	what      string // forSchoolFile or forFeed
}

// What a budget is for, as messages say it.
const (
	forSchoolFile = "un fichier d'établissement"
	forFeed       = "l'alimentation de l'annuaire fédérateur"
)

var (
	zipMagic      = []byte("PK\x03\x04")
	emptyZipMagic = []byte("PK\x05\x06")
)

// openUpload lists the XML documents of an upload. A zip may hold several; the caller decides
// whether that is allowed (only for a federating directory feed).
func openUpload(u Upload, lim Limits, bud *budget) ([]entry, []string, error) {
	if u.Size <= 0 || u.Content == nil {
		return nil, nil, apperr.Input(u.Name, 0, "", "fichier vide")
	}
	head := make([]byte, 4)
	n, err := u.Content.ReadAt(head, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, nil, fmt.Errorf("read %s: %w", u.Name, err)
	}
	head = head[:n]
	if bytes.Equal(head, zipMagic) || bytes.Equal(head, emptyZipMagic) {
		return openZip(u, lim, bud)
	}
	if u.Size > bud.max {
		return nil, nil, tooLarge(u.Name, bud)
	}
	e := entry{upload: u.Name, size: u.Size, bud: bud, openOn: func(bud *budget) (io.ReadCloser, error) {
		g := &guard{r: io.NopCloser(io.NewSectionReader(u.Content, 0, u.Size)), file: u.Name, bud: bud, lim: lim}
		return g, nil
	}}
	return []entry{e}, nil, nil
}

func tooLarge(file string, bud *budget) error {
	return &apperr.InputError{File: file, Msg: fmt.Sprintf(
		"le contenu décompressé dépasse la limite de %d Mio pour %s", bud.max>>20, bud.what), Err: apperr.ErrTooLarge}
}

// noise reports zip entries that archivers add beside the real file.
func noise(name string) bool {
	base := path.Base(name)
	return strings.HasPrefix(name, "__MACOSX/") || strings.Contains(name, "/__MACOSX/") ||
		strings.HasPrefix(base, "._") || base == ".DS_Store" || strings.EqualFold(base, "Thumbs.db") ||
		strings.HasSuffix(name, "/")
}

func openZip(u Upload, lim Limits, bud *budget) ([]entry, []string, error) {
	zr, err := zip.NewReader(u.Content, u.Size)
	// Names with ".." only matter when extracting to disk, which we never do.
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		return nil, nil, &apperr.InputError{File: u.Name, Msg: "archive zip illisible : déposez le fichier XML lui-même, ou recréez l'archive", Err: err}
	}
	return zipEntries(u, zr, u.Size, "", lim, bud)
}

// zipEntries lists the XML documents of a zip: the upload's (inner "") or, one level down,
// those of the zip named inner that the upload's zip holds instead of an XML file (an
// archive of the archive SIECLE gave), read into memory under the same limits.
func zipEntries(u Upload, zr *zip.Reader, zipSize int64, inner string, lim Limits, bud *budget) ([]entry, []string, error) {
	var xmls, others, zips []*zip.File
	for _, f := range zr.File {
		if f.FileInfo().IsDir() || noise(f.Name) {
			continue
		}
		switch ext := path.Ext(f.Name); {
		case strings.EqualFold(ext, ".xml"):
			xmls = append(xmls, f)
		case strings.EqualFold(ext, ".zip"):
			zips = append(zips, f)
			fallthrough
		default:
			others = append(others, f)
		}
	}
	if isOfficeDocument(append(fileNames(xmls), fileNames(others)...)) {
		return nil, nil, apperr.Input(u.Name, 0, "", "ce fichier est un document bureautique (tableur ou texte), pas un export : déposez le fichier XML ou l'archive zip qui le contient")
	}
	var warnings []string
	switch {
	case len(xmls) == 0 && len(zips) == 1:
		if inner != "" {
			return nil, nil, apperr.Input(u.Name, 0, "", "l'archive zip %s contient elle-même une archive zip (%s) : déposez le fichier XML, ou l'archive zip qui le contient directement", inner, zips[0].Name)
		}
		entries, ws, err := nestedZip(u, zips[0], lim, bud)
		if err != nil {
			return nil, nil, err
		}
		for _, f := range others {
			if f != zips[0] {
				ws = append(ws, fmt.Sprintf("le fichier %s de l'archive zip est ignoré : ce n'est pas un fichier XML", f.Name))
			}
		}
		return entries, ws, nil
	case len(xmls) == 0 && len(others) == 1:
		// A single file without the .xml extension: try it, the root element will tell.
		xmls = others
		warnings = append(warnings, fmt.Sprintf("le fichier %s de l'archive zip n'a pas l'extension .xml : lu comme du XML", others[0].Name))
	case len(xmls) == 0:
		names := fileNames(others)
		if len(names) == 0 {
			return nil, nil, apperr.Input(u.Name, 0, "", "l'archive zip est vide")
		}
		return nil, nil, apperr.Input(u.Name, 0, "", "l'archive zip ne contient aucun fichier XML (contenu : %s)", strings.Join(names, ", "))
	default:
		for _, f := range others {
			warnings = append(warnings, fmt.Sprintf("le fichier %s de l'archive zip est ignoré : ce n'est pas un fichier XML", f.Name))
		}
	}
	sort.Slice(xmls, func(i, j int) bool { return xmls[i].Name < xmls[j].Name })
	prefix := ""
	if inner != "" {
		prefix = inner + "/"
	}
	entries := make([]entry, 0, len(xmls))
	for _, f := range xmls {
		label := u.Name + " (" + prefix + f.Name + ")"
		entries = append(entries, entry{upload: u.Name, name: prefix + f.Name, modTime: zipTime(f), size: sizeHint(f, zipSize, lim), bud: bud, openOn: func(bud *budget) (io.ReadCloser, error) {
			return openZipEntry(label, f, lim, bud)
		}})
	}
	return entries, warnings, nil
}

// nestedZip reads the zip f that an upload's zip holds, on the read's budget and with the
// ratio and CRC checks of any entry (a nested zip bomb is caught when its own entries are
// read), and lists its XML documents.
func nestedZip(u Upload, f *zip.File, lim Limits, bud *budget) ([]entry, []string, error) {
	label := u.Name + " (" + f.Name + ")"
	rc, err := openZipEntry(label, f, lim, bud)
	if err != nil {
		return nil, nil, err
	}
	defer rc.Close()
	// Held in memory: at most a school file's size, whatever the read's budget.
	data, err := io.ReadAll(io.LimitReader(rc, lim.MaxFileSize+1))
	if err != nil {
		return nil, nil, err
	}
	if int64(len(data)) > lim.MaxFileSize {
		return nil, nil, apperr.Input(label, 0, "", "archive zip contenue dans l'archive zip trop grande (plus de %s) : déposez-la elle-même", sizeText(lim.MaxFileSize))
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		return nil, nil, &apperr.InputError{File: label, Msg: "archive zip illisible : déposez le fichier XML lui-même, ou recréez l'archive", Err: err}
	}
	entries, warnings, err := zipEntries(u, zr, int64(len(data)), f.Name, lim, bud)
	if err != nil {
		return nil, nil, err
	}
	return entries, append([]string{fmt.Sprintf("l'archive zip contient une autre archive zip (%s) : son contenu est lu", f.Name)}, warnings...), nil
}

// sizeText writes a size limit in Mio, or in Kio below one Mio.
func sizeText(n int64) string {
	if n < 1<<20 {
		return fmt.Sprintf("%d Kio", n>>10)
	}
	return fmt.Sprintf("%d Mio", n>>20)
}

// sizeHint is the size to reserve for an entry: its header's, but never more than a ratio the
// reader accepts allows, so that a lying header cannot make us reserve memory for nothing.
func sizeHint(f *zip.File, zipSize int64, lim Limits) int64 {
	return int64(min(f.UncompressedSize64, uint64(lim.MaxRatio*zipSize+lim.RatioGrace), uint64(lim.MaxFileSize)))
}

func fileNames(fs []*zip.File) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.Name
	}
	return out
}

func isOfficeDocument(names []string) bool {
	for _, n := range names {
		if n == "[Content_Types].xml" || n == "mimetype" {
			return true
		}
	}
	return false
}

// zipTime returns an entry's modified time. MS-DOS times carry no zone: archive/zip returns
// them as UTC wall clock, and French exports are written on Paris wall clock.
func zipTime(f *zip.File) time.Time {
	t := f.Modified
	if t.IsZero() || t.Year() < 1981 {
		return time.Time{}
	}
	if t.Location() == time.UTC {
		return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), 0, paris())
	}
	return t
}

// openZipEntry decompresses an entry itself from its raw bytes so that the size and the
// compression ratio are counted on the bytes actually read, never trusted from the headers.
func openZipEntry(label string, f *zip.File, lim Limits, bud *budget) (io.ReadCloser, error) {
	raw, err := f.OpenRaw()
	if err != nil {
		return nil, &apperr.InputError{File: label, Msg: "fichier abîmé dans l'archive zip", Err: err}
	}
	cr := &countingReader{r: raw}
	var rc io.ReadCloser
	switch f.Method {
	case zip.Store:
		rc = io.NopCloser(cr)
	case zip.Deflate:
		rc = flate.NewReader(cr)
	default:
		return nil, apperr.Input(label, 0, "", "méthode de compression zip %d non prise en charge : recréez l'archive avec la méthode standard (deflate)", f.Method)
	}
	return &guard{r: rc, file: label, bud: bud, lim: lim, compressed: cr, crc: crc32.NewIEEE(), wantCRC: f.CRC32, wantSize: f.UncompressedSize64, zipped: true}, nil
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// guard enforces the size budget and, for zip entries, the compression ratio and the CRC.
type guard struct {
	r          io.ReadCloser
	file       string
	bud        *budget
	lim        Limits
	n          int64
	compressed *countingReader
	crc        hash.Hash32
	wantCRC    uint32
	wantSize   uint64
	zipped     bool
	err        error
}

func (g *guard) Read(p []byte) (int, error) {
	if g.err != nil {
		return 0, g.err
	}
	n, err := g.r.Read(p)
	g.n += int64(n)
	g.bud.used += int64(n)
	if g.bud.used > g.bud.max {
		g.err = tooLarge(g.file, g.bud)
		return 0, g.err
	}
	if g.zipped {
		g.crc.Write(p[:n])
		if g.n > g.lim.RatioGrace && g.n > g.lim.MaxRatio*max(g.compressed.n, 1) {
			g.err = &apperr.InputError{File: g.file, Msg: fmt.Sprintf(
				"taux de compression supérieur à %d:1 (bombe zip ?) : fichier refusé", g.lim.MaxRatio), Err: apperr.ErrTooLarge}
			return 0, g.err
		}
		if errors.Is(err, io.EOF) {
			if uint64(g.n) != g.wantSize || (g.wantCRC != 0 && g.crc.Sum32() != g.wantCRC) {
				g.err = apperr.Input(g.file, 0, "", "fichier abîmé dans l'archive zip : la taille ou la somme de contrôle ne correspond pas")
				return n, g.err
			}
		}
	}
	if err != nil && !errors.Is(err, io.EOF) {
		if _, ok := errors.AsType[*apperr.InputError](err); !ok {
			err = &apperr.InputError{File: g.file, Msg: "contenu abîmé ou tronqué", Err: err}
		}
		g.err = err
	}
	return n, err
}

func (g *guard) Close() error { return g.r.Close() }
