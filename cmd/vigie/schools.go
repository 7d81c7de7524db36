package main

import (
	"context"
	"fmt"
	"os"
	"sort"
	"time"

	"github.com/vigie-edu/vigie/internal/access"
	"github.com/vigie-edu/vigie/internal/campaign"
	"github.com/vigie-edu/vigie/internal/store"
)

func cmdSchools(ctx context.Context, e env) error {
	if len(e.args) == 0 || e.args[0] != "import" {
		return usagef("usage: vigie schools import --academy CODE [--academy-name NAME] FILE.csv")
	}
	fs := flags("schools import", e, "database-url", "log-level", "log-format")
	academy := fs.String("academy", "", "academy code (created when missing), e.g. poitiers")
	academyName := fs.String("academy-name", "", "academy name when it is created (default: the code, capitalised)")
	cfg, err := parse(fs, e, e.args[1:])
	if err != nil {
		return err
	}
	if *academy == "" || fs.NArg() != 1 {
		return usagef("usage: vigie schools import --academy CODE FILE.csv")
	}
	if err := campaign.ValidateAcademyCode(*academy); err != nil {
		return usagef("%v", err)
	}
	path := fs.Arg(0)
	f, err := os.Open(path)
	if err != nil {
		return usagef("%s : %s", path, frenchFileError(err))
	}
	defer f.Close()

	log := newLogger(cfg, e.stderr)
	st, err := store.Open(ctx, cfg.DatabaseURL, log)
	if err != nil {
		return err
	}
	defer st.Close()
	if _, err := st.Migrate(ctx); err != nil {
		return err
	}
	name := *academyName
	if name == "" {
		name = campaign.AcademyDisplayName(*academy)
	}
	a, err := st.EnsureAcademy(ctx, access.System(), *academy, name)
	if err != nil {
		return err
	}
	start := time.Now()
	var schools []campaign.School
	sum, err := campaign.ReadDirectory(path, f, a.Name, func(r campaign.DirectoryRow) error {
		schools = append(schools, r.School)
		return nil
	})
	if err != nil {
		return err
	}
	res, err := st.UpsertSchools(ctx, access.Academy(a.ID), a.ID, schools)
	if err != nil {
		return err
	}
	for _, ie := range sum.Errors {
		fmt.Fprintf(e.stderr, "%v\n", ie)
	}
	refused := make([]string, 0, len(res.Refused))
	for uai, why := range res.Refused {
		refused = append(refused, uai+": "+why)
	}
	sort.Strings(refused)
	for _, r := range refused {
		fmt.Fprintf(e.stderr, "%s: %s\n", path, r)
	}
	fmt.Fprintf(e.stdout, "%s\u00a0: %s lue%s en %s\u00a0; académie %s\u00a0: %s ajouté%s, %d mis à jour, %d refusé%s, %s en erreur\n",
		path, plural(sum.Rows, "ligne", "lignes"), pluralS(sum.Rows), time.Since(start).Round(time.Millisecond), a.Code,
		plural(res.Inserted, "établissement", "établissements"), pluralS(res.Inserted), res.Updated,
		len(res.Refused), pluralS(len(res.Refused)), plural(len(sum.Errors), "ligne", "lignes"))
	reasons := make([]string, 0, len(sum.Skipped))
	for r := range sum.Skipped {
		reasons = append(reasons, r)
	}
	sort.Strings(reasons)
	for _, r := range reasons {
		fmt.Fprintf(e.stdout, "  ignorées, %s\u00a0: %d\n", r, sum.Skipped[r])
	}
	return nil
}
