package vigie.checks.links.imported

import data.vigie.testdata

test_pass if {
	result.status == "pass" with input as testdata.base
}

test_fail_links_before_groups_changed if {
	inp := testdata.with_facts({"history": {"sts_groups_changed_at": "2026-10-02T06:30:00Z"}})
	r := result with input as inp
	r.status == "fail"
	r.items == [{
		"code": "0790029CELEGROUPE2026261001090000.xml",
		"kind": "source",
		"detail": "dernier fichier de liens exporté d'EDT le 01/10/2026 à 11 h 00, avant la dernière modification des groupes dans STS-Web (02/10/2026 à 8 h 30)",
	}]
}

# Without evidence of a change (a single STS-Web export, or the same groups in the earlier
# ones), the STS-Web export time never stands for it: the links file's content decides.
unknown_change := {"history": {"sts_groups_changed_at": "0001-01-01T00:00:00Z"}}

new_group(code, planned, divs) := object.union(testdata.group(code, "2NDE1", planned), {
	"sts": {"planned": planned, "divisions": divs},
	"siecle": {"pupils": 0, "pupils_all": 0},
	"links": {"present": false, "pupils": 0},
	"ent": {"pupils": 0},
})

test_unknown_change_every_group_in_links_passes_with_note if {
	r := result with input as testdata.with_facts(unknown_change)
	r.status == "pass"
	r.items == []
	r.note == "Date de la dernière modification des groupes inconnue (aucun export STS-Web antérieur de l'année avec d'autres groupes) : le dernier fichier de liens, exporté le 01/10/2026 à 11 h 00 avant l'export STS-Web du 02/10/2026 à 10 h 00, contient chacun des groupes de STS-Web ayant un effectif prévu ou une division (2 groupes)."
}

test_unknown_change_without_history_value_passes_with_note if {
	inp := json.remove(testdata.base, ["facts/history/sts_groups_changed_at"])
	r := result with input as inp
	r.status == "pass"
	r.note
}

test_unknown_change_new_group_absent_from_links_fails if {
	inp := testdata.with_facts(object.union(unknown_change, {"groups": {"2NDE1 ESP2": new_group("2NDE1 ESP2", 12, ["2NDE1"])}}))
	r := result with input as inp
	r.status == "fail"
	r.items == {{
		"code": "2NDE1 ESP2",
		"kind": "group",
		"detail": "groupe créé dans STS-Web après l'export des liens : absent du dernier fichier de liens (exporté le 01/10/2026 à 11 h 00)",
	}}
	not r.note
}

test_unknown_change_counts_planned_or_division if {
	inp := testdata.with_facts(object.union(unknown_change, {"groups": {
		"2NDE1 LAT": new_group("2NDE1 LAT", 0, ["2NDE1"]),
		"OPT THEATRE": new_group("OPT THEATRE", 9, []),
		"VIDE": new_group("VIDE", 0, []),
	}}))
	r := result with input as inp
	testdata.codes(r) == {"2NDE1 LAT", "OPT THEATRE"}
}

test_unknown_change_group_without_pupil_to_link_is_not_counted if {
	inp := testdata.with_facts(object.union(unknown_change, {"groups": {"VIDE": new_group("VIDE", 0, [])}}))
	r := result with input as inp
	r.status == "pass"
	contains(r.note, "division (2 groupes).")
}

test_unknown_change_last_year_code_says_both if {
	inp := testdata.with_facts(object.union(unknown_change, {"groups": {"1ERE1 SPE": new_group("1ERE1 SPE", 20, ["2NDE1"])}}))
	r := result with input as inp
	r.status == "fail"
	r.items == {{
		"code": "1ERE1 SPE",
		"kind": "group",
		"detail": "groupe de l'an dernier absent du dernier fichier de liens (exporté le 01/10/2026 à 11 h 00, avant l'export STS-Web du 02/10/2026 à 10 h 00) : recréé dans STS-Web après l'export des liens, ou reconduit à la bascule",
	}}
}

test_unknown_change_links_after_sts_passes if {
	inp := object.union(
		testdata.with_facts(object.union(unknown_change, {"groups": {"2NDE1 ESP2": new_group("2NDE1 ESP2", 12, ["2NDE1"])}})),
		{"facts": {"sources": {"links": {"exported_at": "2026-10-02T08:00:00Z"}}}},
	)
	r := result with input as inp
	r.status == "pass"
	r.items == []
	not r.note
}

test_known_change_ignores_content if {
	# Links exported after the change: an absent group is for other checks.
	inp := testdata.with_facts({"groups": {"2NDE1 ESP2": new_group("2NDE1 ESP2", 12, ["2NDE1"])}})
	r := result with input as inp
	r.status == "pass"
	not r.note
}

test_pass_without_groups_even_without_links if {
	inp := json.remove(
		json.patch(testdata.base, [{"op": "replace", "path": "/facts/groups", "value": {}}]),
		["facts/sources/links"],
	)
	r := result with input as inp
	r.status == "pass"
	r.note
}

test_unknown_without_links if {
	r := result with input as testdata.without_source("links")
	r.status == "unknown"
	testdata.codes(r) == {"links"}
}

test_unknown_without_sts if {
	r := result with input as testdata.without_source("sts")
	testdata.codes(r) == {"sts"}
}
