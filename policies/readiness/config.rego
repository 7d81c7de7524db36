# METADATA
# scope: package
# title: Paramètres nationaux par défaut
# description: >-
#   Seuils et interrupteurs des contrôles nationaux. Vigie fusionne à la compilation les
#   surcharges de l'académie par-dessus ces valeurs et place le résultat dans
#   data.vigie.config ; les surcharges d'un établissement vont sous
#   data.vigie.config.schools[uai]. Ces valeurs sont écrites en Rego plutôt qu'en JSON pour
#   que `opa test policies/` les trouve au même chemin que Vigie.
package vigie.defaults

config := {
	# Head-count tolerance: allowed difference = max(ceil(tolerance_pct × reference / 100), tolerance_min).
	"tolerance_pct": 10,
	"tolerance_min": 2,
	# links.absent_ratio fails above this share of active pupils missing from the links file.
	"absent_ratio_pct": 20,
	# A source older than this many days (export time) is stale: checks that need it are unknown.
	"freshness_days": {
		"sts": 7,
		"siecle": 7,
		"siecle_structures": 7,
		"siecle_nomenclature": 7,
		"links": 7,
		"ent": 7,
	},
	# null: lycées and LP use groups, collèges do not. Set per school under schools[uai].
	"uses_groups": null,
	# Groups are managed in the timetable software and must not be carried over at rollover.
	"groups_managed_in_edt": true,
	# Synchronisation STS-Web/SIECLE-BEE -> federating directory -> ENT takes up to this many days.
	"sync_delay_days": 2,
	# Mode of a check without an entry in "checks": enforce, monitor or off.
	"default_mode": "enforce",
	# Per-check mode and start date: {"<id>": {"mode": "enforce|monitor|off", "start": "YYYY-MM-DD"}}.
	# An enforced check whose start date is still ahead runs in monitor mode.
	"checks": {},
	# Per-school overrides of any key above: {"<UAI>": {...}}.
	"schools": {},
}
