package vigie.campaign_test

import data.vigie.campaign

all_checks := [
	"sts.divisions_present", "sts.professeur_principal", "sts.pedagogical_team", "sts.groups_present",
	"siecle.structure_exported", "siecle.pupils_in_one_division", "siecle.no_duplicate_pupils",
	"siecle.groups_populated", "links.imported", "ent.structure_known", "ent.classes_populated",
	"ent.groups_populated", "campaign.groups_not_carried_over",
]

source(exported_at) := {"file": "f", "exported_at": exported_at, "imported_at": "2026-09-15T06:00:00Z", "school_year": 2026}

# base: a lycée whose files show every step but 2 (shown through 3) done.
base := {
	"uai": "0790029C",
	"school_year": 2026,
	"now": "2026-09-16T05:30:00+02:00",
	"today": "2026-09-16",
	"school": {"uai": "0790029C", "kind": "lycee", "uses_groups": null},
	"report": {"status": "ready", "checks": {id: {"status": "pass", "items": 0} | some id in all_checks}},
	"facts": {
		"version": 1,
		"uai": "0790029C",
		"school_year": 2026,
		"sources": {
			"sts": source("2026-09-10T08:00:00Z"),
			"siecle": source("2026-09-12T08:00:00Z"),
			"siecle_nomenclature": source("2026-07-01T08:00:00Z"),
			"links": source("2026-09-14T16:00:00Z"),
			"ent": {"file": "aaf", "exported_at": "2026-09-15T00:00:00Z", "imported_at": "2026-09-15T02:00:00Z"},
		},
		"divisions": {"2NDE1": {"code": "2NDE1", "sts": {"present": true, "mefs": ["20010018110"], "services": 10}}},
		"groups": {"2NDE1 AGL1": {"code": "2NDE1 AGL1", "sts": {"present": true}}},
		"pupils": {"active": 35, "links_listed": 35},
	},
}

with_check(id, st, n) := json.patch(base, [{"op": "replace", "path": sprintf("/report/checks/%s", [id]), "value": {"status": st, "items": n}}])

obs(inp, step) := o if {
	found := campaign.observations with input as inp
	some o in found
	o.step == step
}

test_every_step_done_from_the_files if {
	found := campaign.observations with input as base
	steps := {o.step | some o in found; o.state == "done"}
	steps == {n | some n in numbers.range(1, 13)}
}

test_evidence_and_time if {
	o := obs(base, 5)
	o.evidence == "1 division dans STS-Web (export du 10/09/2026)"
	o.at == "2026-09-10T08:00:00Z"
	obs(base, 12).at == "2026-09-14T16:00:00Z"
	obs(base, 1).evidence == "Export STS-Web de l'année 2026-2027 du 10/09/2026"
	obs(base, 9).evidence == "Déduite de l'étape 12 : le fichier de liens d'EDT du 14/09/2026 nomme 35 élèves"
}

test_rollover_not_done_with_last_years_sts if {
	inp := json.patch(base, [{"op": "replace", "path": "/facts/sources/sts/school_year", "value": 2025}])
	o := obs(inp, 1)
	o.state == "not_started"
	contains(o.evidence, "bascule non faite")
	not obs(inp, 4)
}

test_rollover_carried_over_groups if {
	o := obs(with_check("campaign.groups_not_carried_over", "fail", 3), 1)
	o.state == "in_progress"
	o.evidence == "3 groupes de l'an dernier reconduits dans STS-Web alors que les groupes sont gérés dans EDT : à supprimer"
}

test_nomenclatures_from_sts_only if {
	inp := json.patch(base, [{"op": "remove", "path": "/facts/sources/siecle_nomenclature"}])
	obs(inp, 3).evidence == "Déduite de l'étape 4 : les nomenclatures sont dans STS-Web"
	obs(inp, 2).state == "done"
}

test_nothing_known_without_files if {
	inp := {"uai": "0790029C", "school_year": 2026, "now": "2026-09-16T05:30:00+02:00", "facts": {"sources": {}}, "report": {"checks": {}}}
	count(campaign.observations) == 0 with input as inp
}

test_divisions_missing if {
	obs(with_check("sts.divisions_present", "fail", 1), 5).state == "not_started"
}

test_structure_not_exported if {
	o := obs(with_check("siecle.structure_exported", "fail", 4), 6)
	o.state == "in_progress"
	startswith(o.evidence, "4 divisions ou groupes différents entre STS-Web")
	o.at == "2026-09-12T08:00:00Z"
}

test_structure_unknown_says_nothing if {
	not obs(with_check("siecle.structure_exported", "unknown", 1), 6)
}

test_pupils if {
	o := obs(with_check("siecle.no_duplicate_pupils", "fail", 2), 7)
	o.state == "in_progress"
	o.evidence == "35 élèves actifs dans SIECLE-BEE, dont 2 anomalies : élève sans division ou dans plusieurs, ou en double"
	one := json.patch(with_check("siecle.pupils_in_one_division", "fail", 1), [{"op": "replace", "path": "/facts/pupils/active", "value": 1}])
	startswith(obs(one, 7).evidence, "1 élève actif dans SIECLE-BEE, dont 1 anomalie :")
	empty := json.patch(base, [{"op": "replace", "path": "/facts/pupils/active", "value": 0}])
	obs(empty, 7).state == "not_started"
}

test_timetable_and_exports_to_edt if {
	inp := json.patch(with_check("sts.pedagogical_team", "fail", 2), [{"op": "replace", "path": "/facts/groups", "value": {}}])
	obs(inp, 11).state == "in_progress"
	not obs(inp, 10)
	not obs(inp, 8)
	none := json.patch(inp, [{"op": "replace", "path": "/facts/divisions/2NDE1/sts/services", "value": 0}])
	obs(none, 11).state == "not_started"
	nogroups := with_check("sts.groups_present", "fail", 1)
	obs(json.patch(nogroups, [{"op": "replace", "path": "/facts/groups", "value": {}}]), 10).state == "not_started"
}

test_college_without_groups if {
	inp := json.patch(base, [{"op": "replace", "path": "/facts/groups", "value": {}}])
	obs(inp, 10).evidence == "Établissement sans groupes : emploi du temps remonté dans STS-Web"
	obs(inp, 8).state == "done"
}

test_links if {
	changed := obs(with_check("links.imported", "fail", 1), 12)
	changed.state == "in_progress"
	contains(changed.evidence, "réexporter les liens")
	waiting := obs(with_check("siecle.groups_populated", "fail", 3), 12)
	waiting.state == "in_progress"
	contains(waiting.evidence, "reçu ; 3 groupes encore vides dans SIECLE-BEE")
	nolinks := json.patch(with_check("siecle.groups_populated", "fail", 3), [{"op": "remove", "path": "/facts/sources/links"}])
	obs(nolinks, 12).state == "not_started"
	obs(nolinks, 12).evidence == "Aucun fichier de liens et 3 groupes vides dans SIECLE-BEE"
	not obs(nolinks, 9)
}

test_ent if {
	obs(with_check("ent.structure_known", "fail", 1), 13).state == "not_started"
	o := obs(with_check("ent.groups_populated", "fail", 2), 13)
	o.state == "in_progress"
	o.evidence == "Annuaire fédérateur du 15/09/2026 : 0 classe et 2 groupes sans élève"
	not obs(with_check("ent.structure_known", "unknown", 1), 13)
}

test_export_to_edt_from_groups if {
	o := obs(with_check("sts.pedagogical_team", "fail", 1), 8)
	o.state == "done"
	startswith(o.evidence, "Déduite de l'étape 10")
}

test_plural_agrees_in_french if {
	campaign.plural(0, "groupe vide", "groupes vides") == "0 groupe vide"
	campaign.plural(1, "groupe vide", "groupes vides") == "1 groupe vide"
	campaign.plural(2, "groupe vide", "groupes vides") == "2 groupes vides"
	obs(base, 10).evidence == "1 groupe construit dans EDT et présent dans STS-Web"
	obs(with_check("sts.pedagogical_team", "fail", 1), 11).evidence == "1 division sans service avec enseignant dans STS-Web"
}
