# METADATA
# scope: package
# title: Effectifs de l'ENT conformes à SIECLE-BEE
# description: >-
#   Une fois la synchronisation passée (jusqu'à 2 jours), l'ENT doit compter les mêmes élèves
#   que SIECLE-BEE dans chaque classe et chaque groupe ; un écart montre que des élèves se
#   perdent entre SIECLE-BEE et l'ENT et n'auront pas leurs ressources au GAR.
# custom:
#   id: ent.matches_siecle
#   severity: error
#   step: 13
#   needs: [ent, siecle]
#   software: SIECLE-BEE, annuaire fédérateur, ENT
#   who: Établissement avec l'académie
#   fix: >-
#     Chercher le premier maillon de la chaîne où des élèves disparaissent (STS-Web, SIECLE-BEE,
#     annuaire fédérateur, ENT) ; si SIECLE-BEE est juste, signaler l'écart à l'académie
#     (annuaire fédérateur).
#   fix_stage: ent
#   blocked_by: [ent.structure_known, ent.classes_populated, ent.groups_populated]
package vigie.checks.ent.matches_siecle

import data.vigie.lib

meta := rego.metadata.chain()[1].annotations.custom

# The SIECLE export must be older than the ENT extraction by the synchronisation delay for a
# difference to be a fault rather than data still on its way.
settled if lib.export_ns.ent - lib.export_ns.siecle >= lib.sync_delay_days * lib.ns_per_day

result := lib.unknown(meta.needs) if {
	not lib.all_usable(meta.needs)
} else := lib.unknown_because("L'établissement est absent de l'annuaire fédérateur : ses effectifs ne peuvent pas y être comparés.") if {
	not input.facts.ent.structure_found
} else := lib.verdict(failing) if {
	settled
} else := {
	"status": "unknown",
	"items": failing,
	"reason": sprintf("Synchronisation en cours : l'export SIECLE-BEE (%s) a moins de %d jours d'avance sur l'extraction de l'annuaire (%s) ; %s à confirmer.", [
		lib.fr_datetime(lib.export_ns.siecle),
		lib.sync_delay_days,
		lib.fr_datetime(lib.export_ns.ent),
		lib.plural(count(failing), "écart", "écarts"),
	]),
} if {
	count(failing) > 0
} else := {"status": "pass", "items": []}

failing := division_gaps | group_gaps

# The elements whose counts agree are picked by unification, the cheapest test; the gaps are
# the others, one set difference away.
division_gaps := {lib.item(lib.code(k, d), "division", detail(d)) |
	some k in (object.keys(lib.divisions) - agreeing_divisions)
	d := lib.divisions[k]
}

group_gaps := {lib.item(lib.code(k, g), "group", detail(g)) |
	some k in (object.keys(lib.groups) - agreeing_groups)
	g := lib.groups[k]
}

agreeing_divisions := {k | some k, d in lib.divisions; d.ent.pupils == d.siecle.pupils}

agreeing_groups := {k | some k, g in lib.groups; g.ent.pupils == g.siecle.pupils}

detail(s) := sprintf("%s dans l'ENT, %s dans SIECLE-BEE", [
	lib.plural(s.ent.pupils, "élève", "élèves"),
	lib.plural(s.siecle.pupils, "élève actif", "élèves actifs"),
])
