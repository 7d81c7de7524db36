# METADATA
# scope: package
# title: Bibliothèque commune des contrôles
# description: >-
#   Configuration effective (défauts nationaux, surcharges de l'académie et de l'établissement),
#   utilisabilité des sources (présente, de la bonne année, assez récente), tolérances
#   d'effectifs, formats de date et construction des résultats. Les tables sont des règles
#   complètes (compréhensions) : OPA les calcule une fois par évaluation.
package vigie.lib

# --- configuration ---------------------------------------------------------------------

# config is the academy configuration: Vigie stores the national defaults merged with the
# academy overrides in data.vigie.config; `opa test` without that data falls back to the
# defaults.
config := data.vigie.config if {
	data.vigie.config
} else := data.vigie.defaults.config

school_config := object.get(config, ["schools", input.uai], {})

setting(key) := object.get(school_config, key, object.get(config, key, data.vigie.defaults.config[key]))

tolerance_pct := setting("tolerance_pct")

tolerance_min := setting("tolerance_min")

absent_ratio_pct := setting("absent_ratio_pct")

sync_delay_days := setting("sync_delay_days")

groups_managed_in_edt := setting("groups_managed_in_edt")

freshness_days := object.union(
	object.union(data.vigie.defaults.config.freshness_days, object.get(config, "freshness_days", {})),
	object.get(school_config, "freshness_days", {}),
)

check_settings := object.union(object.get(config, "checks", {}), object.get(school_config, "checks", {}))

default_mode := setting("default_mode")

# check_mode is the mode of a check for this school today: off (not evaluated), monitor
# (reported, never counted) or enforce. An enforced check whose start date is ahead is
# monitored until then. Vigie asks for every check of the set: the modes of the checks with
# settings of their own are worked out once, the others all have the default.
check_mode(id) := object.get(configured_modes, id, unconfigured_mode)

configured_modes := {id: configured_mode(id) | some id, _ in check_settings}

unconfigured_mode := default_mode if {
	default_mode in {"off", "monitor"}
} else := "enforce"

configured_mode(id) := mode if {
	mode := object.get(check_settings, [id, "mode"], default_mode)
	mode in {"off", "monitor"}
} else := "monitor" if {
	input.today < check_settings[id].start
} else := "enforce"

# uses_groups: the school's own flag, else the per-school configuration, else the academy
# configuration, else by kind (lycées and LP yes, collèges no).
uses_groups := input.school.uses_groups if {
	is_boolean(input.school.uses_groups)
} else := school_config.uses_groups if {
	is_boolean(school_config.uses_groups)
} else := config.uses_groups if {
	is_boolean(config.uses_groups)
} else if {
	input.school.kind in {"lycee", "lp"}
} else := false

# --- time ------------------------------------------------------------------------------

ns_per_day := ((24 * 60) * 60) * 1000000000

now_ns := time.parse_rfc3339_ns(input.now)

# fr_datetime writes « 01/10/2026 à 9 h 00 »: the hour without a leading zero, as the pages do.
fr_datetime(ns) := sprintf("%s à %d h %02d", [time.format([ns, "Europe/Paris", "02/01/2006"]), clock[0], clock[1]]) if {
	clock := time.clock([ns, "Europe/Paris"])
}

# --- sources ---------------------------------------------------------------------------

source_names := ["sts", "siecle", "siecle_structures", "siecle_nomenclature", "links", "ent"]

source_labels := {
	"sts": "STS-Web (export sts_emp)",
	"siecle": "SIECLE-BEE (export des élèves)",
	"siecle_structures": "SIECLE-BEE (Structures.xml)",
	"siecle_nomenclature": "SIECLE-BEE (Nomenclature.xml)",
	"links": "liens élèves-groupes EDT",
	"ent": "annuaire fédérateur (AAF)",
}

source_label(s) := object.get(source_labels, s, s)

# --- text ------------------------------------------------------------------------------

# plural writes a count with its noun in agreement, « 1 groupe vide », « 2 groupes vides »:
# French takes the singular for 0 and 1.
plural(n, one, many) := sprintf("%d %s", [n, one]) if {
	n < 2
} else := sprintf("%d %s", [n, many])

sources := {s: info | some s, info in input.facts.sources}

# export_ns: when each present source's data was exported, else when Vigie received it.
export_ns := {s: ns | some s, info in sources; ns := source_time_ns(info)}

source_time_ns(info) := ns if {
	ns := time.parse_rfc3339_ns(info.exported_at)
	ns > 0
} else := ns if {
	ns := time.parse_rfc3339_ns(info.imported_at)
	ns > 0
}

source_state := {s: source_state_of(s) | some s in source_names}

# source_year: the school year the file declares, else the snapshot's.
source_year(s) := sources[s].school_year if {
	sources[s].school_year > 0
} else := input.facts.school_year

source_state_of(s) := "missing" if {
	not sources[s]
} else := "wrong_year" if {
	source_year(s) != input.school_year
} else := "undated" if {
	not export_ns[s]
} else := "stale" if {
	now_ns - export_ns[s] > object.get(freshness_days, s, 7) * ns_per_day
} else := "ok"

usable(s) if source_state[s] == "ok"

all_usable(needs) if {
	every s in needs {
		source_state[s] == "ok"
	}
}

school_year_label(y) := sprintf("%d-%d", [y, y + 1])

source_detail(s) := sprintf("%s : aucun export déposé", [source_label(s)]) if {
	source_state[s] == "missing"
} else := sprintf("%s : export de l'année scolaire %s, attendu %s", [
	source_label(s),
	school_year_label(source_year(s)),
	school_year_label(input.school_year),
]) if {
	source_state[s] == "wrong_year"
} else := sprintf("%s : date d'export inconnue", [source_label(s)]) if {
	source_state[s] == "undated"
} else := sprintf("%s : exporté le %s, plus ancien que la limite de %d jours", [
	source_label(s),
	fr_datetime(export_ns[s]),
	object.get(freshness_days, s, 7),
]) if {
	source_state[s] == "stale"
}

source_item(s) := {"code": s, "kind": "source", "detail": source_detail(s)}

# Where the export time of a source comes from when the file does not write it (an STS-Web
# sts_emp never does): the zip entry's time, the file's modification time or the upload time.
# Freshness is then measured from that later time, so an old export can pass as recent.
estimated_time_labels := {
	"zip_entry": "date du fichier dans l'archive zip",
	"mtime": "date de modification du fichier",
	"upload": "date de dépôt",
}

time_estimated(s) if estimated_time_labels[sources[s].export_time_from]

estimated_time_detail(s) := sprintf("%s : %s retenue, %s", [
	source_label(s),
	estimated_time_labels[sources[s].export_time_from],
	fr_datetime(export_ns[s]),
])

# --- results ---------------------------------------------------------------------------

# custom returns the package-scope custom annotations from rego.metadata.chain(), so that a
# check reads its needed sources from its own annotations instead of repeating them. The
# national checks write `meta := rego.metadata.chain()[1].annotations.custom`, the same for
# a rule without METADATA of its own (the chain is that rule, then its package) and a
# function call cheaper; lib_test.rego checks that each reads its own catalogue entry.
custom(chain) := [a.custom | some e in chain; a := e.annotations; a.scope == "package"][0]

# unknown is the result of a check whose needed sources are not all usable.
unknown(needs) := {
	"status": "unknown",
	"items": [source_item(s) | some s in needs; source_state[s] != "ok"],
	"reason": sprintf("Impossible de conclure : %s.", [concat(" ; ", [source_detail(s) |
		some s in needs
		source_state[s] != "ok"
	])]),
}

unknown_because(reason) := {"status": "unknown", "items": [], "reason": reason}

# verdict turns the failing items of a check into its result.
verdict(items) := {"status": "fail", "items": items} if {
	count(items) > 0
} else := {"status": "pass", "items": []}

item(code, kind, detail) := {"code": code, "kind": kind, "detail": detail}

# --- structures ------------------------------------------------------------------------

# The snapshot contract (internal/fact) writes every per-source block of every division and
# group, with present: false and zeros when the source does not know it: checks read fields
# directly (d.siecle.pupils), without object.get defaults.

# SIECLE's pseudo-division of inactive pupils, as fact.Key writes it.
inactive_division := "INACTIFS"

# The snapshot's own objects, not copies: a comprehension that copies them costs a pass.
divisions := object.remove(object.get(input.facts, "divisions", {}), [inactive_division])

groups := object.get(input.facts, "groups", {})

sts_divisions := {k: d | some k, d in divisions; d.sts.present}

sts_groups := {k: g | some k, g in groups; g.sts.present}

# Their keys, for set operations: a set difference or intersection is one built-in call,
# where a test per element (not x[k]) is many.
sts_division_keys := object.keys(sts_divisions)

sts_group_keys := object.keys(sts_groups)

# Divisions and groups STS-Web does not (or no longer) know.
other_divisions := object.remove(divisions, sts_divisions)

other_groups := object.remove(groups, sts_groups)

code(k, s) := object.get(s, "code", k)

# --- head counts -----------------------------------------------------------------------

# allowed is the tolerated difference against a reference head count:
# max(ceil(tolerance_pct × reference / 100), tolerance_min). A difference fails when it is
# greater than allowed.
allowed(reference) := max([ceil((tolerance_pct * reference) / 100), tolerance_min])

# Checks filter every division or group with the same test written inline, because a user
# function call per element is what costs most in an evaluation. For an integer difference
# d ≥ 0: d > max(ceil(r), m) ⟺ d > m and (d - 1) × 100 ≥ tolerance_pct × reference, since an
# integer exceeds ceil(r) exactly when it minus one reaches r. Written out, the minimum read
# once before the pass and its test first, as nearly every element stops there:
#   least := lib.tolerance_min
#   some ...
#   abs(value - reference) > least
#   (abs(value - reference) - 1) * 100 >= lib.tolerance_pct * reference
# lib_test.rego checks this against allowed.

# --- people ----------------------------------------------------------------------------

pupil_label(p) := sprintf("%s (%s)", [p.name, p.division]) if {
	object.get(p, "division", "") != ""
} else := p.name

# percent formats a share with one decimal and a French decimal comma.
percent(part, whole) := replace(sprintf("%v", [round((part * 1000) / whole) / 10]), ".", ",")

# today_fr is input.today (YYYY-MM-DD) written DD/MM/YYYY.
today_fr := concat("/", [substring(input.today, 8, 2), substring(input.today, 5, 2), substring(input.today, 0, 4)])

# Divisions and groups the ENT checks look at: known to STS-Web or listed in the ENT structure.
ent_divisions := object.union(sts_divisions, {k: d | some k, d in other_divisions; d.ent.listed})

ent_groups := object.union(sts_groups, {k: g | some k, g in other_groups; g.ent.listed})

structure_kind_label := {"division": "division", "group": "groupe"}
