# METADATA
# scope: package
# title: Chaque élève actif dans une seule division
# description: >-
#   L'annuaire rattache chaque élève à sa division : un élève sans division n'a pas de classe
#   dans l'ENT ni les ressources de sa classe ; un élève dans plusieurs divisions apparaît en
#   double ou au mauvais endroit.
# custom:
#   id: siecle.pupils_in_one_division
#   severity: error
#   step: 7
#   needs: [siecle]
#   software: SIECLE-BEE
#   who: Secrétariat de scolarité
#   fix: >-
#     Dans SIECLE-BEE, ouvrir la fiche de chaque élève cité (« Fiches élèves ») et l'affecter à
#     une seule division (« Affectation »).
#   fix_stage: siecle
#   blocked_by: [siecle.structure_exported]
package vigie.checks.siecle.pupils_in_one_division

import data.vigie.lib

meta := rego.metadata.chain()[1].annotations.custom

result := lib.unknown(meta.needs) if {
	not lib.all_usable(meta.needs)
} else := lib.verdict(failing)

failing := no_division | several_divisions

no_division := {lib.item(p.id, "pupil", sprintf("%s : aucune division", [p.name])) |
	some p in input.facts.pupils.no_division
}

several_divisions := {lib.item(p.id, "pupil", detail) |
	some p in input.facts.pupils.several_divisions
	divisions := [d | some d in p.divisions]
	detail := sprintf("%s : %d divisions (%s)", [p.name, count(divisions), concat(", ", divisions)])
}
