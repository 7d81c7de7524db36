# METADATA
# scope: package
# title: Groupes de l'an dernier non reconduits
# description: >-
#   Quand les groupes sont gérés dans le logiciel d'emploi du temps, les groupes reconduits à la
#   bascule d'année sont des coquilles vides : ils arrivent sans élève dans l'ENT et au GAR et
#   se mélangent aux vrais groupes de l'année.
# custom:
#   id: campaign.groups_not_carried_over
#   severity: warning
#   step: 1
#   needs: [sts]
#   optional: [siecle]
#   software: STS-Web
#   who: Chef d'établissement ou secrétariat
#   fix: >-
#     Dans STS-Web, « Structure > Groupes » : supprimer les groupes reconduits de l'an dernier
#     qui n'ont pas d'élèves ; à la prochaine bascule d'année, ne pas reconduire les groupes
#     gérés dans l'emploi du temps.
#   fix_stage: sts
#   blocked_by: []
package vigie.checks.campaign.groups_not_carried_over

import data.vigie.lib

meta := rego.metadata.chain()[1].annotations.custom

result := {
	"status": "pass",
	"items": [],
	"note": "Non applicable : les groupes ne sont pas gérés dans le logiciel d'emploi du temps.",
} if {
	not lib.groups_managed_in_edt
} else := lib.unknown(meta.needs) if {
	not lib.all_usable(meta.needs)
} else := lib.unknown_because("Aucun export STS-Web de l'année précédente : les groupes reconduits ne peuvent pas être reconnus.") if {
	not input.facts.history.previous_year_known
} else := lib.verdict(failing) if {
	count(failing) > 0
} else := {
	"status": "unknown",
	"items": [lib.source_item("siecle")],
	"reason": sprintf("Impossible de conclure pour %s de l'an dernier sans effectif calculé dans STS-Web (%s) : %s.", [
		lib.plural(count(unresolved), "groupe", "groupes"),
		concat(", ", sort(unresolved)),
		lib.source_detail("siecle"),
	]),
} if {
	count(unresolved) > 0
} else := {"status": "pass", "items": []}

# The STS groups whose key was a group of last year's export, in one built-in call.
carried_over := object.filter(lib.sts_groups, input.facts.history.previous_year_groups)

# Without a usable SIECLE export, only STS-Web's computed head count tells an empty group, and
# STS-Web rarely gives one for groups.
unresolved := {lib.code(k, g) |
	not lib.usable("siecle")
	some k, g in carried_over
	not is_number(g.sts.computed)
}

failing := {lib.item(lib.code(k, g), "group", "groupe déjà présent l'an dernier, sans élève actif dans SIECLE-BEE") |
	lib.usable("siecle")
	some k, g in carried_over
	g.siecle.pupils == 0
} | {lib.item(lib.code(k, g), "group", "groupe déjà présent l'an dernier, effectif calculé 0 dans STS-Web") |
	not lib.usable("siecle")
	some k, g in carried_over
	g.sts.computed == 0
}
