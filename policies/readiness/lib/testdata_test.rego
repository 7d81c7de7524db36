# Test inputs shared by the Rego tests of the readiness checks: a small lycée whose every
# source is present and fresh and every check passes. Tests derive failing and unknown
# inputs from it with with_facts (a deep merge) and without_source.
package vigie.testdata

now := "2026-10-05T10:00:00+02:00"

today := "2026-10-05"

division(code, pupils) := {
	"code": code,
	"label": code,
	"sts": {
		"present": true,
		"planned": pupils,
		"computed": pupils,
		"mefs": ["20010018110"],
		"services": 10,
		"services_with_teacher": 10,
		"group_services_with_teacher": 2,
		"teachers": 8,
		"pp": [{"teacher_id": "T1", "start": "2026-09-01", "end": ""}],
	},
	"siecle": {"present": true, "in_structures": true, "pupils": pupils, "pupils_all": pupils + 1},
	"ent": {"listed": true, "pupils": pupils, "teacher_links": 8, "principal_links": 1},
}

group(code, div, pupils) := {
	"code": code,
	"label": code,
	"sts": {
		"present": true,
		"planned": pupils,
		"computed": null,
		"divisions": [div],
		"mefs": ["20010018110"],
		"services": 1,
		"services_with_teacher": 1,
		"teachers": 1,
	},
	"siecle": {"present": true, "in_structures": true, "divisions": [div], "pupils": pupils, "pupils_all": pupils},
	"links": {"present": true, "pupils": pupils},
	"ent": {"listed": true, "pupils": pupils, "teacher_links": 1, "principal_links": 0, "divisions": [div]},
}

source(file, exported_at) := {
	"file": file,
	"exported_at": exported_at,
	"export_time_from": "content",
	"imported_at": "2026-10-05T06:00:00Z",
	"sha256": "0",
}

facts := {
	"version": 1,
	"uai": "0790029C",
	"school_year": 2026,
	"as_of": "2026-10-05T08:00:00Z",
	"sources": {
		"sts": source("sts_emp_0790029C_2026.xml", "2026-10-02T08:00:00Z"),
		"siecle": source("ElevesSansAdresses.xml", "2026-10-02T07:00:00Z"),
		"siecle_structures": source("Structures.xml", "2026-10-02T07:00:00Z"),
		"links": source("0790029CELEGROUPE2026261001090000.xml", "2026-10-01T09:00:00Z"),
		"ent": source("FULL_ENTTSSERVICES_Complet_20261005_EtabEducNat_0000.xml", "2026-10-05T02:00:00Z"),
	},
	"divisions": {
		"2NDE1": division("2NDE1", 30),
		"2NDE2": division("2NDE2", 28),
	},
	"groups": {
		"2NDE1 AGL1": group("2NDE1 AGL1", "2NDE1", 15),
		"2NDE2 AGL1": group("2NDE2 AGL1", "2NDE2", 14),
	},
	"pupils": {
		"total": 60, "active": 58, "left": 1, "inactive": 1,
		"no_division": [], "several_divisions": [],
		"duplicate_ine": [], "duplicate_identity": [], "missing_ine": [],
		"links_listed": 58, "links_links": 29, "links_absent": [], "links_unknown": 0,
		"ent": 58,
	},
	"teachers": {"total": 20, "with_function": 20, "service_issues": [], "ent": 20},
	"ent": {"structure_found": true, "structure_id": "52006", "name": "LYCEE JEAN MOULIN"},
	"history": {
		"previous_year_known": true,
		"previous_year_groups": ["1ERE1 SPE"],
		"sts_groups_changed_at": "2026-09-20T08:00:00Z",
	},
}

base := {
	"uai": "0790029C",
	"school_year": 2026,
	"now": now,
	"today": today,
	"school": {
		"uai": "0790029C",
		"name": "Lycée Jean Moulin",
		"kind": "lycee",
		"uses_groups": null,
		"academy": "poitiers",
		"departement": "79",
	},
	"facts": facts,
}

# with_facts deep-merges patch into the facts of the base input.
with_facts(patch) := object.union(base, {"facts": patch})

# without_source removes a source from the base input.
without_source(s) := json.remove(base, [sprintf("facts/sources/%s", [s])])

# with_source_time sets the export time of a source.
with_source_time(s, t) := with_facts({"sources": {s: {"exported_at": t}}})

# config returns the national defaults with overrides merged, as Vigie stores them.
config(overrides) := object.union(data.vigie.defaults.config, overrides)

codes(result) := {i.code | some i in result.items}
