package readiness

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/vigie-edu/vigie/internal/fact"
)

var (
	statusLabels = map[Status]string{
		StatusReady:    "PRÊT",
		StatusAtRisk:   "À RISQUE",
		StatusNotReady: "NON PRÊT",
	}
	statusExplanations = map[Status]string{
		StatusReady:    "Aucun contrôle bloquant ou d'erreur n'échoue et tous ont pu être vérifiés.",
		StatusAtRisk:   "Seuls des avertissements échouent, ou des contrôles importants n'ont pas pu être vérifiés faute de données à jour.",
		StatusNotReady: "Au moins un contrôle bloquant ou d'erreur échoue : des élèves risquent de ne pas trouver leurs ressources au GAR.",
	}
	severityLabels = map[string]string{"blocker": "bloquant", "error": "erreur", "warning": "avertissement"}
	checkLabels    = map[CheckStatus]string{
		CheckPass: "réussi", CheckFail: "échoue", CheckUnknown: "indéterminé", CheckError: "en erreur", CheckExempt: "dérogation",
	}
)

// WriteText writes a report in French for a school admin: the status, the to-do list in
// order (what, why, how, who, by when, after what), the checks under monitoring and the
// exemptions, then the passing checks briefly. Times are shown in loc (nil: Europe/Paris).
func WriteText(w io.Writer, r *Report, loc *time.Location) error {
	if loc == nil {
		loc = DefaultTiming().Location
	}
	bw := bufio.NewWriter(w)
	// Everything written goes through typo: format strings use plain spaces.
	p := func(format string, args ...any) { bw.WriteString(typo(fmt.Sprintf(format, args...))) }

	name := r.UAI
	if r.SchoolName != "" {
		name = r.SchoolName + " (" + r.UAI + ")"
	}
	p("Vigie : préparation de l’annuaire pour le GAR\n")
	p("%s, année scolaire %d-%d", name, r.SchoolYear, r.SchoolYear+1)
	if r.Academy != "" {
		p(", académie de %s", titleCase(r.Academy))
	}
	p("\nÉvaluation du %s (heure de Paris)\n\n", FrenchDateTime(r.EvaluatedAt.Time, loc))

	p("État%s: %s. %s\n", nbsp, statusLabels[r.Status], typo(statusExplanations[r.Status]))
	if !r.NextHandover.IsZero() {
		p("Prochaine transmission de l’annuaire au GAR%s: %s.\n", nbsp, FrenchDateTime(r.NextHandover.Time, loc))
	}
	if r.Isolated {
		p("Attention%s: une règle a échoué à l’exécution ; les contrôles ont été évalués un par un.\n", nbsp)
	}

	ranks := map[string]TodoItem{}
	for _, t := range r.Todo {
		ranks[t.Check] = t
	}
	checks := map[string]CheckReport{}
	for _, c := range r.Checks {
		checks[c.ID] = c
	}

	if len(r.Todo) == 0 {
		p("\nRien à faire%s: tout est en ordre pour la prochaine transmission.\n", nbsp)
	} else {
		p("\nÀ faire, dans l’ordre (%d)%s:\n", len(r.Todo), nbsp)
	}
	for _, t := range r.Todo {
		c := checks[t.Check]
		p("\n%d. %s (%s, %s, %s)\n", t.Rank, t.Title, severityLabels[t.Severity], stepLabel(c), checkLabels[t.Status])
		p("   Quoi%s: %s\n", nbsp, t.What)
		for _, it := range c.Items {
			p("     – %s%s: %s\n", itemLabel(it), nbsp, it.Detail)
		}
		p("   Pourquoi%s: %s\n", nbsp, t.Why)
		p("   Comment%s: %s\n", nbsp, t.Fix)
		if t.Who != "" {
			p("   Qui%s: %s\n", nbsp, t.Who)
		}
		p("   Pour quand%s: %s\n", nbsp, byWhen(t, loc))
		if len(t.BlockedBy) > 0 {
			var after []string
			for _, b := range t.BlockedBy {
				after = append(after, fmt.Sprintf("n°%s%d (%s)", nbsp, ranks[b].Rank, ranks[b].Title))
			}
			p("   Après%s: %s.\n", nbsp, strings.Join(after, ", "))
		}
	}

	var monitored, exempt, passed []CheckReport
	for _, c := range r.Checks {
		switch {
		case c.Status == CheckExempt:
			exempt = append(exempt, c)
		case !c.Counts:
			monitored = append(monitored, c)
		case c.Status == CheckPass:
			passed = append(passed, c)
		}
	}
	if len(monitored) > 0 {
		p("\nSous surveillance, sans effet sur l’état (%d)%s:\n", len(monitored), nbsp)
		for _, c := range monitored {
			p("  – %s%s: %s%s\n", c.Title, nbsp, checkLabels[c.Status], countSuffix(c))
		}
	}
	if len(exempt) > 0 {
		p("\nDérogations (%d)%s:\n", len(exempt), nbsp)
		for _, c := range exempt {
			p("  – %s%s: dérogation jusqu’au %s", c.Title, nbsp, FrenchDate(c.ExemptUntil.Time, loc))
			if c.ExemptReason != "" {
				p(" (%s)", typo(c.ExemptReason))
			}
			p(", résultat%s: %s%s\n", nbsp, checkLabels[CheckStatus(c.Outcome)], countSuffix(c))
		}
	}
	if len(passed) > 0 {
		p("\nContrôles réussis (%d)%s:\n", len(passed), nbsp)
		for _, c := range passed {
			p("  ✓ %s", c.Title)
			if c.Note != "" {
				p(" (%s)", strings.TrimSuffix(c.Note, "."))
			}
			p("\n")
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write report %s: %w", r.UAI, err)
	}
	return nil
}

func stepLabel(c CheckReport) string {
	if c.Step == 0 {
		if c.StepNote != "" {
			return c.StepNote
		}
		return "hors étape"
	}
	return fmt.Sprintf("étape%s%d", nbsp, c.Step)
}

func itemLabel(it Item) string {
	label, ok := kindLabels[it.Kind]
	if it.Kind == "source" {
		return fact.Source(it.Code).Label() // a file name stays as it is
	}
	if !ok || it.Kind == "pupil" {
		return it.Code
	}
	return label[0] + " " + it.Code
}

func countSuffix(c CheckReport) string {
	if n := len(c.Items); n > 0 {
		return fmt.Sprintf(" (%d élément%s)", n, plural(n))
	}
	return ""
}

func plural(n int) string {
	if n > 1 {
		return "s"
	}
	return ""
}

func byWhen(t TodoItem, loc *time.Location) string {
	by := FrenchDateTime(t.Deadline.Time, loc)
	switch {
	case t.Deadline.IsZero():
		return "dès que possible."
	case t.Late:
		return fmt.Sprintf("dès que possible, avant le %s : l’échéance de la campagne ne peut plus être tenue ; arrivée au GAR au plus tôt le %s.",
			by, FrenchDateTime(t.ReachesGAR.Time, loc))
	case t.ReachesGAR.IsZero():
		return fmt.Sprintf("avant le %s.", by)
	default:
		return fmt.Sprintf("avant le %s, pour une arrivée au GAR le %s.", by, FrenchDateTime(t.ReachesGAR.Time, loc))
	}
}

func titleCase(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
