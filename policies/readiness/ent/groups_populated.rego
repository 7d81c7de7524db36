# METADATA
# scope: package
# title: Groupes peuplés dans l'annuaire de l'ENT
# description: >-
#   Un groupe vide dans l'ENT est transmis vide au GAR à J+1 : les élèves du groupe ouvrent
#   leurs manuels numériques et n'y trouvent rien.
# custom:
#   id: ent.groups_populated
#   severity: blocker
#   step: 13
#   needs: [ent]
#   software: EDT, SIECLE-BEE puis annuaire fédérateur
#   who: Responsable de l'emploi du temps et secrétariat de scolarité (correction en amont)
#   fix: >-
#     Corriger en amont : importer les liens élèves-groupes dans SIECLE-BEE (EDT, « Imports/Exports
#     > SIECLE > Exporter les liens élèves/groupes », puis SIECLE-BEE, « Importations > Lien
#     élève-groupe depuis logiciel privé ») ; le groupe se peuple dans l'ENT après
#     l'alimentation de nuit.
#   fix_stage: links
#   blocked_by: [ent.structure_known, siecle.groups_populated, links.imported]
package vigie.checks.ent.groups_populated

import data.vigie.lib

meta := rego.metadata.chain()[1].annotations.custom

result := lib.unknown(meta.needs) if {
	not lib.all_usable(meta.needs)
} else := lib.unknown_because("L'établissement est absent de l'annuaire fédérateur : ses groupes ne peuvent pas y être vérifiés.") if {
	not input.facts.ent.structure_found
} else := lib.verdict(failing)

failing := {lib.item(lib.code(k, g), "group", sprintf("aucun élève dans l'annuaire de l'ENT (%s dans SIECLE-BEE)", [lib.plural(g.siecle.pupils, "élève actif", "élèves actifs")])) |
	some k, g in lib.ent_groups
	g.ent.pupils == 0
}
