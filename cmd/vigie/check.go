package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/vigie-edu/vigie/internal/apperr"
	"github.com/vigie-edu/vigie/internal/campaign"
	"github.com/vigie-edu/vigie/internal/fact"
	"github.com/vigie-edu/vigie/internal/ingest"
	"github.com/vigie-edu/vigie/internal/policy"
	"github.com/vigie-edu/vigie/internal/readiness"
	"github.com/vigie-edu/vigie/policies"
)

// cmdCheck evaluates one school's export files without server or database and prints its
// report. Exit status: 0 ready, 1 at risk or not ready, 2 bad input or usage.
func cmdCheck(ctx context.Context, e env) error {
	fs := flags("check", e, "log-level", "log-format")
	uai := fs.String("uai", "", "the school (default: the UAI the files name)")
	year := fs.Int("year", 0, "school year, e.g. 2026 for 2026-2027 (default: the files' year)")
	nowFlag := fs.String("now", "", "evaluation instant, RFC 3339 (default: now)")
	format := fs.String("format", "text", "text (French report) or json")
	dir := fs.String("policies", "", "directory of Rego policies (default: the national set embedded in vigie)")
	kind := fs.String("kind", "", "college, lycee, lp or other (default: from the STS-Web school name, else the pupils' MEFs)")
	academy := fs.String("academy", "", "academy code, for academy-specific settings")
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, "Usage: vigie check [--uai UAI] [--year YYYY] [--now RFC3339] [--format text|json] [--policies DIR] FILE...")
		fs.PrintDefaults()
	}
	if _, err := parse(fs, e, e.args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usagef("no file: give the school's export files (sts_emp, ElevesSansAdresses, Structures, links zip, AAF feed)")
	}
	if *format != "text" && *format != "json" {
		return usagef("--format %q: want text or json", *format)
	}
	now := time.Now()
	if *nowFlag != "" {
		t, err := time.Parse(time.RFC3339, *nowFlag)
		if err != nil {
			return usagef("--now %q: want an RFC 3339 time such as 2026-10-05T09:30:00+02:00", *nowFlag)
		}
		now = t
	}
	if *uai != "" {
		u, err := campaign.ParseUAI(*uai)
		if err != nil {
			return usagef("--uai: %v", err)
		}
		*uai = u
	}

	in, name, warnings, err := readSchoolFiles(fs.Args(), *uai, *year, now)
	if err != nil {
		return err
	}
	// What the readers noticed (undeclared encoding, estimated export date, a file kept only
	// as last year's history...) goes to stderr, so that --format json stays parseable.
	writeWarnings(e.stderr, warnings)
	snap, err := ingest.Build(in)
	if err != nil {
		return err
	}
	files, err := loadPolicies(*dir)
	if err != nil {
		return err
	}
	var opts []policy.Option
	if *academy != "" {
		opts = append(opts, policy.WithAcademy(*academy))
	}
	set, err := policy.Compile(ctx, files, opts...)
	if err != nil {
		return usagef("policies: %v", err)
	}
	eng, err := readiness.NewEngine(set)
	if err != nil {
		return err
	}
	school := campaign.School{UAI: snap.UAI, Name: name, Kind: campaign.Kind(*kind)}
	if school.Kind == "" {
		school.Kind = kindFromName(name)
	}
	if school.Kind == campaign.KindOther && in.SIECLE != nil {
		school.Kind = kindFromMEFs(in.SIECLE.Pupils)
	}
	rep, err := eng.EvaluateSnapshot(ctx, readiness.Request{School: school, Academy: *academy, SchoolYear: snap.SchoolYear}, snap, now)
	if err != nil {
		return err
	}
	if *format == "json" {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else if err := readiness.WriteText(e.stdout, rep, campaign.Paris); err != nil {
		return err
	}
	if rep.Status != readiness.StatusReady {
		return exitError{exitFailure}
	}
	return nil
}

func loadPolicies(dir string) ([]policy.File, error) {
	if dir == "" {
		return policy.LoadFS(policies.FS, policies.ReadinessDir)
	}
	files, err := policy.LoadFS(os.DirFS(dir), ".")
	if err != nil {
		return nil, usagef("--policies %s: %v", dir, err)
	}
	if len(files) == 0 {
		return nil, usagef("--policies %s: no .rego file", dir)
	}
	return files, nil
}

// readSchoolFiles reads a school's files into what Build joins: the latest file of each kind
// is current; earlier STS-Web exports of the year give the history of groups, an export of
// the previous year gives last year's groups. It returns the school's name from STS-Web and
// the readers' warnings, each prefixed with its file's name.
func readSchoolFiles(paths []string, uai string, year int, now time.Time) (ingest.BuildInput, string, []string, error) {
	var warnings []string
	in, name, err := readFiles(paths, uai, year, now, &warnings)
	return in, name, warnings, err
}

// maxWarnings bounds what `vigie check` prints of the readers' warnings.
const maxWarnings = 20

func writeWarnings(w io.Writer, warnings []string) {
	if len(warnings) == 0 {
		return
	}
	fmt.Fprintln(w, "Avertissements sur les fichiers :")
	for i, s := range warnings {
		if i == maxWarnings {
			fmt.Fprintf(w, "  … et %d autres\n", len(warnings)-maxWarnings)
			break
		}
		fmt.Fprintf(w, "  - %s\n", s)
	}
	fmt.Fprintln(w)
}

// readFiles does the work of readSchoolFiles, appending the warnings of the parts it keeps.
func readFiles(paths []string, uai string, year int, now time.Time, warnings *[]string) (ingest.BuildInput, string, error) {
	in := ingest.BuildInput{UAI: uai, SchoolYear: year, AsOf: now}
	var feed []ingest.Upload
	type read struct {
		part *ingest.Part
		meta *ingest.Meta
	}
	var parts []read
	for _, path := range paths {
		f, err := os.Open(path)
		if err != nil {
			return in, "", usagef("%s : %s", path, frenchFileError(err))
		}
		defer f.Close()
		fi, err := f.Stat()
		if err != nil {
			return in, "", usagef("%s : %s", path, frenchFileError(err))
		}
		u := ingest.Upload{Name: filepath.Base(path), Content: f, Size: fi.Size(), ReceivedAt: now, ModTime: fi.ModTime()}
		src, err := ingest.Detect(u, ingest.DefaultLimits())
		if err != nil {
			return in, "", err
		}
		if src == fact.SourceENT {
			feed = append(feed, u)
			continue
		}
		p, err := ingest.Read(u, ingest.Options{UAI: in.UAI})
		if err != nil {
			return in, "", err
		}
		m := p.Meta()
		if in.UAI == "" {
			in.UAI = m.UAI
		}
		parts = append(parts, read{p, m})
		for _, w := range m.Warnings {
			*warnings = append(*warnings, m.File+" : "+w)
		}
	}
	if in.UAI == "" {
		return in, "", apperr.Input(strings.Join(paths, ", "), 0, "", "aucun fichier n'indique l'établissement : précisez-le avec --uai")
	}
	if in.SchoolYear == 0 {
		// The latest school year any file names: last year's STS-Web export, given for history,
		// is older.
		for _, r := range parts {
			if r.meta.Source != fact.SourceNomenclature && r.meta.SchoolYear > in.SchoolYear {
				in.SchoolYear = r.meta.SchoolYear
			}
		}
		if in.SchoolYear == 0 {
			in.SchoolYear = campaign.SchoolYearOf(now)
		}
	}
	// Newest export first, so that the first of each kind is current.
	sort.SliceStable(parts, func(i, j int) bool { return parts[i].meta.ExportedAt.After(parts[j].meta.ExportedAt) })
	var stsHistory []*ingest.STSPart
	lastYear := "" // the file of last year's STS-Web export, when one is given
	name := ""
	for _, r := range parts {
		m := r.meta
		if m.SchoolYear != 0 && m.SchoolYear != in.SchoolYear && m.Source != fact.SourceNomenclature {
			if m.Source == fact.SourceSTS && m.SchoolYear == in.SchoolYear-1 {
				if !in.History.PreviousYearKnown {
					in.History.PreviousYearKnown = true
					in.History.PreviousYearGroups = ingest.GroupCodes(r.part.STS)
					lastYear = m.File
				}
				continue
			}
			return in, "", apperr.Input(m.File, 0, "", "ce fichier concerne l'année scolaire %d-%d, pas %d-%d : retirez-le, ou précisez l'année avec --year", m.SchoolYear, m.SchoolYear+1, in.SchoolYear, in.SchoolYear+1)
		}
		switch {
		case r.part.STS != nil:
			if in.STS == nil {
				in.STS = r.part.STS
				name = r.part.STS.SchoolName
			} else {
				stsHistory = append(stsHistory, r.part.STS)
			}
		case r.part.SIECLE != nil && in.SIECLE == nil:
			in.SIECLE = r.part.SIECLE
		case r.part.Structures != nil && in.Structures == nil:
			in.Structures = r.part.Structures
		case r.part.Nomenclature != nil && in.Nomenclature == nil:
			in.Nomenclature = r.part.Nomenclature
		case r.part.Links != nil && in.Links == nil:
			in.Links = r.part.Links
		}
	}
	if in.STS == nil && lastYear != "" {
		*warnings = append(*warnings, fmt.Sprintf("%s : export STS-Web de l'année scolaire %d-%d, pas %d-%d : il sert seulement à repérer les groupes reconduits ; ajoutez l'export STS-Web de l'année en cours (sts_emp_<UAI>_%d.xml)",
			lastYear, in.SchoolYear-1, in.SchoolYear, in.SchoolYear, in.SchoolYear+1, in.SchoolYear))
	}
	if in.STS != nil {
		in.History.STSGroupsChangedAt = ingest.STSGroupsChangedAt(in.STS, stsHistory)
	}
	if len(feed) > 0 {
		f, err := ingest.ReadFeed(feed, ingest.Options{UAI: in.UAI})
		if err != nil {
			return in, "", err
		}
		// A partial feed would fail the ENT checks of a school that may be fine: refused, like
		// at import (leave the feed out to check the other sources).
		if err := f.CheckComplete(); err != nil {
			return in, "", err
		}
		for _, w := range f.Warnings {
			*warnings = append(*warnings, feed[0].Name+" : "+w)
		}
		ent := f.Schools[in.UAI]
		if ent == nil {
			ent = &ingest.ENTPart{}
		}
		ent.Meta = ingest.Meta{Source: fact.SourceENT, File: feed[0].Name, UAI: in.UAI, ExportedAt: f.ExtractedAt,
			ExportTimeFrom: f.ExportTimeFrom, ReceivedAt: now}
		in.ENT = ent
	}
	return in, name, nil
}

// kindFromName guesses the kind of school from STS-Web's DENOM_PRINC ("COLLEGE", "LYCEE
// PROFESSIONNEL", "LYCEE GENERAL ET TECHNOLOGIQUE"...).
func kindFromName(name string) campaign.Kind {
	n := strings.ToUpper(name)
	switch {
	case strings.Contains(n, "PROFESSIONNEL"):
		return campaign.KindLP
	case strings.Contains(n, "LYCEE") || strings.Contains(n, "LYCÉE"):
		return campaign.KindLycee
	case strings.Contains(n, "COLLEGE") || strings.Contains(n, "COLLÈGE"):
		return campaign.KindCollege
	}
	return campaign.KindOther
}

// kindFromMEFs guesses the kind of school from its pupils' MEF codes when STS-Web did not name
// it: the first three digits are the "dispositif" (100-103 collège, 200-229 voie générale et
// technologique, 24x-25x bac pro and 5xx CAP).
func kindFromMEFs(pupils []ingest.SIECLEPupil) campaign.Kind {
	var college, gt, pro int
	for _, p := range pupils {
		if len(p.MEF) < 3 {
			continue
		}
		switch d := p.MEF[:3]; {
		case d[0] == '1':
			college++
		case d >= "200" && d < "240":
			gt++
		case d >= "240" && d < "260", d[0] == '5':
			pro++
		}
	}
	switch {
	case college == 0 && gt == 0 && pro == 0:
		return campaign.KindOther
	case college >= gt && college >= pro:
		return campaign.KindCollege
	case gt >= pro:
		return campaign.KindLycee
	default:
		return campaign.KindLP
	}
}
