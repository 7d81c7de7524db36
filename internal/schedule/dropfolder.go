package schedule

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/vigie-edu/vigie/internal/access"
	"github.com/vigie-edu/vigie/internal/campaign"
	"github.com/vigie-edu/vigie/internal/importer"
	"github.com/vigie-edu/vigie/internal/ingest"
	"github.com/vigie-edu/vigie/internal/store"
)

// DropFolder ingests the files that land in each academy's drop folder, e.g. by SFTP:
//
//	<root>/<academy code>/            the academy's feed and schools' exports (the UAI is read from each file)
//	<root>/<academy code>/<UAI>/      a school's exports (files that do not name their school)
//	<root>/<academy code>/<other>/    more files read like the top level (e.g. aaf/ for the feed)
//
// Each file read is moved to done/<date>/ when accepted (or already imported), or to
// failed/<date>/ with a <name>.reason.txt saying why it was refused; a file is never deleted.
// Files still being written (modified less than Settle ago), hidden files and temporary names
// (.part, .tmp, .filepart, ~) wait for the next run. While a file of the directory feed is
// still arriving, the feed's other files of its batch wait too, and a feed that is not a
// complete extraction (a category or a chunk not there yet) is left in place, unrecorded, until
// nothing of its batch has changed for IncompleteFeedWait: it is then refused like any file.
// When Vigie itself fails (the database), files stay where they are for the next attempt.
type DropFolder struct {
	root   string
	st     *store.Store
	im     *importer.Importer
	log    *slog.Logger
	now    func() time.Time
	settle time.Duration
}

// NewDropFolder returns the drop-folder ingestion; settle zero means one minute.
func NewDropFolder(root string, st *store.Store, im *importer.Importer, log *slog.Logger, now func() time.Time, settle time.Duration) *DropFolder {
	if settle <= 0 {
		settle = time.Minute
	}
	if now == nil {
		now = time.Now
	}
	return &DropFolder{root: root, st: st, im: im, log: log, now: now, settle: settle}
}

// IncompleteFeedWait is how long an incomplete directory feed is left in the drop folder for
// its missing files (a feed is several files, sent one by one over SFTP) before it is refused.
const IncompleteFeedWait = 6 * time.Hour

// feedNameRE recognises the file name of a directory feed chunk (ENT2D_Complet_20261005_Eleve_0001.xml).
var feedNameRE = regexp.MustCompile(`(?i)_(EtabEducNat|Eleve|PersEducNat|PersRelEleve|MatiereEducNat|MefEducNat)_[0-9]{4}|(^|_)(Complet|Delta)_[0-9]{8}`)

// Subfolders of an academy's drop folder where processed files go.
const (
	DoneDir   = "done"
	FailedDir = "failed"
)

// Run ingests every academy's drop folder.
func (d *DropFolder) Run(ctx context.Context, _ time.Time) (map[string]int, error) {
	counts := map[string]int{"academies": 0, "files": 0, "accepted": 0, "duplicates": 0, "rejected": 0, "schools": 0, "waiting": 0}
	academies, err := d.st.ListAcademies(ctx, access.System())
	if err != nil {
		return counts, err
	}
	var errs []error
	for _, a := range academies {
		dir := filepath.Join(d.root, a.Code)
		if err := os.MkdirAll(dir, 0o750); err != nil {
			errs = append(errs, fmt.Errorf("drop folder of %s: %w", a.Code, err))
			continue
		}
		counts["academies"]++
		if err := d.academy(ctx, a, dir, counts); err != nil {
			errs = append(errs, fmt.Errorf("drop folder of %s: %w", a.Code, err))
		}
	}
	return counts, errors.Join(errs...)
}

// batch is the files of one import request.
type batch struct {
	uai    string
	files  []string  // absolute paths
	newest time.Time // the latest modification of its files
}

func (d *DropFolder) academy(ctx context.Context, a campaign.Academy, dir string, counts map[string]int) error {
	batches, waiting, err := d.scan(dir)
	if err != nil {
		return err
	}
	counts["waiting"] += waiting
	rebuilt := map[string]bool{}
	defer func() { counts["schools"] += len(rebuilt) }()
	for _, b := range batches {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := d.ingest(ctx, a, dir, b, counts, rebuilt); err != nil {
			return err
		}
	}
	return nil
}

// scan lists the files ready to import, in batches: one per school folder, one for the rest.
func (d *DropFolder) scan(dir string) ([]batch, int, error) {
	now := d.now()
	byUAI := map[string][]string{}
	newest := map[string]time.Time{}
	feedArriving := map[string]bool{} // batches with a feed file still being written
	waiting := 0
	add := func(uai, path string, info fs.FileInfo) {
		if !info.Mode().IsRegular() {
			return
		}
		recent := now.Sub(info.ModTime()) < d.settle
		if recent && feedNameRE.MatchString(info.Name()) {
			feedArriving[uai] = true // under its final name or a temporary one
		}
		if skipName(info.Name()) {
			return
		}
		if recent {
			waiting++ // still being written
			return
		}
		byUAI[uai] = append(byUAI[uai], path)
		if info.ModTime().After(newest[uai]) {
			newest[uai] = info.ModTime()
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, 0, fmt.Errorf("read %s: %w", dir, err)
	}
	for _, e := range entries {
		path := filepath.Join(dir, e.Name())
		if !e.IsDir() {
			if info, err := e.Info(); err == nil {
				add("", path, info)
			}
			continue
		}
		if e.Name() == DoneDir || e.Name() == FailedDir || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		uai := ""
		if u, err := campaign.ParseUAI(e.Name()); err == nil {
			uai = u
		}
		sub, err := os.ReadDir(path)
		if err != nil {
			return nil, 0, fmt.Errorf("read %s: %w", path, err)
		}
		for _, f := range sub {
			if f.IsDir() {
				continue // one level only
			}
			if info, err := f.Info(); err == nil {
				add(uai, filepath.Join(path, f.Name()), info)
			}
		}
	}
	keys := make([]string, 0, len(byUAI))
	for k := range byUAI {
		keys = append(keys, k)
	}
	sort.Strings(keys) // the academy-wide batch ("") first: the feed before the schools
	out := make([]batch, 0, len(keys))
	for _, k := range keys {
		files := byUAI[k]
		if feedArriving[k] {
			// The feed is read as a whole: its files already there wait for the one arriving.
			kept := files[:0]
			for _, f := range files {
				if feedNameRE.MatchString(filepath.Base(f)) {
					waiting++
				} else {
					kept = append(kept, f)
				}
			}
			if files = kept; len(files) == 0 {
				continue
			}
		}
		sort.Strings(files)
		out = append(out, batch{uai: k, files: files, newest: newest[k]})
	}
	return out, waiting, nil
}

func skipName(name string) bool {
	if strings.HasPrefix(name, ".") || strings.HasSuffix(name, "~") || strings.HasSuffix(name, ".reason.txt") {
		return true
	}
	switch strings.ToLower(filepath.Ext(name)) {
	case ".part", ".tmp", ".filepart", ".crdownload":
		return true
	}
	return false
}

func (d *DropFolder) ingest(ctx context.Context, a campaign.Academy, dir string, b batch, counts map[string]int, rebuilt map[string]bool) error {
	var uploads []ingest.Upload
	var opened []*os.File
	defer func() {
		for _, f := range opened {
			f.Close()
		}
	}()
	received := d.now()
	for _, path := range b.files {
		f, err := os.Open(path)
		if err != nil {
			return fmt.Errorf("open %s: %w", path, err)
		}
		opened = append(opened, f)
		info, err := f.Stat()
		if err != nil {
			return fmt.Errorf("stat %s: %w", path, err)
		}
		uploads = append(uploads, ingest.Upload{Name: filepath.Base(path), Content: f, Size: info.Size(), ReceivedAt: received, ModTime: info.ModTime()})
	}
	// An incomplete feed may be one whose other files are on their way: it waits, unless nothing
	// of its batch has changed for long.
	hold := received.Sub(b.newest) < IncompleteFeedWait
	res, err := d.im.Import(ctx, access.Academy(a.ID), importer.Request{Academy: a, UAI: b.uai, By: "dropfolder", Files: uploads,
		HoldIncompleteFeed: hold})
	if err != nil {
		// Vigie failed, not the files: they stay for the next attempt.
		return fmt.Errorf("import %d file(s): %w", len(b.files), err)
	}
	for _, f := range opened {
		f.Close()
	}
	opened = nil
	outcome := map[string]importer.FileOutcome{}
	for _, o := range res.Files {
		for _, name := range strings.Split(o.File, ", ") { // the feed's files share one outcome
			outcome[name] = o
		}
	}
	for _, sn := range res.Snapshots {
		rebuilt[sn.UAI] = true
	}
	day := received.In(parisOr(time.UTC)).Format(time.DateOnly)
	for _, o := range res.Files {
		if o.Held {
			d.log.Info("drop folder directory feed incomplete, left in place", "academy", a.Code, "files", o.File, "err", o.Err)
		}
	}
	for _, path := range b.files {
		name := filepath.Base(path)
		rel, _ := filepath.Rel(dir, path)
		o, ok := outcome[name]
		if !ok {
			d.log.Warn("drop folder file without an outcome, left in place", "academy", a.Code, "file", rel)
			continue
		}
		if o.Held {
			counts["waiting"]++
			continue
		}
		counts["files"]++
		if o.Err == nil {
			if o.Duplicate {
				counts["duplicates"]++
			} else {
				counts["accepted"]++
			}
			if _, err := d.move(path, filepath.Join(dir, DoneDir, day, rel)); err != nil {
				return err
			}
			continue
		}
		counts["rejected"]++
		target, err := d.move(path, filepath.Join(dir, FailedDir, day, rel))
		if err != nil {
			return err
		}
		reason := fmt.Sprintf("Fichier refusé par Vigie le %s.\nFichier : %s\nMotif : %s\n",
			received.In(parisOr(time.UTC)).Format("02/01/2006 à 15 h 04"), rel, o.Err)
		if err := os.WriteFile(target+".reason.txt", []byte(reason), 0o640); err != nil {
			return fmt.Errorf("write the reason for %s: %w", rel, err)
		}
		d.log.Info("drop folder file refused", "academy", a.Code, "file", rel, "err", o.Err)
	}
	return nil
}

// move renames a file into place, never over another one: a name already taken gets a suffix.
func (d *DropFolder) move(from, to string) (string, error) {
	if err := os.MkdirAll(filepath.Dir(to), 0o750); err != nil {
		return "", fmt.Errorf("move %s: %w", from, err)
	}
	target := to
	for i := 1; ; i++ {
		if _, err := os.Lstat(target); errors.Is(err, fs.ErrNotExist) {
			break
		}
		ext := filepath.Ext(to)
		target = fmt.Sprintf("%s.%d%s", strings.TrimSuffix(to, ext), i, ext)
	}
	if err := os.Rename(from, target); err != nil {
		return "", fmt.Errorf("move %s: %w", from, err)
	}
	return target, nil
}

func parisOr(def *time.Location) *time.Location {
	if l, err := time.LoadLocation("Europe/Paris"); err == nil {
		return l
	}
	return def
}
