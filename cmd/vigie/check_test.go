package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigie-edu/vigie/internal/campaign"
	"github.com/vigie-edu/vigie/internal/fixture"
	"github.com/vigie-edu/vigie/internal/readiness"
)

// writeSchool generates a school's export files and returns their paths and the truth.
func writeSchool(t *testing.T, spec fixture.SchoolSpec) ([]string, fixture.Truth) {
	t.Helper()
	s, err := fixture.NewSchool(spec)
	require.NoError(t, err)
	dir := t.TempDir()
	m, err := fixture.WriteSchool(dir, s)
	require.NoError(t, err)
	paths := make([]string, 0, len(m))
	for _, e := range m {
		paths = append(paths, filepath.Join(dir, filepath.FromSlash(e.Path)))
	}
	return paths, s.Truth()
}

// TestCheckGeneratedSchools runs `vigie check` on the files of a generated school for every
// defect the generator makes, and compares the JSON report with the generator's truth; a few
// bigger schools check the French text output and the exit status too.
func TestCheckGeneratedSchools(t *testing.T) {
	now := fixture.DefaultNow
	for i, tc := range fixture.Cases() {
		t.Run(tc.Name, func(t *testing.T) {
			spec := fixture.SchoolSpec{Seed: uint64(500 + i), Now: now, Kind: tc.Kind, Pupils: 300, Defects: tc.Defects}
			if i < 3 {
				spec.Pupils = 0 // the clean schools at their kind's real size
			}
			paths, truth := writeSchool(t, spec)
			var out, errb bytes.Buffer
			args := append([]string{"check", "--format", "json", "--now", now.Format(time.RFC3339)}, paths...)
			code := run(context.Background(), args, envFrom(nil), &out, &errb)
			wantExit := 1
			if truth.Status == "ready" {
				wantExit = 0
			}
			require.Equal(t, wantExit, code, "stderr: %s", errb.String())
			var rep readiness.Report
			require.NoError(t, json.Unmarshal(out.Bytes(), &rep), out.String())
			assert.Equal(t, truth.UAI, rep.UAI)
			assert.Equal(t, truth.Status, string(rep.Status))
			for id, want := range truth.Checks {
				got, ok := rep.Check(id)
				require.True(t, ok, "check %s missing", id)
				assert.Equal(t, string(want.Status), string(got.Status), "%s: %s", id, got.Reason)
				if want.Status == fixture.StatusFail {
					codes := make([]string, 0, len(got.Items))
					for _, it := range got.Items {
						codes = append(codes, it.Code)
					}
					sort.Strings(codes)
					// An item per failing element: a structure with two faulty services is named twice.
					assert.Equal(t, want.Items, slices.Compact(codes), "%s items", id)
				}
			}
			if i%8 != 0 {
				return
			}
			// The same in French for a school admin.
			out.Reset()
			code = run(context.Background(), append([]string{"check", "--now", now.Format(time.RFC3339)}, paths...), envFrom(nil), &out, &errb)
			require.Equal(t, wantExit, code)
			assert.Contains(t, out.String(), truth.UAI)
		})
	}
}

func TestCheckBadInput(t *testing.T) {
	dir := t.TempDir()
	broken := filepath.Join(dir, "sts_emp_0790029C_2026.xml")
	require.NoError(t, os.WriteFile(broken, []byte(`<?xml version="1.0" encoding="ISO-8859-15"?><STS_EDT><PARAMETRES><UAJ CODE="0790029C">`), 0o600))
	var out, errb bytes.Buffer
	assert.Equal(t, 2, run(context.Background(), []string{"check", broken}, envFrom(nil), &out, &errb))
	assert.Contains(t, errb.String(), "sts_emp_0790029C_2026.xml, ligne 1 : XML mal formé : le fichier est tronqué")

	paths, _ := writeSchool(t, fixture.SchoolSpec{Seed: 9, Now: fixture.DefaultNow, UAI: "0790029C", Kind: campaign.KindCollege})
	errb.Reset()
	assert.Equal(t, 2, run(context.Background(), append([]string{"check", "--uai", "0860001J"}, paths...), envFrom(nil), &out, &errb))
	assert.Contains(t, errb.String(), "0860001J", "names the expected school")
	assert.Contains(t, errb.String(), "0790029C", "and the school of the file")
	assert.Regexp(t, `, ligne \d+, champ PARAMETRES/UAJ(@CODE)? : ce fichier concerne l'établissement 0790029C, pas 0860001J`, errb.String())
	errb.Reset()
	year := campaign.SchoolYearOf(fixture.DefaultNow)
	assert.Equal(t, 2, run(context.Background(), append([]string{"check", "--year", strconv.Itoa(year + 1)}, paths...), envFrom(nil), &out, &errb))
	assert.Contains(t, errb.String(), fmt.Sprintf("ce fichier concerne l'année scolaire %d-%d, pas %d-%d : retirez-le, ou précisez l'année avec --year",
		year, year+1, year+1, year+2))

	assert.Equal(t, 2, run(context.Background(), []string{"check"}, envFrom(nil), &out, &errb))
	assert.Equal(t, 2, run(context.Background(), []string{"check", "--format", "xml", broken}, envFrom(nil), &out, &errb))
	assert.Equal(t, 2, run(context.Background(), []string{"check", filepath.Join(dir, "absent.xml")}, envFrom(nil), &out, &errb))

	bad := filepath.Join(dir, "policies")
	require.NoError(t, os.MkdirAll(bad, 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(bad, "x.rego"), []byte("package vigie.checks.x\n\nresult := {"), 0o600))
	errb.Reset()
	assert.Equal(t, 2, run(context.Background(), append([]string{"check", "--policies", bad}, paths...), envFrom(nil), &out, &errb))
	assert.Contains(t, errb.String(), "x.rego")
}

// TestCheckRefusesPartialFeed: `vigie check` given a feed without PersEducNat says so (exit 2)
// instead of failing the school's ENT checks.
func TestCheckRefusesPartialFeed(t *testing.T) {
	now := fixture.DefaultNow
	paths, _ := writeSchool(t, fixture.SchoolSpec{Seed: 7, Now: now, Pupils: 200})
	var kept []string
	dropped := 0
	for _, p := range paths {
		if strings.Contains(filepath.Base(p), "_PersEducNat_") {
			dropped++
			continue
		}
		kept = append(kept, p)
	}
	require.Positive(t, dropped)
	var out, errb bytes.Buffer
	code := run(context.Background(), append([]string{"check", "--now", now.Format(time.RFC3339)}, kept...), envFrom(nil), &out, &errb)
	assert.Equal(t, 2, code, "stdout: %s", out.String())
	assert.Contains(t, errb.String(), "flux de l'annuaire incomplet : catégorie manquante PersEducNat ; déposez l'extraction complète (EtabEducNat, Eleve, PersEducNat)")
	assert.Empty(t, out.String(), "no report with false ENT failures")
}

// TestCheckWarnsAboutItsFiles: the readers' warnings reach the user on stderr (stdout stays
// the report), and last year's STS-Web export given alone is said to be last year's rather
// than silently kept as history; a file that cannot be opened is told in French.
func TestCheckWarnsAboutItsFiles(t *testing.T) {
	now := fixture.DefaultNow
	year := campaign.SchoolYearOf(now)
	paths, _ := writeSchool(t, fixture.SchoolSpec{Seed: 11, Now: now, UAI: "0790029C", Pupils: 200})
	current := fmt.Sprintf("sts_emp_0790029C_%d.xml", year)
	previous := fmt.Sprintf("sts_emp_0790029C_%d.xml", year-1)
	var kept []string
	sawPrevious := false
	for _, p := range paths {
		switch filepath.Base(p) {
		case current:
			continue
		case previous:
			sawPrevious = true
		}
		kept = append(kept, p)
	}
	require.True(t, sawPrevious, "the generator writes last year's STS-Web export: %v", paths)

	var out, errb bytes.Buffer
	code := run(context.Background(), append([]string{"check", "--format", "json", "--now", now.Format(time.RFC3339)}, kept...), envFrom(nil), &out, &errb)
	assert.Equal(t, 1, code, errb.String())
	assert.Contains(t, errb.String(), "Avertissements sur les fichiers :")
	assert.Contains(t, errb.String(), fmt.Sprintf("%s : export STS-Web de l'année scolaire %d-%d, pas %d-%d : il sert seulement à repérer les groupes reconduits",
		previous, year-1, year, year, year+1))
	var rep readiness.Report
	require.NoError(t, json.Unmarshal(out.Bytes(), &rep), "stdout is the JSON report only")

	// With every file, nothing is said about last year's export.
	out.Reset()
	errb.Reset()
	run(context.Background(), append([]string{"check", "--format", "json", "--now", now.Format(time.RFC3339)}, paths...), envFrom(nil), &out, &errb)
	assert.NotContains(t, errb.String(), "il sert seulement à repérer les groupes reconduits")

	errb.Reset()
	missing := filepath.Join(t.TempDir(), "absent.xml")
	assert.Equal(t, 2, run(context.Background(), []string{"check", missing}, envFrom(nil), &out, &errb))
	assert.Contains(t, errb.String(), missing+" : fichier introuvable")
}
