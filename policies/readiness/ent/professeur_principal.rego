# METADATA
# scope: package
# title: Professeur principal présent dans l'annuaire de l'ENT
# description: >-
#   Le professeur principal désigné dans STS-Web doit arriver dans l'ENT : sans lui, la classe
#   n'a pas de référent pour les élèves et les familles dans l'ENT.
# custom:
#   id: ent.professeur_principal
#   severity: warning
#   step: 13
#   needs: [ent]
#   software: STS-Web
#   who: Chef d'établissement
#   fix: >-
#     Dans STS-Web, « Services et ARE > Équipe pédagogique » : désigner le professeur principal,
#     puis « Export > Structure » et « Export > Services » vers SIECLE ; l'ENT le reçoit par
#     l'alimentation de nuit.
#   fix_stage: sts
#   blocked_by: [ent.structure_known, sts.professeur_principal]
package vigie.checks.ent.professeur_principal

import data.vigie.lib

meta := rego.metadata.chain()[1].annotations.custom

result := lib.unknown(meta.needs) if {
	not lib.all_usable(meta.needs)
} else := lib.unknown_because("L'établissement est absent de l'annuaire fédérateur : ses professeurs principaux ne peuvent pas y être vérifiés.") if {
	not input.facts.ent.structure_found
} else := lib.verdict(failing)

failing := {lib.item(lib.code(k, d), "division", "aucun professeur principal dans l'annuaire de l'ENT") |
	some k, d in lib.ent_divisions
	d.ent.principal_links == 0
}
