# METADATA
# scope: package
# title: Autorisations de l'API Vigie
# description: >-
#   Décide si un utilisateur peut faire une action sur une ressource (académie, établissement)
#   d'après ses habilitations par académie, et donne le périmètre (scope) de l'action pour
#   filtrer les listes. Rôles : supervisor (tous les établissements de l'académie, dérogations,
#   lancement des évaluations), policy_author (règles de l'académie), school_admin (les seuls
#   UAI de son habilitation), et platform_admin (académies, utilisateurs, habilitations).
#   Une action inconnue est refusée : l'ajouter à role_actions ou platform_actions.
package vigie.authz

# Actions each role may do within the academy of its grant. Extend freely.
role_actions := {
	"supervisor": {
		"academy.read",
		"school.list", "school.read", "report.read", "history.read", "snapshot.read",
		"run.trigger", "run.read",
		"exemption.read", "exemption.approve", "exemption.reject",
		"policy.read",
	},
	"policy_author": {
		"academy.read",
		"policy.read", "policy.edit", "policy.test", "policy.preview", "policy.publish",
	},
	"school_admin": {
		"school.list", "school.read", "report.read", "history.read", "snapshot.read",
		"school.upload",
		"exemption.read", "exemption.request",
	},
}

# Actions of platform administrators; they need no grant.
platform_actions := {
	"academy.list", "academy.create", "academy.update", "academy.delete",
	"user.list", "user.read", "user.create", "user.update", "user.delete",
	"grant.list", "grant.create", "grant.delete",
}

# Roles whose grant is limited to the UAIs it lists.
uai_limited_roles := {"school_admin"}

# Actions that list many schools: allowed without a UAI, the scope limits what is listed.
listing_actions := {"school.list", "report.read", "history.read", "exemption.read"}

default allow := false

default platform_admin := false

platform_admin if input.user.platform_admin == true

allow if {
	platform_admin
	input.action in platform_actions
}

allow if {
	some g in grants_for_action
	g.academy == input.resource.academy
	uai_allowed(g)
}

grants_for_action := [g |
	some g in input.user.grants
	input.action in role_actions[g.role]
]

uai_allowed(g) if not g.role in uai_limited_roles

uai_allowed(g) if {
	g.role in uai_limited_roles
	upper(input.resource.uai) in {upper(u) | some u in g.uais}
}

uai_allowed(g) if {
	g.role in uai_limited_roles
	object.get(input.resource, "uai", "") == ""
	input.action in listing_actions
}

# scope: for the requested action, per academy, whether every school is reachable or only
# the listed UAIs. Several grants in one academy add up.
scope := {a: academy_scope(a) | some a in {g.academy | some g in grants_for_action}}

academy_scope(a) := {"all_schools": true, "uais": []} if {
	some g in grants_for_action
	g.academy == a
	not g.role in uai_limited_roles
} else := {"all_schools": false, "uais": sort({upper(u) |
	some g in grants_for_action
	g.academy == a
	some u in g.uais
})}

# roles lists the roles of the user per academy.
roles := {a: sort({g.role | some g in input.user.grants; g.academy == a}) | some a in {g.academy | some g in input.user.grants}}

decision := {
	"allow": allow,
	"scope": scope,
	"platform_admin": platform_admin,
}
