package vigie.authz

# Campaign tracking, job runs and notifications (internal/httpapi/campaign.go). The subjects
# and req are those of authz_test.rego.

test_campaign_read_by_supervisors_and_their_schools_admins if {
	allow with input as req(supervisor, "campaign.read", "poitiers", "")
	allow with input as req(supervisor, "campaign.read", "poitiers", "0170000A")
	allow with input as req(school_admin, "campaign.read", "poitiers", "")
	allow with input as req(school_admin, "campaign.read", "poitiers", "0790029C")
	not allow with input as req(school_admin, "campaign.read", "poitiers", "0170000A")
	not allow with input as req(school_admin, "campaign.read", "bordeaux", "")
	not allow with input as req(author, "campaign.read", "poitiers", "")
}

test_school_admin_list_of_steps_is_limited_to_its_schools if {
	inp := req(school_admin, "campaign.read", "poitiers", "")
	scope.poitiers == {"all_schools": false, "uais": ["0790029C", "0860001X"]} with input as inp
}

test_only_supervisors_edit_the_calendar_and_read_the_forecast if {
	allow with input as req(supervisor, "campaign.edit", "poitiers", "")
	allow with input as req(supervisor, "forecast.read", "poitiers", "")
	not allow with input as req(supervisor, "campaign.edit", "bordeaux", "")
	not allow with input as req(school_admin, "campaign.edit", "poitiers", "")
	not allow with input as req(school_admin, "forecast.read", "poitiers", "")
	not allow with input as req(platform, "campaign.edit", "poitiers", "")
}

test_only_school_admins_attest_their_schools if {
	allow with input as req(school_admin, "attestation.create", "poitiers", "0790029C")
	not allow with input as req(school_admin, "attestation.create", "poitiers", "0170000A")
	not allow with input as req(school_admin, "attestation.create", "poitiers", "")
	not allow with input as req(supervisor, "attestation.create", "poitiers", "0790029C")
}

test_job_runs if {
	allow with input as req(supervisor, "job.read", "poitiers", "")
	not allow with input as req(supervisor, "job.read", "", "")
	allow with input as req(platform, "job.read", "", "")
	not allow with input as req(school_admin, "job.read", "poitiers", "")
}

test_everyone_manages_their_own_notifications if {
	allow with input as req(school_admin, "notification.prefs", "", "")
	allow with input as req(author, "notification.prefs", "", "")
	not allow with input as req({"grants": []}, "notification.prefs", "", "")
}
