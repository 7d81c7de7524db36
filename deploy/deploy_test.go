// Package deploy_test checks the deployment files that need no cluster or Docker engine to be
// checked: the Dockerfile and compose.yaml run the binary non-root, on a read-only root, with
// configuration from the environment only, known to the configuration and valid; the
// Kubernetes manifests are checked by deploy/check.sh (kustomize and kubeconform).
package deploy_test

import (
	"context"
	"encoding/json"
	"flag"
	"io"
	"net/http/httptest"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/vigie-edu/vigie/internal/config"
	"github.com/vigie-edu/vigie/internal/metrics"
)

// knownVars are the VIGIE_* variables of the configuration.
func knownVars() map[string]bool {
	out := map[string]bool{}
	t := reflect.TypeOf(config.Config{})
	for i := 0; i < t.NumField(); i++ {
		out[t.Field(i).Tag.Get("env")] = true
	}
	return out
}

// load validates a set of variables as `vigie serve` reads them.
func load(t *testing.T, vars map[string]string) error {
	t.Helper()
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	config.Register(fs)
	require.NoError(t, fs.Parse(nil))
	_, err := config.Load(fs, func(k string) string { return vars[k] })
	return err
}

func checkVars(t *testing.T, where string, vars map[string]string) {
	t.Helper()
	known := knownVars()
	for k := range vars {
		if strings.HasPrefix(k, "VIGIE_") {
			assert.True(t, known[k], "%s: %s is not a configuration variable", where, k)
		}
	}
	assert.NoError(t, load(t, vars), "%s: the configuration is refused", where)
}

func TestDockerfile(t *testing.T) {
	b, err := os.ReadFile("Dockerfile")
	require.NoError(t, err)
	text := string(b)
	stages := regexp.MustCompile(`(?m)^FROM `).Split(text, -1)
	require.GreaterOrEqual(t, len(stages), 3, "a multi-stage build")
	build, final := stages[1], stages[len(stages)-1]
	assert.Contains(t, build, "CGO_ENABLED=0", "a static binary")
	assert.Contains(t, build, "-trimpath")
	assert.Regexp(t, `^gcr\.io/distroless/static-debian12:nonroot`, final, "a minimal base with CA certificates")
	assert.Regexp(t, `(?m)^USER 65532:65532$`, final, "a numeric non-root user (runAsNonRoot can check it)")
	assert.Contains(t, final, `HEALTHCHECK`)
	assert.Contains(t, final, `CMD ["/usr/local/bin/vigie", "healthcheck"]`, "the image has no shell or curl")
	assert.Contains(t, final, `ENTRYPOINT ["/usr/local/bin/vigie"]`)
	assert.NotRegexp(t, `(?m)^RUN `, final, "nothing runs in the final stage (no shell there)")

	// ENV lines of the final stage: known variables, a valid configuration.
	env := map[string]string{}
	m := regexp.MustCompile(`(?s)\nENV (.*?)\n[A-Z]`).FindStringSubmatch(final)
	require.NotNil(t, m)
	for _, f := range strings.Fields(strings.ReplaceAll(m[1], "\\\n", " ")) {
		k, v, ok := strings.Cut(f, "=")
		require.True(t, ok, f)
		env[k] = v
	}
	assert.Equal(t, "/data", env["VIGIE_DATA_DIR"], "the only writable place besides /tmp")
	assert.Equal(t, "json", env["VIGIE_LOG_FORMAT"])
	checkVars(t, "Dockerfile", env)
}

type composeService struct {
	Image       string
	Command     []string
	ReadOnly    bool `yaml:"read_only"`
	Tmpfs       []string
	Environment map[string]string
	DependsOn   map[string]struct{ Condition string } `yaml:"depends_on"`
	Ports       []string
	Volumes     []string
}

func TestCompose(t *testing.T) {
	b, err := os.ReadFile("compose.yaml")
	require.NoError(t, err)
	var doc struct {
		Services map[string]composeService
		Volumes  map[string]any
	}
	require.NoError(t, yaml.Unmarshal(b, &doc))
	for _, s := range []string{"postgres", "migrate", "vigie-1", "vigie-2", "mailpit"} {
		require.Contains(t, doc.Services, s)
	}
	migrate := doc.Services["migrate"]
	assert.Equal(t, []string{"migrate", "up"}, migrate.Command)
	assert.Equal(t, "service_healthy", migrate.DependsOn["postgres"].Condition)
	replicas := map[string]bool{}
	for _, name := range []string{"vigie-1", "vigie-2"} {
		s := doc.Services[name]
		assert.True(t, s.ReadOnly, "%s: read-only root filesystem", name)
		assert.Contains(t, s.Tmpfs, "/tmp", name)
		assert.Equal(t, "false", s.Environment["VIGIE_MIGRATE"], "%s: migrations are the migrate service's", name)
		assert.Equal(t, "service_completed_successfully", s.DependsOn["migrate"].Condition, name)
		assert.Contains(t, s.Environment["VIGIE_DATABASE_URL"], "@postgres:5432/", "%s: one shared PostgreSQL", name)
		replicas[s.Environment["VIGIE_REPLICA"]] = true
		checkVars(t, name, s.Environment)
		shared := false
		for _, v := range s.Volumes {
			shared = shared || strings.HasPrefix(v, "dropfolder:"+s.Environment["VIGIE_DROPFOLDER_DIR"])
		}
		assert.True(t, shared, "%s: the drop folder is shared by the replicas", name)
	}
	assert.Len(t, replicas, 2, "each replica has its own name in the job records")
	for _, p := range doc.Services["vigie-1"].Ports {
		if strings.HasSuffix(p, ":6060") {
			assert.True(t, strings.HasPrefix(p, "127.0.0.1:"), "the admin port is published on loopback only: %s", p)
		}
	}
}

// TestKustomizeConfig: the configuration the base and each overlay generate is valid.
func TestKustomizeConfig(t *testing.T) {
	literals := func(path string) map[string]string {
		b, err := os.ReadFile(path)
		require.NoError(t, err)
		var k struct {
			ConfigMapGenerator []struct {
				Name     string
				Literals []string
			} `yaml:"configMapGenerator"`
		}
		require.NoError(t, yaml.Unmarshal(b, &k))
		out := map[string]string{}
		for _, g := range k.ConfigMapGenerator {
			require.Equal(t, "vigie-config", g.Name)
			for _, l := range g.Literals {
				key, v, ok := strings.Cut(l, "=")
				require.True(t, ok, l)
				out[key] = v
			}
		}
		return out
	}
	base := literals("k8s/base/kustomization.yaml")
	assert.Equal(t, "false", base["VIGIE_MIGRATE"], "the migration Job migrates, not the replicas")
	for _, overlay := range []string{"", "k8s/overlays/staging/kustomization.yaml", "k8s/overlays/production/kustomization.yaml"} {
		vars := map[string]string{"VIGIE_DATABASE_URL": "postgresql://app:secret@vigie-db-rw:5432/app"} // from the Secret
		for k, v := range base {
			vars[k] = v
		}
		if overlay != "" {
			for k, v := range literals(overlay) {
				vars[k] = v
			}
		}
		checkVars(t, "kustomize "+overlay, vars)
	}
}

// TestDashboard: every metric the Grafana dashboard queries is one Vigie exposes.
func TestDashboard(t *testing.T) {
	m := metrics.New(metrics.Options{Version: "test", State: func(context.Context) (metrics.State, error) {
		return metrics.State{Schools: []metrics.SchoolCount{{Academy: "poitiers", Status: "ready", N: 1}},
			Sources: []metrics.SourceTime{{Academy: "poitiers", Source: "sts", Newest: time.Now()}}}, nil
	}})
	m.RequestStarted()
	m.RequestDone("GET", "/healthz", 200, time.Millisecond)
	m.Import("sts", metrics.ImportAccepted, 1)
	m.Evaluation("poitiers", true, 1, time.Second, false)
	m.JobRun("evaluate", "done", time.Second, time.Now())
	m.JobSkipped("evaluate", "locked")
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	exposed := map[string]bool{}
	for _, line := range strings.Split(rec.Body.String(), "\n") {
		if name, ok := strings.CutPrefix(line, "# TYPE "); ok {
			name, kind, _ := strings.Cut(name, " ")
			exposed[name] = true
			if kind == "histogram" {
				exposed[name+"_bucket"], exposed[name+"_count"], exposed[name+"_sum"] = true, true, true
			}
		}
	}

	b, err := os.ReadFile("grafana/vigie.json")
	require.NoError(t, err)
	var dash struct {
		Title  string
		Panels []struct {
			Title   string
			Targets []struct{ Expr string }
		}
	}
	require.NoError(t, json.Unmarshal(b, &dash))
	metricName := regexp.MustCompile(`\b(vigie|go|process)_[a-z_]+\b`)
	queried := 0
	for _, p := range dash.Panels {
		for _, tg := range p.Targets {
			for _, name := range metricName.FindAllString(tg.Expr, -1) {
				queried++
				assert.True(t, exposed[name], "panel %q queries %s, which Vigie does not expose", p.Title, name)
			}
		}
	}
	assert.Greater(t, queried, 20)
}
