# METADATA
# scope: package
# title: Élèves actifs identifiés par leur INE
# description: >-
#   L'INE relie l'élève d'une base à l'autre jusqu'à l'ENT ; sans INE, son compte peut être
#   mal rapproché ou créé en double.
# custom:
#   id: siecle.pupils_identified
#   severity: warning
#   step: 7
#   needs: [siecle]
#   software: SIECLE-BEE
#   who: Secrétariat de scolarité
#   fix: >-
#     Dans SIECLE-BEE, compléter l'INE de chaque élève cité sur sa fiche ; à défaut, demander
#     son immatriculation au RNIE.
#   fix_stage: siecle
#   blocked_by: []
package vigie.checks.siecle.pupils_identified

import data.vigie.lib

meta := rego.metadata.chain()[1].annotations.custom

result := lib.unknown(meta.needs) if {
	not lib.all_usable(meta.needs)
} else := lib.verdict(failing)

failing := {lib.item(p.id, "pupil", sprintf("%s : INE absent", [lib.pupil_label(p)])) |
	some p in input.facts.pupils.missing_ine
}
