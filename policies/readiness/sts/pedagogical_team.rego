# METADATA
# scope: package
# title: Équipe pédagogique constituée pour chaque division
# description: >-
#   Les services (enseignant, matière, heures) remontés d'EDT vers STS-Web créent les liens
#   enseignant-classe de l'ENT et du GAR : sans service avec enseignant, les enseignants de la
#   division n'y voient pas leurs élèves et ne peuvent pas leur affecter de ressources.
# custom:
#   id: sts.pedagogical_team
#   severity: error
#   step: 11
#   needs: [sts]
#   software: EDT puis STS-Web
#   who: Responsable de l'emploi du temps
#   fix: >-
#     Dans EDT, remonter les services vers STS-Web (un seul fichier XML pour la structure et
#     les services) après avoir traité les cours non exportables ; vérifier ensuite dans
#     STS-Web « Services et ARE > Équipe pédagogique », puis « Export > Services » vers SIECLE.
#   fix_stage: sts
#   blocked_by: [sts.divisions_present]
package vigie.checks.sts.pedagogical_team

import data.vigie.lib

meta := rego.metadata.chain()[1].annotations.custom

result := lib.unknown(meta.needs) if {
	not lib.all_usable(meta.needs)
} else := lib.verdict(failing)

failing := {lib.item(lib.code(k, d), "division", detail(d)) |
	some k, d in lib.sts_divisions
	d.sts.services_with_teacher == 0
	d.sts.group_services_with_teacher == 0
}

detail(d) := sprintf("aucun service avec enseignant (%s, aucun par ses groupes)", [lib.plural(d.sts.services, "service sans enseignant", "services sans enseignant")]) if {
	d.sts.services > 0
} else := "aucun service, ni pour la division ni pour ses groupes"
