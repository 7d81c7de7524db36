# METADATA
# scope: package
# title: Structure de STS-Web exportée vers SIECLE-BEE
# description: >-
#   SIECLE-BEE ne connaît que les divisions et les groupes que STS-Web lui a exportés. Une
#   division ou un groupe absent de SIECLE-BEE ne peut pas recevoir d'élèves et n'arrivera
#   jamais dans l'ENT ; une structure supprimée de STS-Web mais restée dans SIECLE-BEE y garde
#   des élèves à tort.
# custom:
#   id: siecle.structure_exported
#   severity: error
#   step: 6
#   needs: [sts, siecle]
#   optional: [siecle_structures]
#   software: STS-Web
#   who: Chef d'établissement ou secrétariat
#   fix: >-
#     Dans STS-Web, après chaque modification (import EDT, services, professeurs principaux,
#     divisions, groupes) : « Export > Structure » et « Export > Services » à destination de
#     SIECLE. La synchronisation peut prendre jusqu'à 2 jours ; les erreurs sont consignées dans
#     SIECLE-BEE, « Suivi des échanges > STS-Web - Structures ».
#   fix_stage: sts
#   blocked_by: [sts.divisions_present]
package vigie.checks.siecle.structure_exported

import data.vigie.lib

meta := rego.metadata.chain()[1].annotations.custom

result := lib.unknown(meta.needs) if {
	not lib.all_usable(meta.needs)
} else := object.union(lib.verdict(failing), {"basis": basis})

# With Structures.xml usable, SIECLE's own list of structures is compared exactly, both ways;
# without it, the pupils of the SIECLE export show which divisions and groups SIECLE has.
basis := "structures" if {
	lib.usable("siecle_structures")
} else := "eleves"

basis_label := {
	"structures": "d'après Structures.xml",
	"eleves": "d'après les élèves de SIECLE-BEE, Structures.xml n'étant pas utilisable",
}

failing := ((missing_divisions | missing_groups) | extra_divisions) | extra_groups

# Keys of the divisions and groups SIECLE-BEE has, on the basis in use.
siecle_divisions := {k | some k, d in lib.divisions; d.siecle.in_structures} if {
	basis == "structures"
} else := {k | some k, d in lib.divisions; d.siecle.pupils_all > 0}

siecle_groups := {k | some k, g in lib.groups; g.siecle.in_structures} if {
	basis == "structures"
} else := {k | some k, g in lib.groups; g.siecle.pupils_all > 0}

# Set differences of keys: one built-in call each, where a test per division or group is many.
missing_divisions := {lib.item(lib.code(k, d), "division", sprintf("division absente de SIECLE-BEE (%s)", [basis_label[basis]])) |
	some k in (lib.sts_division_keys - siecle_divisions)
	d := lib.sts_divisions[k]
}

# Groups with no SIECLE pupil are left to siecle.groups_populated when only the pupils are known.
missing_groups := {lib.item(lib.code(k, g), "group", sprintf("groupe absent de SIECLE-BEE (%s)", [basis_label[basis]])) |
	basis == "structures"
	some k in (lib.sts_group_keys - siecle_groups)
	g := lib.sts_groups[k]
}

extra_divisions := {lib.item(lib.code(k, d), "division", sprintf("division présente dans SIECLE-BEE mais plus dans STS-Web (%s)", [basis_label[basis]])) |
	some k in (siecle_divisions - lib.sts_division_keys)
	d := lib.divisions[k]
}

extra_groups := {lib.item(lib.code(k, g), "group", sprintf("groupe présent dans SIECLE-BEE mais plus dans STS-Web (%s)", [basis_label[basis]])) |
	some k in (siecle_groups - lib.sts_group_keys)
	g := lib.groups[k]
}
