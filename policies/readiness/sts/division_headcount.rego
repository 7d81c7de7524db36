# METADATA
# scope: package
# title: Effectifs des divisions cohérents dans STS-Web
# description: >-
#   Un effectif prévu à 0 ou très différent de l'effectif calculé signale une division mal
#   saisie ou des élèves mal inscrits : les comptes et les ressources des élèves concernés
#   risquent de manquer à la rentrée.
# custom:
#   id: sts.division_headcount
#   severity: warning
#   step: 5
#   needs: [sts]
#   software: STS-Web
#   who: Secrétariat
#   fix: >-
#     Dans STS-Web, menu « Structure > Divisions » : corriger l'effectif prévu des divisions
#     citées ; vérifier les inscriptions des élèves dans SIECLE-BEE ; puis « Export > Structure »
#     vers SIECLE.
#   fix_stage: sts
#   blocked_by: [sts.divisions_present]
package vigie.checks.sts.division_headcount

import data.vigie.lib

meta := rego.metadata.chain()[1].annotations.custom

result := lib.unknown(meta.needs) if {
	not lib.all_usable(meta.needs)
} else := lib.verdict(failing)

failing := planned_zero | off_tolerance

planned_zero := {lib.item(lib.code(k, d), "division", detail) |
	some k, d in lib.sts_divisions
	d.sts.planned == 0
	detail := "effectif prévu à 0"
}

off_tolerance := {lib.item(lib.code(k, d), "division", detail) |
	least := lib.tolerance_min
	some k, d in lib.sts_divisions
	is_number(d.sts.computed)
	abs(d.sts.computed - d.sts.planned) > least
	d.sts.planned > 0
	diff := abs(d.sts.computed - d.sts.planned)
	(diff - 1) * 100 >= lib.tolerance_pct * d.sts.planned
	detail := sprintf("effectif calculé %d pour %d prévus (écart %d, tolérance %d)", [
		d.sts.computed, d.sts.planned,
		abs(d.sts.computed - d.sts.planned), lib.allowed(d.sts.planned),
	])
}
