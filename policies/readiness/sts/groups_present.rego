# METADATA
# scope: package
# title: Groupes présents dans STS-Web
# description: >-
#   Dans un établissement qui travaille en groupes (langues, spécialités, options), les
#   groupes créés dans l'emploi du temps doivent remonter dans STS-Web : sans eux, aucun élève
#   n'est rattaché à ses groupes dans l'ENT et les ressources attribuées par groupe sont vides.
# custom:
#   id: sts.groups_present
#   severity: error
#   step: 11
#   step_note: étapes 10 et 11 (création des groupes dans EDT, export vers STS-Web)
#   needs: [sts]
#   software: EDT puis STS-Web
#   who: Responsable de l'emploi du temps
#   fix: >-
#     Dans EDT, créer les groupes lors de l'élaboration de l'emploi du temps puis exporter
#     l'emploi du temps vers STS-Web (un seul fichier XML pour la structure et les services) ;
#     dans STS-Web, faire ensuite « Export > Structure » et « Export > Services » vers SIECLE.
#   fix_stage: sts
#   blocked_by: []
package vigie.checks.sts.groups_present

import data.vigie.lib

meta := rego.metadata.chain()[1].annotations.custom

result := {
	"status": "pass",
	"items": [],
	"note": "Non applicable : l'établissement ne travaille pas en groupes.",
} if {
	not lib.uses_groups
} else := lib.unknown(meta.needs) if {
	not lib.all_usable(meta.needs)
} else := lib.verdict(failing)

failing := [lib.item("sts", "source", "aucun groupe dans STS-Web alors que l'établissement travaille en groupes")] if {
	count(lib.sts_groups) == 0
} else := []
