# METADATA
# scope: package
# title: Classes peuplées dans l'annuaire de l'ENT
# description: >-
#   L'annuaire de l'ENT du jour J est transmis au GAR à J+1 : une classe sans élève dans l'ENT
#   est une classe dont les élèves n'auront pas leurs ressources numériques.
# custom:
#   id: ent.classes_populated
#   severity: blocker
#   step: 13
#   needs: [ent]
#   software: Annuaire fédérateur, ENT
#   who: Secrétariat de scolarité (correction en amont), académie
#   fix: >-
#     Attendre l'alimentation de la nuit ; si la classe reste vide, corriger en amont dans
#     SIECLE-BEE (élèves affectés à la division) puis compter jusqu'à 2 jours de
#     synchronisation avant l'ENT.
#   fix_stage: ent
#   blocked_by: [ent.structure_known, siecle.structure_exported, siecle.pupils_in_one_division]
package vigie.checks.ent.classes_populated

import data.vigie.lib

meta := rego.metadata.chain()[1].annotations.custom

result := lib.unknown(meta.needs) if {
	not lib.all_usable(meta.needs)
} else := lib.unknown_because("L'établissement est absent de l'annuaire fédérateur : ses classes ne peuvent pas y être vérifiées.") if {
	not input.facts.ent.structure_found
} else := lib.verdict(failing)

failing := {lib.item(lib.code(k, d), "division", sprintf("aucun élève dans l'annuaire de l'ENT (%s dans SIECLE-BEE)", [lib.plural(d.siecle.pupils, "élève actif", "élèves actifs")])) |
	some k, d in lib.ent_divisions
	d.ent.pupils == 0
}
