# METADATA
# scope: package
# title: Aucun élève en double dans SIECLE-BEE
# description: >-
#   Un élève recréé au lieu d'être repris de la base a deux fiches : deux comptes dans l'ENT,
#   dont un sans classe ni groupes, et des ressources attribuées au mauvais compte.
# custom:
#   id: siecle.no_duplicate_pupils
#   severity: error
#   step: 7
#   needs: [siecle]
#   software: SIECLE-BEE
#   who: Secrétariat de scolarité
#   fix: >-
#     Dans SIECLE-BEE, ne jamais recréer un élève déjà présent dans la base académique :
#     garder la fiche d'origine et faire supprimer ou fusionner le doublon (assistance
#     académique si la fusion n'est pas possible dans l'établissement).
#   fix_stage: siecle
#   blocked_by: []
package vigie.checks.siecle.no_duplicate_pupils

import data.vigie.lib

meta := rego.metadata.chain()[1].annotations.custom

result := lib.unknown(meta.needs) if {
	not lib.all_usable(meta.needs)
} else := lib.verdict(failing)

failing := same_ine | same_identity

others(dup, p) := concat(", ", [sprintf("%s [%s]", [o.name, o.id]) | some o in dup.pupils; o.id != p.id])

same_ine := {lib.item(p.id, "pupil", sprintf("%s : même INE %s que %s", [lib.pupil_label(p), dup.key, others(dup, p)])) |
	some dup in input.facts.pupils.duplicate_ine
	some p in dup.pupils
}

same_identity := {lib.item(p.id, "pupil", sprintf("%s : mêmes nom et date de naissance que %s", [lib.pupil_label(p), others(dup, p)])) |
	some dup in input.facts.pupils.duplicate_identity
	some p in dup.pupils
}
