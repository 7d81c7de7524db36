package ingest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/vigie-edu/vigie/internal/apperr"
	"github.com/vigie-edu/vigie/internal/fact"
)

// Detect opens an upload and tells which source it is from its root element (never from its
// name). An unreadable file or one that is none of the exports gives an *apperr.InputError
// saying what it looks like.
func Detect(u Upload, lim Limits) (fact.Source, error) {
	lim = lim.withDefaults()
	entries, _, err := openUpload(u, lim, &budget{max: lim.MaxFeedSize, what: forFeed})
	if err != nil {
		return "", err
	}
	if len(entries) > 1 && !allFeed(entries, lim) {
		return "", severalEntries(u, entries)
	}
	root, err := peekRoot(entries[0], lim)
	if err != nil {
		return "", err
	}
	return sourceOf(entries[0].label(), root)
}

// peekRoot reads an entry up to its root element, on a budget of its own.
func peekRoot(e entry, lim Limits) (string, error) {
	rc, err := e.reopen(&budget{max: lim.MaxFeedSize, what: forFeed})
	if err != nil {
		return "", err
	}
	defer rc.Close()
	return newDoc(e.label(), rc, lim).start()
}

// Read reads one school file: a bare XML or a zip holding exactly one XML, of any source but
// the federating directory feed, which covers a whole academy (see ReadFeed; Read accepts a
// feed file only when Options.UAI names the school to keep). The export time falls back, in
// order, to the zip entry's time, the file's modification time and the upload time; Meta says
// which was used.
func Read(u Upload, opt Options) (*Part, error) {
	lim := opt.Limits.withDefaults()
	opt.Limits = lim
	entries, warnings, err := openUpload(u, lim, &budget{max: lim.MaxFileSize, what: forSchoolFile})
	if err != nil {
		return nil, err
	}
	if len(entries) > 1 {
		if allFeed(entries, lim) {
			return readFeedPart(u, opt)
		}
		return nil, severalEntries(u, entries)
	}
	e := entries[0]
	// A feed file is streamed (it may be huge); a school file is read whole and scanned.
	if root, err := peekRoot(e, lim); err == nil && rootSources[root] == fact.SourceENT {
		if err := expectRoot(e.label(), root, opt.Source); err != nil {
			return nil, err
		}
		return readFeedPart(u, opt)
	}
	rc, err := e.open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	d := newFastDocSized(e.label(), rc, lim, e.size)
	defer d.release()
	root, err := d.start()
	if err != nil {
		return nil, err
	}
	if err := expectRoot(e.label(), root, opt.Source); err != nil {
		return nil, err
	}
	var part Part
	switch rootSources[root] {
	case fact.SourceSTS:
		part.STS, err = readSTS(d, opt)
	case fact.SourceSIECLE:
		part.SIECLE, err = readSIECLE(d, opt)
	case fact.SourceStructures:
		part.Structures, err = readStructures(d, opt)
	case fact.SourceNomenclature:
		part.Nomenclature, err = readNomenclature(d, opt)
	case fact.SourceLinks:
		part.Links, err = readLinks(d, []string{e.xmlName(), u.Name}, opt)
	}
	if err != nil {
		return nil, err
	}
	m := part.Meta()
	m.File, m.Entry, m.ReceivedAt = u.Name, e.name, u.ReceivedAt
	if g, ok := rc.(*guard); ok {
		m.Size = g.n
	}
	m.Warnings = append(warnings, m.Warnings...)
	if m.ExportTimeFrom == "" {
		m.ExportedAt, m.ExportTimeFrom = fallbackTime(u, e.modTime)
		m.Warnings = append(m.Warnings, undatedWarning(m.ExportTimeFrom, m.ExportedAt))
	}
	if w, ok := futureWarning(m.ExportTimeFrom, m.ExportedAt, u.ReceivedAt); ok {
		m.Warnings = append(m.Warnings, w)
	}
	if m.SHA256, err = digest(u); err != nil {
		return nil, err
	}
	return &part, nil
}

func severalEntries(u Upload, entries []entry) error {
	names := make([]string, len(entries))
	for i, e := range entries {
		names[i] = e.name
	}
	return apperr.Input(u.Name, 0, "", "l'archive zip contient plusieurs fichiers XML (%s) : déposez un seul fichier par archive zip", strings.Join(names, ", "))
}

func allFeed(entries []entry, lim Limits) bool {
	for _, e := range entries {
		root, err := peekRoot(e, lim)
		if err != nil || root != "ficAlimMENESR" {
			return false
		}
	}
	return true
}

// readFeedPart reads a feed upload and keeps the expected school.
func readFeedPart(u Upload, opt Options) (*Part, error) {
	if opt.UAI == "" {
		return nil, apperr.Input(u.Name, 0, "", "c'est %s, qui couvre toute l'académie : importez-le au niveau de l'académie", sourceNames[fact.SourceENT])
	}
	feed, err := ReadFeed([]Upload{u}, opt)
	if err != nil {
		return nil, err
	}
	if err := feed.CheckComplete(); err != nil {
		return nil, err
	}
	return &Part{ENT: feed.Schools[normUAI(opt.UAI)]}, nil
}

// fallbackTime is the export time of a file that does not carry one.
// Times are given on Paris wall clock, like those read from the files.
func fallbackTime(u Upload, entryTime time.Time) (time.Time, string) {
	switch {
	case !entryTime.IsZero():
		return entryTime.In(paris()), fact.TimeFromZipEntry
	case !u.ModTime.IsZero():
		return u.ModTime.In(paris()), fact.TimeFromMtime
	}
	return u.ReceivedAt.In(paris()), fact.TimeFromUpload
}

// fallbackTimeLabels names, in French, where fallbackTime took a time from.
var fallbackTimeLabels = map[string]string{
	fact.TimeFromZipEntry: "date du fichier dans l'archive zip",
	fact.TimeFromMtime:    "date de modification du fichier",
	fact.TimeFromUpload:   "date de dépôt",
}

// undatedWarning is the import warning of a file whose export time is not written in it (an
// STS-Web sts_emp never carries one). Freshness is then measured from a later time than the
// export's, so an old export can pass as recent: the user must be told.
func undatedWarning(from string, at time.Time) string {
	return fmt.Sprintf("date d'export absente du fichier : %s retenue (%s) ; la fraîcheur de cet export ne peut pas être garantie",
		fallbackTimeLabels[from], at.In(paris()).Format("02/01/2006 à 15 h 04"))
}

// futureSlack is how much later than its import an export time may be before it is told:
// clocks drift by a few minutes.
const futureSlack = 10 * time.Minute

// exportTimeLabels names, in French, where an export time was read.
var exportTimeLabels = map[string]string{
	fact.TimeFromContent:  "lue dans le fichier",
	fact.TimeFromFileName: "lue dans le nom du fichier",
	fact.TimeFromZipEntry: "date du fichier dans l'archive zip",
	fact.TimeFromMtime:    "date de modification du fichier",
}

// futureWarning is the import warning of an export time later than the import: the clock of
// the machine that exported it is wrong, or this is not the file it seems. The file is read
// all the same (refusing it would not make the clock right); ok is false when the time is fine.
func futureWarning(from string, at, received time.Time) (string, bool) {
	if received.IsZero() || !at.After(received.Add(futureSlack)) || exportTimeLabels[from] == "" {
		return "", false
	}
	return fmt.Sprintf("date d'export postérieure à la date de dépôt (%s) : %s, %s ; l'horloge de l'ordinateur qui a produit l'export est peut-être déréglée, ou ce n'est pas le bon fichier",
		received.In(paris()).Format("02/01/2006 à 15 h 04"), at.In(paris()).Format("02/01/2006 à 15 h 04"), exportTimeLabels[from]), true
}

// digest is the SHA-256 of an upload's bytes as received.
func digest(uploads ...Upload) (string, error) {
	h := sha256.New()
	for _, u := range uploads {
		if _, err := io.Copy(h, io.NewSectionReader(u.Content, 0, u.Size)); err != nil {
			return "", fmt.Errorf("hash %s: %w", u.Name, err)
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// ReadFeed reads a federating directory feed: its chunk files, bare or zipped (a zip may hold
// several), in any order, and splits what they say per school. Options.UAI keeps one school;
// Options.SchoolYear does not apply (the feed does not carry one).
func ReadFeed(uploads []Upload, opt Options) (*Feed, error) {
	lim := opt.Limits.withDefaults()
	opt.Limits = lim
	uploads = append([]Upload(nil), uploads...)
	sort.Slice(uploads, func(i, j int) bool { return uploads[i].Name < uploads[j].Name })
	bud := &budget{max: lim.MaxFeedSize, what: forFeed}
	fr := NewFeedReader(opt)
	var warnings []string
	var latestEntry, received time.Time
	for _, u := range uploads {
		entries, ws, err := openUpload(u, lim, bud)
		if err != nil {
			return nil, err
		}
		warnings = append(warnings, ws...)
		if u.ReceivedAt.After(received) {
			received = u.ReceivedAt
		}
		for _, e := range entries {
			if e.modTime.After(latestEntry) {
				latestEntry = e.modTime
			}
			if err := readFeedEntry(fr, e); err != nil {
				return nil, err
			}
		}
	}
	feed := fr.Finish()
	feed.Warnings = append(warnings, feed.Warnings...)
	if feed.ExportTimeFrom == "" && len(uploads) > 0 {
		u := uploads[0]
		u.ReceivedAt = received
		feed.ExtractedAt, feed.ExportTimeFrom = fallbackTime(u, latestEntry)
		feed.Warnings = append(feed.Warnings, undatedWarning(feed.ExportTimeFrom, feed.ExtractedAt))
	}
	if w, ok := futureWarning(feed.ExportTimeFrom, feed.ExtractedAt, received); ok {
		feed.Warnings = append(feed.Warnings, w)
	}
	sum, err := digest(uploads...)
	if err != nil {
		return nil, err
	}
	file := ""
	if len(uploads) > 0 {
		file = uploads[0].Name
		if len(uploads) > 1 {
			file = fmt.Sprintf("%s (+%d fichier", file, len(uploads)-1)
			if len(uploads) > 2 {
				file += "s"
			}
			file += ")"
		}
	}
	for _, p := range feed.Schools {
		p.Meta.File, p.Meta.ReceivedAt, p.Meta.SHA256, p.Meta.Size = file, received, sum, bud.used
		p.Meta.ExportedAt, p.Meta.ExportTimeFrom = feed.ExtractedAt, feed.ExportTimeFrom
		// The feed carries no school year: record the campaign's, when the caller says it.
		p.Meta.SchoolYear = opt.SchoolYear
		p.Meta.Warnings = append(p.Meta.Warnings, feed.Warnings...)
	}
	return feed, nil
}

func readFeedEntry(fr *FeedReader, e entry) error {
	rc, err := e.open()
	if err != nil {
		return err
	}
	defer rc.Close()
	return fr.Add(e.label(), rc)
}
