# METADATA
# scope: package
# title: Effectifs des divisions identiques dans SIECLE-BEE et STS-Web
# description: >-
#   Quand SIECLE-BEE et STS-Web ne comptent pas les mêmes élèves dans une division, l'une des
#   deux bases est fausse : des élèves risquent de manquer dans leur classe de l'ENT.
# custom:
#   id: siecle.division_headcount
#   severity: warning
#   step: 7
#   needs: [sts, siecle]
#   software: SIECLE-BEE et STS-Web
#   who: Secrétariat de scolarité
#   fix: >-
#     Rapprocher les deux bases : dans SIECLE-BEE, vérifier les élèves affectés à la division ;
#     dans STS-Web, corriger l'effectif de la division (« Structure > Divisions ») puis
#     « Export > Structure » vers SIECLE.
#   fix_stage: siecle
#   blocked_by: [siecle.structure_exported, siecle.pupils_in_one_division]
package vigie.checks.siecle.division_headcount

import data.vigie.lib

meta := rego.metadata.chain()[1].annotations.custom

result := lib.unknown(meta.needs) if {
	not lib.all_usable(meta.needs)
} else := lib.verdict(failing)

# The reference is STS-Web's computed head count when it has one, else the planned one.
# A division whose SIECLE-BEE pupils are exactly STS-Web's computed head count (nearly every
# one) passes whatever the tolerance, unless that count is 0 (the planned one is then the
# reference): they are picked by unification, the cheapest test, and the passes below look
# at the others only.
agreeing := {k | some k, d in lib.sts_divisions; d.siecle.pupils == d.sts.computed}

without_pupils := {k | some k, d in lib.sts_divisions; d.siecle.pupils == 0}

checked := (lib.sts_division_keys - agreeing) | without_pupils

with_computed := {k | some k in checked; d := lib.sts_divisions[k]; is_number(d.sts.computed); d.sts.computed > 0}

failing := {lib.item(lib.code(k, d), "division", detail(d, "calculé", ref)) |
	least := lib.tolerance_min
	some k in with_computed
	d := lib.sts_divisions[k]
	abs(d.siecle.pupils - d.sts.computed) > least
	ref := d.sts.computed
	(abs(d.siecle.pupils - ref) - 1) * 100 >= lib.tolerance_pct * ref
} | {lib.item(lib.code(k, d), "division", detail(d, "prévu", ref)) |
	least := lib.tolerance_min
	some k in (checked - with_computed)
	d := lib.sts_divisions[k]
	abs(d.siecle.pupils - d.sts.planned) > least
	ref := d.sts.planned
	(abs(d.siecle.pupils - ref) - 1) * 100 >= lib.tolerance_pct * ref
}

detail(d, label, ref) := sprintf("%s dans SIECLE-BEE pour un effectif %s de %d dans STS-Web (écart %d, tolérance %d)", [
	lib.plural(d.siecle.pupils, "élève actif", "élèves actifs"), label, ref, abs(d.siecle.pupils - ref), lib.allowed(ref),
])
