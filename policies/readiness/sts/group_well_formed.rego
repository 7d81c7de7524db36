# METADATA
# scope: package
# title: Groupes bien formés dans STS-Web
# description: >-
#   Un groupe rattaché à aucune division existante, sans effectif prévu ou sans service arrive
#   mal dans SIECLE-BEE et l'ENT : ses élèves ou ses enseignants n'y sont pas reliés.
# custom:
#   id: sts.group_well_formed
#   severity: warning
#   step: 11
#   needs: [sts]
#   software: EDT puis STS-Web
#   who: Responsable de l'emploi du temps
#   fix: >-
#     Dans EDT, rattacher le groupe à ses divisions, renseigner son effectif prévu et ses
#     services, puis refaire l'export de l'emploi du temps vers STS-Web.
#   fix_stage: sts
#   blocked_by: [sts.groups_present]
package vigie.checks.sts.group_well_formed

import data.vigie.lib

meta := rego.metadata.chain()[1].annotations.custom

result := lib.unknown(meta.needs) if {
	not lib.all_usable(meta.needs)
} else := lib.verdict(failing)

failing := {lib.item(lib.code(k, g), "group", concat(" ; ", problems(g))) |
	some k in malformed
	g := lib.sts_groups[k]
}

# Cheap tests on every group first, the first division it lists standing for all of them:
# nearly always STS-Web has it. The few other groups are looked at closely, and the wording
# is built for the malformed ones only.
plain := {k |
	divisions := lib.sts_divisions
	some k, g in lib.sts_groups
	g.sts.planned > 0
	g.sts.services > 0
	divisions[g.sts.divisions[0]]
}

malformed := {k |
	some k in (lib.sts_group_keys - plain)
	g := lib.sts_groups[k]
	not well_formed(g)
}

well_formed(g) if {
	g.sts.planned > 0
	g.sts.services > 0
	existing_division(g)
}

problems(g) := array.concat(array.concat(division_problem(g), planned_problem(g)), service_problem(g))

listed_divisions(g) := [dk | some dk in g.sts.divisions]

existing_division(g) if {
	some dk in g.sts.divisions
	lib.sts_divisions[dk]
}

division_problem(g) := [] if {
	existing_division(g)
} else := ["rattaché à aucune division"] if {
	count(listed_divisions(g)) == 0
} else := [sprintf("rattaché à des divisions absentes de STS-Web (%s)", [concat(", ", listed_divisions(g))])]

planned_problem(g) := ["effectif prévu à 0"] if {
	g.sts.planned == 0
} else := []

service_problem(g) := ["aucun service"] if {
	g.sts.services == 0
} else := []
