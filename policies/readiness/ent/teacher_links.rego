# METADATA
# scope: package
# title: Enseignants reliés aux classes et aux groupes dans l'ENT
# description: >-
#   Les liens enseignant-matière de l'ENT permettent aux enseignants de voir leurs classes et
#   leurs groupes et de leur affecter des ressources au GAR ; sans eux, l'enseignant ne voit
#   pas ses élèves.
# custom:
#   id: ent.teacher_links
#   severity: warning
#   step: 13
#   needs: [ent]
#   software: EDT puis STS-Web
#   who: Responsable de l'emploi du temps
#   fix: >-
#     Dans EDT, remonter les services vers STS-Web ; dans STS-Web, vérifier « Services et ARE >
#     Équipe pédagogique » puis faire « Export > Services » vers SIECLE ; l'ENT reçoit les liens
#     par l'alimentation de nuit.
#   fix_stage: sts
#   blocked_by: [ent.structure_known, sts.pedagogical_team]
package vigie.checks.ent.teacher_links

import data.vigie.lib

meta := rego.metadata.chain()[1].annotations.custom

result := lib.unknown(meta.needs) if {
	not lib.all_usable(meta.needs)
} else := lib.unknown_because("L'établissement est absent de l'annuaire fédérateur : ses liens enseignants ne peuvent pas y être vérifiés.") if {
	not input.facts.ent.structure_found
} else := lib.verdict(failing)

failing := division_gaps | group_gaps

division_gaps := {lib.item(lib.code(k, d), "division", "aucun lien enseignant-matière dans l'annuaire de l'ENT") |
	some k, d in lib.ent_divisions
	d.ent.teacher_links == 0
}

group_gaps := {lib.item(lib.code(k, g), "group", "aucun lien enseignant-matière dans l'annuaire de l'ENT") |
	some k, g in lib.ent_groups
	g.ent.teacher_links == 0
}
