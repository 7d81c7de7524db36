package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestUsersBootstrap creates the first accounts from the command line, then logs in to the
// real server with the password and with a token.
func TestUsersBootstrap(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "v.db")
	csv := filepath.Join(dir, "annuaire.csv")
	require.NoError(t, os.WriteFile(csv, []byte("Identifiant_de_l_etablissement;Nom_etablissement;Type_etablissement;Code_departement;Libelle_academie\n"+
		"0790029C;Lycée Jean Macé;Lycée;079;Poitiers\n"), 0o600))
	vars := map[string]string{"VIGIE_DATABASE_URL": db, "VIGIE_DATA_DIR": dir, "ROOT_PW": "un mot de passe solide", "VIGIE_COOKIE_SECURE": "false"}
	cli := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := run(context.Background(), args, envFrom(vars), &out, &errb)
		return code, out.String(), errb.String()
	}
	code, _, stderr := cli("schools", "import", "--academy", "poitiers", csv)
	require.Equal(t, 0, code, stderr)

	code, out, stderr := cli("users", "create", "--login", "root", "--name", "Admin", "--password-env", "ROOT_PW")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, out, "user root created")
	code, out, stderr = cli("users", "create", "--login", "marie", "--email", "marie@ac-poitiers.fr")
	require.Equal(t, 0, code, stderr)
	pw := regexp.MustCompile(`password \(shown once\): (\S+)`).FindStringSubmatch(out)
	require.NotNil(t, pw, "a generated password is shown once")

	code, out, stderr = cli("users", "grant", "--login", "root", "--role", "platform_admin")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, out, "root is platform_admin")
	code, out, stderr = cli("users", "grant", "--login", "marie", "--role", "school_admin", "--academy", "poitiers", "--uai", "0790029c")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, out, "for 0790029C")
	code, _, _ = cli("users", "grant", "--login", "marie", "--role", "school_admin", "--academy", "poitiers")
	assert.Equal(t, 2, code, "a school_admin grant lists schools")
	code, _, _ = cli("users", "grant", "--login", "marie", "--role", "king", "--academy", "poitiers")
	assert.Equal(t, 2, code)
	code, _, _ = cli("users", "create", "--login", "root")
	assert.Equal(t, 1, code, "login taken")
	code, _, _ = cli("users", "explode")
	assert.Equal(t, 2, code)

	code, out, stderr = cli("users", "token", "--login", "marie", "--name", "script de dépôt", "--scopes", "read,school.upload", "--days", "30")
	require.Equal(t, 0, code, stderr)
	tok := regexp.MustCompile(`vigie_pat_\S+`).FindString(out)
	require.NotEmpty(t, tok)

	code, out, stderr = cli("users", "list")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, out, "school_admin@poitiers[0790029C]")
	grantID := regexp.MustCompile(`#(\d+) school_admin`).FindStringSubmatch(out)
	require.NotNil(t, grantID)

	code, _, stderr = cli("users", "create", "--login", "sup", "--no-password")
	require.Equal(t, 0, code, stderr)
	code, _, stderr = cli("users", "grant", "--login", "sup", "--role", "supervisor", "--academy", "poitiers")
	require.Equal(t, 0, code, stderr)
	code, out, stderr = cli("users", "token", "--login", "sup", "--name", "évaluations", "--scopes", "write")
	require.Equal(t, 0, code, stderr)
	supTok := regexp.MustCompile(`vigie_pat_\S+`).FindString(out)

	base, _, _ := startVigie(t, vars, "serve", "--addr", "127.0.0.1:0")
	waitReady(t, base)

	// The password logs in and opens a session.
	body, _ := json.Marshal(map[string]string{"login": "marie", "password": pw[1]})
	resp, err := http.Post(base+"/api/v1/auth/login", "application/json", bytes.NewReader(body))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.NotEmpty(t, resp.Cookies())

	// The token reads the school; after the grant is revoked it reads nothing.
	get := func(path string) int {
		req, _ := http.NewRequest(http.MethodGet, base+path, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	assert.Equal(t, http.StatusOK, get("/api/v1/academies/poitiers/schools/0790029C"))
	code, _, stderr = cli("users", "revoke", "--login", "marie", "--grant", grantID[1])
	require.Equal(t, 0, code, stderr)
	assert.Equal(t, http.StatusNotFound, get("/api/v1/academies/poitiers/schools/0790029C"))
	assert.True(t, strings.HasPrefix(tok, "vigie_pat_"))

	// The supervisor triggers an evaluation of the academy through the real evaluator.
	req, _ := http.NewRequest(http.MethodPost, base+"/api/v1/academies/poitiers/runs", nil)
	req.Header.Set("Authorization", "Bearer "+supTok)
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	var run struct {
		Status  string `json:"status"`
		Schools int    `json:"schools"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&run))
	resp.Body.Close()
	assert.Equal(t, http.StatusCreated, resp.StatusCode)
	assert.Equal(t, "done", run.Status)
	assert.Equal(t, 1, run.Schools)
}
