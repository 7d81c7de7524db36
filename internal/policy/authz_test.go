package policy_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vigie-edu/vigie/internal/policy"
	"github.com/vigie-edu/vigie/policies"
)

func TestAuthorizer(t *testing.T) {
	files, err := policy.LoadFS(policies.FS, policies.AuthzDir)
	require.NoError(t, err)
	az, err := policy.NewAuthorizer(context.Background(), files)
	require.NoError(t, err)

	sup := policy.Subject{ID: "sup", Grants: []policy.Grant{{Academy: "poitiers", Role: "supervisor"}}}
	admin := policy.Subject{ID: "sa", Grants: []policy.Grant{{Academy: "poitiers", Role: "school_admin", UAIs: []string{"0790029C"}}}}
	root := policy.Subject{ID: "root", PlatformAdmin: true}
	tests := []struct {
		name    string
		req     policy.Request
		allow   bool
		scope   map[string]policy.Scope
		isAdmin bool
	}{
		{"supervisor reads a school", policy.Request{Subject: sup, Action: "school.read", Academy: "poitiers", UAI: "0170000A"}, true,
			map[string]policy.Scope{"poitiers": {AllSchools: true}}, false},
		{"supervisor elsewhere", policy.Request{Subject: sup, Action: "school.read", Academy: "limoges", UAI: "0870000A"}, false,
			map[string]policy.Scope{"poitiers": {AllSchools: true}}, false},
		{"school admin, own UAI", policy.Request{Subject: admin, Action: "school.upload", Academy: "poitiers", UAI: "0790029c"}, true,
			map[string]policy.Scope{"poitiers": {UAIs: []string{"0790029C"}}}, false},
		{"school admin, other UAI", policy.Request{Subject: admin, Action: "school.read", Academy: "poitiers", UAI: "0170000A"}, false,
			map[string]policy.Scope{"poitiers": {UAIs: []string{"0790029C"}}}, false},
		{"school admin cannot approve", policy.Request{Subject: admin, Action: "exemption.approve", Academy: "poitiers", UAI: "0790029C"}, false,
			map[string]policy.Scope{}, false},
		{"platform admin manages grants", policy.Request{Subject: root, Action: "grant.create", Academy: "poitiers"}, true,
			map[string]policy.Scope{}, true},
		{"unknown action", policy.Request{Subject: sup, Action: "school.burn", Academy: "poitiers"}, false,
			map[string]policy.Scope{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := az.Decide(context.Background(), tt.req)
			require.NoError(t, err)
			assert.Equal(t, tt.allow, d.Allow)
			assert.Equal(t, tt.scope, d.Scope)
			assert.Equal(t, tt.isAdmin, d.PlatformAdmin)
		})
	}
}

func TestAuthorizerWithoutDecisionRule(t *testing.T) {
	_, err := policy.NewAuthorizer(context.Background(), []policy.File{{Path: "a.rego", Text: []byte("package vigie.authz\n\nallow := true\n")}})
	require.NoError(t, err, "an undefined decision is found at evaluation")
	az, _ := policy.NewAuthorizer(context.Background(), []policy.File{{Path: "a.rego", Text: []byte("package vigie.authz\n\nallow := true\n")}})
	d, err := az.Decide(context.Background(), policy.Request{Action: "school.read"})
	assert.Error(t, err)
	assert.False(t, d.Allow, "deny on error")
}
