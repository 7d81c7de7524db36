package httpapi

import (
	"strconv"

	"github.com/vigie-edu/vigie/internal/fact"
)

// French labels of the codes that pages show: who started an evaluation, the audit log's
// actions and objects, file kinds. The codes stay in the API and in the pages' title
// attributes for experts; people read the labels.

// runBy says who or what started an evaluation run: « planification quotidienne »,
// « lancement manuel par dupont ».
func runBy(trigger, by string) string {
	switch trigger {
	case "schedule":
		return "planification quotidienne"
	case "manual":
		return "lancement manuel par " + by
	case "publish":
		return "publication des règles par " + by
	case "import":
		return "dépôt de fichiers par " + by
	}
	if by == "" {
		return trigger
	}
	return trigger + " (" + by + ")"
}

// auditActions are the audit log's actions in French.
var auditActions = map[string]string{
	"academy.create":           "création d’une académie",
	"attestation.create":       "attestation d’une étape",
	"attestation.withdraw":     "retrait d’une attestation",
	"campaign.create":          "ouverture d’une campagne",
	"campaign.update":          "modification du calendrier de campagne",
	"exemption.approve":        "dérogation accordée",
	"exemption.revoke":         "dérogation retirée",
	"grant.create":             "habilitation accordée",
	"grant.delete":             "habilitation retirée",
	"import.feed":              "dépôt de l’annuaire fédérateur",
	"notification.prefs":       "préférences de courriel",
	"notification.unsubscribe": "désabonnement des courriels",
	"policy.edit":              "modification d’un brouillon de règles",
	"policy.publish":           "publication des règles",
	"policy.rollback":          "retour à une version des règles",
	"run.trigger":              "lancement d’une évaluation",
	"school.upload":            "dépôt de fichiers d’export",
	"session.login":            "connexion",
	"session.logout":           "déconnexion",
	"token.create":             "création d’un jeton d’accès",
	"token.revoke":             "révocation d’un jeton d’accès",
	"user.create":              "création d’un compte",
	"user.link_identity":       "identité rattachée à un compte",
	"user.update":              "modification d’un compte",
}

// auditTargets are the audit log's kinds of objects in French.
var auditTargets = map[string]string{
	"academy": "académie", "attestation": "attestation", "campaign": "campagne", "exemption": "dérogation",
	"grant": "habilitation", "import": "fichier reçu", "policy_draft": "brouillon de règles",
	"policy_version": "version des règles", "run": "évaluation", "token": "jeton d’accès", "user": "compte",
}

// auditAction is an audit action in French, or its code when it has no label.
func auditAction(a string) string { return orDefault(auditActions[a], a) }

// auditTarget names an audit entry's object: « campagne 2026-2027 », « fichier reçu n° 12 ».
func auditTarget(kind, id string) string {
	label := orDefault(auditTargets[kind], kind)
	if id == "" {
		return label
	}
	if kind == "campaign" {
		if y, err := strconv.Atoi(id); err == nil && y > 2000 {
			return label + " " + id + "-" + strconv.Itoa(y+1)
		}
	}
	if _, err := strconv.ParseInt(id, 10, 64); err == nil {
		return label + " n°\u00a0" + id
	}
	return label + " " + id
}

// fileKind is a file kind (an import's source) in French.
func fileKind(k string) string { return fact.Source(k).Label() }
