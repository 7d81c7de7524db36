# METADATA
# scope: package
# title: Professeur principal désigné dans chaque division
# description: >-
#   Le professeur principal est transmis de STS-Web à SIECLE-BEE puis à l'ENT : sans lui, la
#   division n'a pas de référent dans l'ENT et certaines ressources attribuées par classe
#   restent sans responsable.
# custom:
#   id: sts.professeur_principal
#   severity: error
#   step: 5
#   needs: [sts]
#   software: STS-Web
#   who: Chef d'établissement
#   fix: >-
#     Dans STS-Web, menu « Services et ARE > Équipe pédagogique » : désigner le professeur
#     principal de chaque division citée (dates de début et de fin comprises), puis exporter
#     vers SIECLE avec « Export > Structure » et « Export > Services ».
#   fix_stage: sts
#   blocked_by: [sts.divisions_present]
package vigie.checks.sts.professeur_principal

import data.vigie.lib

meta := rego.metadata.chain()[1].annotations.custom

result := lib.unknown(meta.needs) if {
	not lib.all_usable(meta.needs)
} else := lib.verdict(failing)

failing := {lib.item(lib.code(k, d), "division", detail(d)) |
	some k in (lib.sts_division_keys - with_pp)
	d := lib.sts_divisions[k]
}

# Divisions with a PP active today (start <= today <= end, dates compared on their first 10
# characters), in one pass. An empty start date sorts before any date. An empty end date means
# open: suffixed with "~", which sorts after every digit, it is after any date, while
# "2026-10-04~" stays before "2026-10-05". An end longer than a date needs no cutting: it
# sorts after today exactly when its first 10 characters do not sort before it. Today is read
# once, outside the pass.
with_pp := {k |
	today := input.today
	some k, d in lib.sts_divisions
	some pp in d.sts.pp
	substring(pp.start, 0, 10) <= today
	concat("", [pp.end, "~"]) >= today
}

assignments(d) := [pp | some pp in d.sts.pp]

detail(d) := "aucun professeur principal désigné" if {
	count(assignments(d)) == 0
} else := sprintf("aucun professeur principal en fonction le %s (%s)", [
	lib.today_fr,
	lib.plural(count(assignments(d)), "désignation hors de ses dates", "désignations hors de leurs dates"),
])
