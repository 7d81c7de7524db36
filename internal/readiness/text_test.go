package readiness

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigie-edu/vigie/internal/policy"
)

func TestFrenchDates(t *testing.T) {
	paris := DefaultTiming().Location
	assert.Equal(t, "lundi 5 octobre 2026", FrenchDate(time.Date(2026, 10, 5, 12, 0, 0, 0, paris), paris))
	assert.Equal(t, "mardi 1er décembre 2026", FrenchDate(time.Date(2026, 12, 1, 12, 0, 0, 0, paris), paris))
	assert.Equal(t, "samedi 15 août 2026", FrenchDate(time.Date(2026, 8, 15, 12, 0, 0, 0, paris), paris))
	assert.Equal(t, "mardi 6 octobre 2026 à 6\u00a0h\u00a000",
		FrenchDateTime(time.Date(2026, 10, 6, 4, 0, 0, 0, time.UTC), paris), "UTC shown in Paris time")
	assert.Equal(t, "mercredi 1er janvier 2025 à 0\u00a0h\u00a030",
		FrenchDateTime(time.Date(2024, 12, 31, 23, 30, 0, 0, time.UTC), paris), "the day changes in Paris")
}

func TestWriteText(t *testing.T) {
	ev := evaluation(map[string]policy.Status{
		"siecle.groups_populated": policy.StatusFail,
		"ent.groups_populated":    policy.StatusFail,
		"links.imported":          policy.StatusUnknown,
		"ent.teacher_links":       policy.StatusFail,
	})
	for i := range ev.Results {
		switch ev.Results[i].Check {
		case "links.imported":
			ev.Results[i].Reason = "Impossible de conclure : liens élèves-groupes EDT : aucun export déposé."
			ev.Results[i].Items = []policy.Item{{Code: "links", Kind: "source", Detail: "aucun export déposé"}}
		case "ent.teacher_links":
			ev.Results[i].Mode = policy.ModeMonitor
		}
	}
	cat := append([]policy.Check(nil), catalogue...)
	for i := range cat {
		if cat[i].ID == "siecle.groups_populated" {
			cat[i].Title = "Groupes peuplés dans SIECLE-BEE"
			cat[i].Description = "Un groupe sans élève arrive vide au GAR."
			cat[i].Who = "Responsable de l'emploi du temps"
			cat[i].Fix = "Dans EDT, « Imports/Exports > SIECLE > Exporter les liens élèves/groupes »."
		}
	}
	r := buildReport(reportInput{
		UAI: "0790029C", SchoolName: "Lycée Jean Moulin", Academy: "poitiers", SchoolYear: 2026, Now: now,
		Catalogue: frenchCatalogue(cat), Evaluation: ev, Timing: DefaultTiming(),
		Exemptions: []Exemption{{Check: "sts.divisions_present", Until: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), Reason: "fusion"}},
	})
	var b strings.Builder
	require.NoError(t, WriteText(&b, r, nil))
	out := b.String()

	for _, want := range []string{
		"Lycée Jean Moulin (0790029C), année scolaire 2026-2027, académie de Poitiers",
		"Évaluation du lundi 5 octobre 2026 à 11\u00a0h\u00a030 (heure de Paris)",
		"État\u00a0: NON PRÊT.",
		"Prochaine transmission de l’annuaire au GAR\u00a0: mardi 6 octobre 2026 à 6\u00a0h\u00a000.",
		"À faire, dans l’ordre (3)\u00a0:",
		"1. Groupes peuplés dans SIECLE-BEE (bloquant, étape\u00a012, échoue)",
		"   Quoi\u00a0: 1 groupe\u00a0: X1",
		"     – groupe X1\u00a0: vide",
		"   Pourquoi\u00a0: Un groupe sans élève arrive vide au GAR.",
		"   Comment\u00a0: Dans EDT, «\u00a0Imports/Exports > SIECLE > Exporter les liens élèves/groupes\u00a0».",
		"   Qui\u00a0: Responsable de l’emploi du temps",
		"   Pour quand\u00a0: avant le lundi 5 octobre 2026 à 20\u00a0h\u00a000, pour une arrivée au GAR le vendredi 9 octobre 2026 à 6\u00a0h\u00a000.",
		"2. Liens importés (erreur, étape\u00a012, indéterminé)",
		"   Quoi\u00a0: Impossible de conclure\u00a0: liens élèves-groupes EDT\u00a0: aucun export déposé.",
		"     – liens élèves-groupes (EDT)\u00a0: aucun export déposé", // the source's label, not its code
		"3. Groupes ENT (bloquant, étape\u00a013, échoue)",
		"   Après\u00a0: n°\u00a01 (Groupes peuplés dans SIECLE-BEE), n°\u00a02 (Liens importés).",
		"Sous surveillance, sans effet sur l’état (1)\u00a0:",
		"  – Enseignants ENT\u00a0: échoue (1 élément)",
		"Dérogations (1)\u00a0:",
		"  – Divisions\u00a0: dérogation jusqu’au dimanche 1er novembre 2026 (fusion), résultat\u00a0: réussi",
		"Contrôles réussis (5)\u00a0:",
		"  ✓ Sources",
	} {
		assert.Contains(t, out, want)
	}
	assert.NotContains(t, out, " :", "no breaking space before a colon")
	assert.NotContains(t, out, "'", "typographic apostrophes")
	assert.Less(t, strings.Index(out, "1. Groupes peuplés"), strings.Index(out, "2. Liens importés"))
}

func TestWriteTextReadySchool(t *testing.T) {
	r := report(t, evaluation(nil))
	var b strings.Builder
	require.NoError(t, WriteText(&b, r, nil))
	assert.Contains(t, b.String(), "État\u00a0: PRÊT.")
	assert.Contains(t, b.String(), "Rien à faire\u00a0: tout est en ordre")
	assert.Contains(t, b.String(), "Contrôles réussis (10)")
}
