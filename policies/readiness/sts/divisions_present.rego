# METADATA
# scope: package
# title: Divisions présentes dans STS-Web
# description: >-
#   Les divisions (classes) de STS-Web descendent vers SIECLE-BEE, l'annuaire fédérateur, l'ENT
#   puis le GAR. Sans division, aucun élève n'a de classe dans l'ENT et les ressources
#   numériques (manuels) ne peuvent être attribuées à personne.
# custom:
#   id: sts.divisions_present
#   severity: blocker
#   step: 5
#   needs: [sts]
#   software: STS-Web
#   who: Chef d'établissement ou secrétariat
#   fix: >-
#     Dans STS-Web, menu « Structure > Divisions » : créer ou vérifier les divisions de l'année
#     avec leurs effectifs, puis exporter vers SIECLE avec « Export > Structure » et
#     « Export > Services ».
#   fix_stage: sts
#   blocked_by: []
package vigie.checks.sts.divisions_present

import data.vigie.lib

meta := rego.metadata.chain()[1].annotations.custom

result := lib.unknown(meta.needs) if {
	not lib.all_usable(meta.needs)
} else := lib.verdict(failing)

failing := [lib.item("sts", "source", "aucune division dans l'export STS-Web")] if {
	count(lib.sts_divisions) == 0
} else := []
