# METADATA
# scope: package
# title: Exports récents déposés dans Vigie
# description: >-
#   Vigie ne juge que ce qu'on lui a déposé : un export trop ancien rend les autres contrôles
#   inconclusifs et peut cacher une classe ou un groupe vide à la veille de la transmission au
#   GAR. Un export STS-Web ne porte aucune date : Vigie retient alors la date du fichier dans
#   l'archive zip, sa date de modification ou, à défaut, la date de dépôt. Le contrôle réussit
#   sur cette date (le refuser bloquerait tous les établissements), mais sa note dit quelle
#   date a été retenue : la fraîcheur de l'export n'est alors pas garantie.
# custom:
#   id: campaign.sources_fresh
#   severity: warning
#   step: 0
#   step_note: toute la campagne
#   needs: [sts, siecle, siecle_structures, links, ent]
#   needs_mode: any
#   software: Vigie
#   who: Établissement (ou académie pour l'annuaire)
#   fix: >-
#     Déposer dans Vigie un export récent de chaque source citée (STS-Web, SIECLE-BEE, fichier
#     de liens EDT, annuaire fédérateur).
#   fix_stage: vigie
#   blocked_by: []
package vigie.checks.campaign.sources_fresh

import data.vigie.lib

result := lib.unknown_because("Aucun export déposé pour cet établissement.") if {
	count(lib.sources) == 0
} else := object.union(lib.verdict(failing), {"note": note}) if {
	count(estimated) > 0
} else := lib.verdict(failing)

# estimated: the usable sources whose export time is not written in the file.
estimated := [lib.estimated_time_detail(s) |
	some s in lib.source_names
	lib.source_state[s] == "ok"
	lib.time_estimated(s)
]

note := sprintf("Date d'export absente du fichier, fraîcheur non garantie : %s.", [concat(" ; ", estimated)])

failing := {lib.source_item(s) |
	some s in lib.source_names
	lib.source_state[s] in {"stale", "wrong_year", "undated"}
}
