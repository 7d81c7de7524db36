# METADATA
# scope: package
# title: Autorisations de l'API Vigie
# description: >-
#   Décide si un utilisateur peut faire une action sur une ressource (académie, établissement)
#   d'après ses habilitations par académie, et donne le périmètre (scope) de l'action pour
#   filtrer les listes. Rôles : supervisor (tous les établissements de l'académie, dérogations,
#   lancement des évaluations), policy_author (règles de l'académie), school_admin (les seuls
#   UAI de son habilitation, dont l'évaluation de ses établissements), et platform_admin (académies, utilisateurs, habilitations).
#   Une action inconnue est refusée : l'ajouter à role_actions ou platform_actions.
package vigie.authz

# Actions each role may do within the academy of its grant. Extend freely; the HTTP route
# table names one of these (or a platform or self action) for every route, and a Go test
# checks that each is allowed to someone.
role_actions := {
	"supervisor": {
		"academy.read", "summary.read", "export.read", "audit.read",
		"school.list", "school.read", "report.read", "history.read", "snapshot.read",
		"import.read", "school.upload", "import.feed",
		"run.trigger", "run.read",
		"exemption.read", "exemption.approve", "exemption.reject", "exemption.revoke",
		"policy.read",
		"campaign.read", "campaign.edit", "forecast.read", "job.read",
	},
	"policy_author": {
		"academy.read",
		"policy.read", "policy.edit", "policy.test", "policy.preview", "policy.publish", "policy.rollback",
	},
	"school_admin": {
		"academy.read",
		"school.list", "school.read", "report.read", "history.read", "snapshot.read",
		"import.read", "school.upload", "run.read",
		# run.trigger on one of its schools: check a fix it just uploaded the same day. Not the
		# academy-wide run: run.trigger is no listing action, so a request without a UAI is refused.
		"run.trigger",
		"exemption.read", "exemption.request",
		"campaign.read", "attestation.create",
	},
}

# Actions of platform administrators; they need no grant.
platform_actions := {
	"academy.list", "academy.read", "academy.create", "academy.update", "academy.delete",
	"audit.read",
	"user.list", "user.read", "user.create", "user.update", "user.delete",
	"grant.list", "grant.create", "grant.delete",
	"job.read",
}

# Actions on one's own account, allowed to every authenticated user whatever their grants.
self_actions := {"self.read", "self.logout", "token.manage", "catalogue.read", "academy.list", "notification.prefs"}

# Roles whose grant is limited to the UAIs it lists.
uai_limited_roles := {"school_admin"}

# Actions that list many schools: allowed without a UAI, the scope limits what is listed.
listing_actions := {
	"academy.read", "school.list", "report.read", "history.read",
	"exemption.read", "import.read", "run.read", "campaign.read",
}

default allow := false

default platform_admin := false

platform_admin if input.user.platform_admin == true

allow if {
	platform_admin
	input.action in platform_actions
}

allow if {
	input.action in self_actions
	object.get(input.user, "id", "") != ""
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
