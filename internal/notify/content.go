package notify

import (
	"bytes"
	"fmt"
	htmltemplate "html/template"
	"strings"
	texttemplate "text/template"
	"time"

	"github.com/vigie-edu/vigie/internal/campaign"
)

// TodoLine is one to-do item of a school in a digest.
type TodoLine struct {
	Rank       int
	Title      string
	Step       int
	Severity   string // French label
	What       string
	Fix        string
	Deadline   string // French, "" when none
	ReachesGAR string // French, "" when none
	BlockedBy  []string
	Late       bool
}

// Reminder is a campaign deadline coming up for a step not done yet.
type Reminder struct {
	Step  int
	Title string
	Due   string // French date
	Days  int    // 7 or 1
	State string // French label of the step's state
}

// SchoolSection is one school of a school admin's digest.
type SchoolSection struct {
	UAI       string
	Name      string
	Status    string // French label
	New       []TodoLine
	Open      []TodoLine // unchanged, repeated at the reader's cadence
	Reminders []Reminder
}

// SchoolDigest is a school admin's morning e-mail.
type SchoolDigest struct {
	Name         string
	NextHandover string // French
	Sections     []SchoolSection
	RepeatDays   int
	Unsubscribe  string
	Preferences  string
}

// Items counts the to-do items and reminders of the digest.
func (d SchoolDigest) Items() (items, isNew int) {
	for _, s := range d.Sections {
		items += len(s.New) + len(s.Open) + len(s.Reminders)
		isNew += len(s.New) + len(s.Reminders)
	}
	return items, isNew
}

// RedLine is a school that turned red overnight.
type RedLine struct {
	UAI, Name, Departement string
	Previous               string // French label of its previous status
}

// CallLine is a school to call first.
type CallLine struct {
	UAI, Name     string
	EarliestGreen string // French
	// Reason is the forecast's sentence, for the webhook; the e-mail says its parts once
	// instead (the target handover is in the section's header, EarliestGreen on the line).
	Reason string
	Late   []string // titles of the problems that cannot reach the target in time, latest first
}

// LateSummary says which problems cannot reach the target handover in time: the latest one
// and how many others, « Ne peuvent pas arriver à temps : X et 2 autres problèmes ».
func (c CallLine) LateSummary() string {
	switch len(c.Late) {
	case 0:
		return c.Reason
	case 1:
		return "Ne peut pas arriver à temps : " + c.Late[0]
	default:
		return "Ne peuvent pas arriver à temps : " + c.Late[0] + " et " + campaign.Plural(len(c.Late)-1, "autre problème", "autres problèmes")
	}
}

// SupervisorDigest is a supervisor's morning e-mail.
type SupervisorDigest struct {
	Name        string
	Academy     string
	Target      string // French: the handover the forecast is about
	TurnedRed   []RedLine
	CallFirst   []CallLine
	Unsubscribe string
	Preferences string
}

var frenchDays = [...]string{"dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"}

var frenchMonths = [...]string{"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
	"septembre", "octobre", "novembre", "décembre"}

// FrenchTime writes "mercredi 16 septembre 2026 à 06 h 00" in loc, as the rest of Vigie does; "" for the zero time.
func FrenchTime(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return ""
	}
	t = t.In(loc)
	return fmt.Sprintf("%s %d %s %d à %02d h %02d", frenchDays[t.Weekday()], t.Day(), frenchMonths[t.Month()-1], t.Year(), t.Hour(), t.Minute())
}

// SeverityLabel is the French label of a check severity.
func SeverityLabel(s string) string {
	switch s {
	case "blocker":
		return "bloquant"
	case "error":
		return "erreur"
	case "warning":
		return "avertissement"
	default:
		return s
	}
}

// StatusLabel is the French label of a school status.
func StatusLabel(s string) string {
	switch s {
	case "ready":
		return "prêt"
	case "at_risk":
		return "à risque"
	case "not_ready":
		return "non prêt"
	default:
		return "pas encore évalué"
	}
}

var funcs = map[string]any{"join": strings.Join, "add": func(a, b int) int { return a + b }}

const schoolText = `Bonjour{{if .Name}} {{.Name}}{{end}},

Voici ce qu'il reste à faire pour que vos élèves trouvent leurs ressources au GAR. Prochain transfert de l'annuaire vers le GAR : {{.NextHandover}}.
{{range .Sections}}
=== {{.Name}} ({{.UAI}}) : {{.Status}} ===
{{if .New}}
Nouveau ou modifié :
{{range .New}}{{template "item" .}}{{end}}{{end}}{{if .Open}}
Toujours à faire :
{{range .Open}}{{template "item" .}}{{end}}{{end}}{{if .Reminders}}
Échéances de la campagne :
{{range .Reminders}}- Étape {{.Step}} « {{.Title}} » : échéance le {{.Due}} ({{if eq .Days 1}}demain{{else}}dans {{.Days}} jours{{end}}) ; état actuel : {{.State}}.
{{end}}{{end}}{{end}}
--
Vous recevez ce message parce que vous êtes habilité(e) pour ces établissements dans Vigie. Un point inchangé n'est rappelé {{if le .RepeatDays 1}}qu'une fois par jour{{else}}que tous les {{.RepeatDays}} jours{{end}}.
{{if .Preferences}}Changer la fréquence : {{.Preferences}}
{{end}}{{if .Unsubscribe}}Ne plus recevoir ces messages : {{.Unsubscribe}}
{{end}}{{define "item"}}{{.Rank}}. {{.Title}} (étape {{.Step}}, {{.Severity}}){{if .Late}} : EN RETARD{{end}}
   Problème : {{.What}}
   À faire : {{.Fix}}
{{if .Deadline}}   Avant le : {{.Deadline}}{{if .ReachesGAR}} (arrivée au GAR : {{.ReachesGAR}}){{end}}
{{end}}{{if .BlockedBy}}   D'abord : {{join .BlockedBy " ; "}}
{{end}}{{end}}`

const schoolHTML = `<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8"><title>Vigie</title></head>
<body style="font-family: Marianne, Arial, sans-serif; color: #161616; max-width: 48em">
<p>Bonjour{{if .Name}} {{.Name}}{{end}},</p>
<p>Voici ce qu'il reste à faire pour que vos élèves trouvent leurs ressources au GAR. Prochain transfert de l'annuaire vers le GAR : <strong>{{.NextHandover}}</strong>.</p>
{{range .Sections}}<h2>{{.Name}} ({{.UAI}}) : {{.Status}}</h2>
{{if .New}}<h3>Nouveau ou modifié</h3>
<ol>{{range .New}}{{template "item" .}}{{end}}</ol>{{end}}
{{if .Open}}<h3>Toujours à faire</h3>
<ol>{{range .Open}}{{template "item" .}}{{end}}</ol>{{end}}
{{if .Reminders}}<h3>Échéances de la campagne</h3>
<ul>{{range .Reminders}}<li>Étape {{.Step}} « {{.Title}} » : échéance le <strong>{{.Due}}</strong> ({{if eq .Days 1}}demain{{else}}dans {{.Days}} jours{{end}}) ; état actuel : {{.State}}.</li>{{end}}</ul>{{end}}
{{end}}<hr>
<p style="font-size: small">Vous recevez ce message parce que vous êtes habilité(e) pour ces établissements dans Vigie. Un point inchangé n'est rappelé {{if le .RepeatDays 1}}qu'une fois par jour{{else}}que tous les {{.RepeatDays}} jours{{end}}.
{{if .Preferences}}<a href="{{.Preferences}}">Changer la fréquence</a>.{{end}}
{{if .Unsubscribe}}<a href="{{.Unsubscribe}}">Ne plus recevoir ces messages</a>.{{end}}</p>
</body></html>
{{define "item"}}<li value="{{.Rank}}"><strong>{{.Title}}</strong> (étape {{.Step}}, {{.Severity}}){{if .Late}} <strong>en retard</strong>{{end}}<br>
Problème : {{.What}}<br>
À faire : {{.Fix}}{{if .Deadline}}<br>
Avant le : {{.Deadline}}{{if .ReachesGAR}} (arrivée au GAR : {{.ReachesGAR}}){{end}}{{end}}{{if .BlockedBy}}<br>
D'abord : {{join .BlockedBy " ; "}}{{end}}</li>
{{end}}`

const supervisorText = `Bonjour{{if .Name}} {{.Name}}{{end}},

Académie de {{.Academy}}, point du matin.
{{if .TurnedRed}}
Établissements passés au rouge cette nuit ({{len .TurnedRed}}) :
{{range .TurnedRed}}- {{.Name}} ({{.UAI}}, {{.Departement}}) : était {{.Previous}}
{{end}}{{end}}{{if .CallFirst}}
À appeler en premier ({{len .CallFirst}}) : encore rouges au transfert du {{.Target}} même s'ils agissent aujourd'hui.
{{range $i, $c := .CallFirst}}{{add $i 1}}. {{$c.Name}} ({{$c.UAI}}) : au mieux vert le {{$c.EarliestGreen}}
   {{$c.LateSummary}}
{{end}}{{end}}
--
{{if .Preferences}}Changer la fréquence : {{.Preferences}}
{{end}}{{if .Unsubscribe}}Ne plus recevoir ces messages : {{.Unsubscribe}}
{{end}}`

const supervisorHTML = `<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8"><title>Vigie</title></head>
<body style="font-family: Marianne, Arial, sans-serif; color: #161616; max-width: 48em">
<p>Bonjour{{if .Name}} {{.Name}}{{end}},</p>
<p>Académie de {{.Academy}}, point du matin.</p>
{{if .TurnedRed}}<h2>Établissements passés au rouge cette nuit ({{len .TurnedRed}})</h2>
<ul>{{range .TurnedRed}}<li>{{.Name}} ({{.UAI}}, {{.Departement}}) : était {{.Previous}}</li>{{end}}</ul>{{end}}
{{if .CallFirst}}<h2>À appeler en premier ({{len .CallFirst}})</h2>
<p>Encore rouges au transfert du {{.Target}} même s'ils agissent aujourd'hui.</p>
<ol>{{range .CallFirst}}<li><strong>{{.Name}}</strong> ({{.UAI}}) : au mieux vert le {{.EarliestGreen}}<br>{{.LateSummary}}</li>{{end}}</ol>{{end}}
<hr>
<p style="font-size: small">{{if .Preferences}}<a href="{{.Preferences}}">Changer la fréquence</a>. {{end}}{{if .Unsubscribe}}<a href="{{.Unsubscribe}}">Ne plus recevoir ces messages</a>.{{end}}</p>
</body></html>
`

var (
	schoolTextT     = texttemplate.Must(texttemplate.New("school").Funcs(funcs).Parse(schoolText))
	schoolHTMLT     = htmltemplate.Must(htmltemplate.New("school").Funcs(funcs).Parse(schoolHTML))
	supervisorTextT = texttemplate.Must(texttemplate.New("supervisor").Funcs(funcs).Parse(supervisorText))
	supervisorHTMLT = htmltemplate.Must(htmltemplate.New("supervisor").Funcs(funcs).Parse(supervisorHTML))
)

// Render writes the school admin's digest: subject, plain text and HTML.
func (d SchoolDigest) Render() (subject, text, html string, err error) {
	items, isNew := d.Items()
	if len(d.Sections) == 1 {
		subject = fmt.Sprintf("Vigie : %s pour %s avant le transfert GAR", campaign.Plural(items, "point", "points"), d.Sections[0].Name)
	} else {
		subject = fmt.Sprintf("Vigie : %s pour vos %d établissements avant le transfert GAR", campaign.Plural(items, "point", "points"), len(d.Sections))
	}
	if isNew > 0 {
		subject += fmt.Sprintf(" (%s)", campaign.Plural(isNew, "nouveau", "nouveaux"))
	}
	var t, h bytes.Buffer
	if err := schoolTextT.Execute(&t, d); err != nil {
		return "", "", "", fmt.Errorf("render school digest: %w", err)
	}
	if err := schoolHTMLT.Execute(&h, d); err != nil {
		return "", "", "", fmt.Errorf("render school digest: %w", err)
	}
	return subject, t.String(), h.String(), nil
}

// Render writes the supervisor's digest: subject, plain text and HTML.
func (d SupervisorDigest) Render() (subject, text, html string, err error) {
	subject = fmt.Sprintf("Vigie %s : %s au rouge cette nuit, %s à appeler en premier", d.Academy,
		campaign.Plural(len(d.TurnedRed), "établissement", "établissements"), fmt.Sprint(len(d.CallFirst)))
	var t, h bytes.Buffer
	if err := supervisorTextT.Execute(&t, d); err != nil {
		return "", "", "", fmt.Errorf("render supervisor digest: %w", err)
	}
	if err := supervisorHTMLT.Execute(&h, d); err != nil {
		return "", "", "", fmt.Errorf("render supervisor digest: %w", err)
	}
	return subject, t.String(), h.String(), nil
}
