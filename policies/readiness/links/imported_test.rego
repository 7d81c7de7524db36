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
		"detail": "dernier fichier de liens exporté d'EDT le 01/10/2026 à 11 h 00, avant la dernière modification des groupes dans STS-Web (02/10/2026 à 08 h 30)",
	}]
}

test_falls_back_on_sts_export_time if {
	inp := testdata.with_facts({"history": {"sts_groups_changed_at": "0001-01-01T00:00:00Z"}})
	result.status == "fail" with input as inp
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
