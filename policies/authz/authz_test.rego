package vigie.authz

supervisor := {"id": "sup", "grants": [{"academy": "poitiers", "role": "supervisor", "uais": []}]}

author := {"id": "aut", "grants": [{"academy": "poitiers", "role": "policy_author", "uais": []}]}

school_admin := {"id": "sa", "grants": [{"academy": "poitiers", "role": "school_admin", "uais": ["0790029C", "0860001x"]}]}

platform := {"id": "root", "grants": [], "platform_admin": true}

req(user, action, academy, uai) := {"user": user, "action": action, "resource": {"academy": academy, "uai": uai}}

test_supervisor_reads_every_school_of_the_academy if {
	allow with input as req(supervisor, "school.read", "poitiers", "0170000A")
	not allow with input as req(supervisor, "school.read", "bordeaux", "0330000A")
}

test_supervisor_approves_and_triggers if {
	allow with input as req(supervisor, "exemption.approve", "poitiers", "0790029C")
	allow with input as req(supervisor, "run.trigger", "poitiers", "")
	not allow with input as req(supervisor, "policy.edit", "poitiers", "")
}

test_policy_author_edits_policies_only if {
	allow with input as req(author, "policy.edit", "poitiers", "")
	not allow with input as req(author, "policy.edit", "limoges", "")
	not allow with input as req(author, "school.read", "poitiers", "0790029C")
}

test_school_admin_limited_to_listed_uais if {
	allow with input as req(school_admin, "school.read", "poitiers", "0790029C")
	allow with input as req(school_admin, "school.upload", "poitiers", "0860001X")
	not allow with input as req(school_admin, "school.read", "poitiers", "0170000A")
	not allow with input as req(school_admin, "school.upload", "bordeaux", "0790029C")
	not allow with input as req(school_admin, "exemption.approve", "poitiers", "0790029C")
	not allow with input as req(school_admin, "run.trigger", "poitiers", "")
}

test_school_admin_evaluates_its_own_schools_only if {
	allow with input as req(school_admin, "run.trigger", "poitiers", "0790029C")
	allow with input as req(school_admin, "run.trigger", "poitiers", "0860001X")
	not allow with input as req(school_admin, "run.trigger", "poitiers", "0170000A")
	not allow with input as req(school_admin, "run.trigger", "bordeaux", "0790029C")

	# The academy-wide run names no school: refused.
	not allow with input as req(school_admin, "run.trigger", "poitiers", "")

	d := decision with input as req(school_admin, "run.trigger", "poitiers", "0790029C")
	d.scope == {"poitiers": {"all_schools": false, "uais": ["0790029C", "0860001X"]}}
}

test_school_admin_lists_within_scope if {
	inp := req(school_admin, "school.list", "poitiers", "")
	allow with input as inp
	scope == {"poitiers": {"all_schools": false, "uais": ["0790029C", "0860001X"]}} with input as inp
	not allow with input as req(school_admin, "school.upload", "poitiers", "")
}

test_several_grants_add_up if {
	user := {"id": "u", "grants": [
		{"academy": "poitiers", "role": "school_admin", "uais": ["0790029C"]},
		{"academy": "poitiers", "role": "school_admin", "uais": ["0170000A"]},
		{"academy": "limoges", "role": "supervisor", "uais": []},
		{"academy": "poitiers", "role": "policy_author", "uais": []},
	]}
	inp := req(user, "school.read", "poitiers", "0170000A")
	allow with input as inp
	scope == {
		"poitiers": {"all_schools": false, "uais": ["0170000A", "0790029C"]},
		"limoges": {"all_schools": true, "uais": []},
	} with input as inp
	allow with input as req(user, "policy.edit", "poitiers", "")
	roles == {"poitiers": ["policy_author", "school_admin"], "limoges": ["supervisor"]} with input as inp
}

test_supervisor_grant_widens_school_admin_in_same_academy if {
	user := {"id": "u", "grants": [
		{"academy": "poitiers", "role": "school_admin", "uais": ["0790029C"]},
		{"academy": "poitiers", "role": "supervisor", "uais": []},
	]}
	scope == {"poitiers": {"all_schools": true, "uais": []}} with input as req(user, "school.list", "poitiers", "")
}

test_platform_admin_manages_but_does_not_read_schools if {
	allow with input as req(platform, "academy.create", "", "")
	allow with input as req(platform, "grant.create", "poitiers", "")
	not allow with input as req(platform, "school.read", "poitiers", "0790029C")
	not allow with input as req(supervisor, "user.create", "poitiers", "")
}

test_unknown_action_denied if {
	not allow with input as req(supervisor, "school.delete", "poitiers", "0790029C")
}

test_no_grants_denied if {
	not allow with input as req({"id": "x"}, "school.read", "poitiers", "0790029C")
	decision == {"allow": false, "scope": {}, "platform_admin": false} with input as req({"id": "x"}, "school.read", "poitiers", "0790029C")
}

test_decision if {
	d := decision with input as req(supervisor, "school.read", "poitiers", "0790029C")
	d.allow
	d.scope == {"poitiers": {"all_schools": true, "uais": []}}
}

test_every_user_manages_their_own_account if {
	some action in ["self.read", "self.logout", "token.manage", "catalogue.read", "academy.list"]
	allow with input as req(school_admin, action, "", "")
	allow with input as req({"id": "nobody", "grants": []}, action, "", "")
}

test_anonymous_gets_nothing if {
	not allow with input as req({"id": "", "grants": []}, "self.read", "", "")
	not allow with input as req({"grants": []}, "catalogue.read", "", "")
}

test_supervisor_runs_the_academy_view if {
	some action in ["summary.read", "export.read", "audit.read", "import.feed", "exemption.revoke", "import.read"]
	allow with input as req(supervisor, action, "poitiers", "")
	not allow with input as req(supervisor, action, "bordeaux", "")
}

test_school_admin_reads_its_academy_and_imports_but_not_the_academy_view if {
	allow with input as req(school_admin, "academy.read", "poitiers", "")
	allow with input as req(school_admin, "import.read", "poitiers", "")
	allow with input as req(school_admin, "run.read", "poitiers", "")
	not allow with input as req(school_admin, "summary.read", "poitiers", "")
	not allow with input as req(school_admin, "export.read", "poitiers", "")
	not allow with input as req(school_admin, "import.feed", "poitiers", "")
	not allow with input as req(school_admin, "audit.read", "poitiers", "")
	not allow with input as req(school_admin, "academy.read", "bordeaux", "")
}

test_platform_admin_reads_audit_of_any_academy if {
	allow with input as req(platform, "audit.read", "bordeaux", "")
	allow with input as req(platform, "academy.read", "bordeaux", "")
	not allow with input as req(platform, "summary.read", "bordeaux", "")
}

test_policy_author_does_not_see_schools if {
	not allow with input as req(author, "school.list", "poitiers", "")
	allow with input as req(author, "academy.read", "poitiers", "")
}

test_policy_authoring_stays_in_the_academy if {
	every action in ["policy.read", "policy.edit", "policy.test", "policy.preview", "policy.publish", "policy.rollback"] {
		allow with input as req(author, action, "poitiers", "")
		not allow with input as req(author, action, "limoges", "")
		not allow with input as req(school_admin, action, "poitiers", "")
		not allow with input as req(platform, action, "poitiers", "")
	}
	allow with input as req(supervisor, "policy.read", "poitiers", "")
	not allow with input as req(supervisor, "policy.read", "limoges", "")
	every action in ["policy.edit", "policy.test", "policy.preview", "policy.publish", "policy.rollback"] {
		not allow with input as req(supervisor, action, "poitiers", "")
	}
}
