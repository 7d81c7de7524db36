package ingest

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/vigie-edu/vigie/internal/apperr"
)

// A feed is usable only as a complete extraction: the ENT rebuilds its directory from the
// structures (EtabEducNat), the pupils (Eleve) and the staff (PersEducNat) together, so a feed
// lacking one of them, or a differential extraction (Delta) alone, says nothing true about any
// school. Its categories are collected while the files are read, from each file's name suffix
// (_<Category>_<NNNN>, which is all the ENT relies on) and from its records' categorie*
// attribute, so that neither a renamed file nor a file without records misleads.

// requiredCategories are the categories a feed must hold, in the ENT's processing order.
var requiredCategories = []string{"EtabEducNat", "Eleve", "PersEducNat"}

var categoryNames = map[int]string{catStructure: "EtabEducNat", catPupil: "Eleve", catStaff: "PersEducNat"}

// deltaRE finds a differential extraction in a file name (ENT2D_Delta_20251015_Eleve_0000.xml).
var deltaRE = regexp.MustCompile(`(?i)(^|[^a-z])delta([^a-z]|$)`)

// extraction collects, file by file, what kind of extraction a feed is.
type extraction struct {
	cats      [catOther]bool // categories seen in full-extraction files
	full      int            // files not named as a Delta extraction
	delta     int            // files named as a Delta extraction
	fileDelta bool           // the file being read is a Delta one
}

// file starts a file of the feed; cat is the category its name gives (catUnknown if none).
func (x *extraction) file(name string, cat int) {
	x.fileDelta = deltaRE.MatchString(name)
	if x.fileDelta {
		x.delta++
		return
	}
	x.full++
	x.record(cat)
}

// record notes the category of a record of the file being read.
func (x *extraction) record(cat int) {
	if !x.fileDelta && cat > catUnknown && cat < catOther {
		x.cats[cat] = true
	}
}

// finish writes what was collected into the feed.
func (x *extraction) finish(feed *Feed) {
	feed.DeltaOnly = x.delta > 0 && x.full == 0
	for cat := catStructure; cat < catOther; cat++ {
		if x.cats[cat] {
			feed.Categories = append(feed.Categories, categoryNames[cat])
		}
	}
}

// CheckComplete returns an *apperr.InputError, saying in French what is missing and what to
// upload, unless the feed is a complete extraction (EtabEducNat, Eleve and PersEducNat, any of
// them in several chunks). A partial feed must be refused whole: read as it is, it would say
// that every school of the academy has no structure, no pupils or no teachers in the ENT.
func (f *Feed) CheckComplete() error {
	file := feedLabel(f.Files)
	if f.DeltaOnly {
		return apperr.Input(file, 0, "", "extraction différentielle (Delta) : Vigie a besoin d'une extraction complète (Complet_…) ; déposez les fichiers %s de la dernière extraction complète",
			strings.Join(requiredCategories, ", "))
	}
	var missing []string
	for _, c := range requiredCategories {
		if !slices.Contains(f.Categories, c) {
			missing = append(missing, c)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	what := "catégorie manquante"
	if len(missing) > 1 {
		what = "catégories manquantes"
	}
	return apperr.Input(file, 0, "", "flux de l'annuaire incomplet : %s %s ; déposez l'extraction complète (%s)",
		what, strings.Join(missing, ", "), strings.Join(requiredCategories, ", "))
}

// feedLabel names the files of a feed in a message: the first, and how many others.
func feedLabel(files []string) string {
	switch len(files) {
	case 0:
		return ""
	case 1:
		return files[0]
	case 2:
		return files[0] + " (+1 fichier)"
	}
	return fmt.Sprintf("%s (+%d fichiers)", files[0], len(files)-1)
}
