# METADATA
# scope: package
# title: Effectifs des groupes conformes aux prévisions
# description: >-
#   Un groupe dont l'effectif réel s'écarte nettement de l'effectif prévu a des élèves mal
#   rattachés : ceux qui manquent n'auront pas les ressources du groupe dans l'ENT.
# custom:
#   id: sts.group_headcount
#   severity: warning
#   step: 12
#   needs: [sts]
#   optional: [siecle]
#   software: EDT puis SIECLE-BEE
#   who: Responsable de l'emploi du temps
#   fix: >-
#     Vérifier les liens élèves-groupes. Dans EDT, « Imports/Exports > SIECLE > Exporter les
#     liens élèves/groupes », puis dans SIECLE-BEE « Importations > Lien élève-groupe depuis
#     logiciel privé » ; corriger l'effectif prévu du groupe dans EDT si c'est lui qui est faux.
#   fix_stage: links
#   blocked_by: [sts.groups_present, siecle.groups_populated]
package vigie.checks.sts.group_headcount

import data.vigie.lib

meta := rego.metadata.chain()[1].annotations.custom

result := lib.unknown(meta.needs) if {
	not lib.all_usable(meta.needs)
} else := lib.verdict(failing) if {
	count(failing) > 0
} else := {
	"status": "unknown",
	"items": [lib.source_item("siecle")],
	"reason": sprintf("Impossible de conclure pour %s sans effectif calculé dans STS-Web (%s) : %s.", [
		lib.plural(count(unresolved), "groupe", "groupes"),
		concat(", ", sort(unresolved)),
		lib.source_detail("siecle"),
	]),
} if {
	count(unresolved) > 0
} else := {"status": "pass", "items": []}

failing := by_computed | by_siecle

# One pass over the STS groups picks those without a computed head count (usually all of them,
# for groups): a unification is the cheapest test. Planned 0 groups are left to
# sts.group_well_formed. Library values are read once, outside the passes.
without_computed := {k | some k, g in lib.sts_groups; g.sts.computed == null}

by_computed := {lib.item(lib.code(k, g), "group", detail) |
	some k in (lib.sts_group_keys - without_computed)
	g := lib.sts_groups[k]
	g.sts.planned > 0
	diff := abs(g.sts.computed - g.sts.planned)
	diff > lib.tolerance_min
	(diff - 1) * 100 >= lib.tolerance_pct * g.sts.planned
	detail := sprintf("effectif calculé %d pour %d prévus dans STS-Web (écart %d, tolérance %d)", [
		g.sts.computed, g.sts.planned, diff, lib.allowed(g.sts.planned),
	])
}

by_siecle := {lib.item(lib.code(k, g), "group", detail) |
	lib.usable("siecle")
	least := lib.tolerance_min
	some k, g in lib.sts_groups
	abs(g.siecle.pupils - g.sts.planned) > least
	g.sts.computed == null
	g.sts.planned > 0
	diff := abs(g.siecle.pupils - g.sts.planned)
	(diff - 1) * 100 >= lib.tolerance_pct * g.sts.planned
	detail := sprintf("%s dans SIECLE-BEE pour %s (écart %d, tolérance %d)", [
		lib.plural(g.siecle.pupils, "élève actif", "élèves actifs"), lib.plural(g.sts.planned, "prévu", "prévus"), diff, lib.allowed(g.sts.planned),
	])
}

unresolved := {lib.code(k, g) |
	not lib.usable("siecle")
	some k in without_computed
	g := lib.sts_groups[k]
	g.sts.planned > 0
}
