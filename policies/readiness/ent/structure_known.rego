# METADATA
# scope: package
# title: Établissement présent dans l'annuaire fédérateur
# description: >-
#   Sans structure pour l'établissement dans l'alimentation de l'annuaire fédérateur, l'ENT ne
#   reçoit ni classes, ni groupes, ni élèves, et le GAR ne reçoit rien pour l'établissement.
# custom:
#   id: ent.structure_known
#   severity: blocker
#   step: 13
#   needs: [ent]
#   software: Annuaire fédérateur (académie)
#   who: Académie (service de l'annuaire fédérateur), sur signalement de l'établissement
#   fix: >-
#     Contacter l'académie (service de l'annuaire fédérateur, DANE) : l'établissement est absent
#     de l'alimentation de l'annuaire ; vérifier aussi que STS-Web et SIECLE-BEE ont bien été
#     ouverts pour l'année.
#   fix_stage: ent
#   blocked_by: []
package vigie.checks.ent.structure_known

import data.vigie.lib

meta := rego.metadata.chain()[1].annotations.custom

result := lib.unknown(meta.needs) if {
	not lib.all_usable(meta.needs)
} else := lib.verdict(failing)

failing := [lib.item(input.uai, "source", "aucune structure pour cet établissement dans l'alimentation de l'annuaire fédérateur")] if {
	not input.facts.ent.structure_found
} else := []
