// Command kubeschema turns the Kubernetes OpenAPI (v2) document into the standalone, strict
// JSON schemas kubeconform reads from a local directory, one file per kind and version, named
// as kubeconform looks them up ({{ .ResourceKind }}{{ .KindSuffix }}.json, e.g.
// deployment-apps-v1.json). deploy/check.sh runs it on the swagger.json of the k8s.io/kubernetes
// module fetched from the Go module proxy, so that CI validates the manifests offline.
//
//	go run ./deploy/kubeschema -spec swagger.json -out DIR
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

const refPrefix = "#/definitions/"

// Definitions whose OpenAPI form (a string) is narrower than what Kubernetes accepts.
var special = map[string]map[string]any{
	"io.k8s.apimachinery.pkg.util.intstr.IntOrString": {"oneOf": []any{map[string]any{"type": "string"}, map[string]any{"type": "integer"}}},
	"io.k8s.apimachinery.pkg.api.resource.Quantity":   {"oneOf": []any{map[string]any{"type": "string"}, map[string]any{"type": "number"}}},
}

func main() {
	spec := flag.String("spec", "", "the Kubernetes swagger.json")
	out := flag.String("out", "", "directory to write the schemas to")
	flag.Parse()
	if *spec == "" || *out == "" {
		fmt.Fprintln(os.Stderr, "usage: kubeschema -spec swagger.json -out DIR")
		os.Exit(2)
	}
	n, err := generate(*spec, *out)
	if err != nil {
		fmt.Fprintln(os.Stderr, "kubeschema:", err)
		os.Exit(1)
	}
	fmt.Printf("kubeschema: %d schemas in %s\n", n, *out)
}

func generate(specPath, out string) (int, error) {
	b, err := os.ReadFile(specPath)
	if err != nil {
		return 0, err
	}
	var doc struct {
		Definitions map[string]map[string]any `json:"definitions"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return 0, fmt.Errorf("read %s: %w", specPath, err)
	}
	if len(doc.Definitions) == 0 {
		return 0, errors.New("no definitions: not a Kubernetes OpenAPI v2 document")
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return 0, err
	}
	n := 0
	for name, def := range doc.Definitions {
		gvks, _ := def["x-kubernetes-group-version-kind"].([]any)
		for _, g := range gvks {
			gvk, _ := g.(map[string]any)
			group, _ := gvk["group"].(string)
			version, _ := gvk["version"].(string)
			kind, _ := gvk["kind"].(string)
			if kind == "" || version == "" {
				continue
			}
			schema := expand(def, doc.Definitions, []string{name}).(map[string]any)
			schema["$schema"] = "http://json-schema.org/draft-07/schema#"
			b, err := json.MarshalIndent(schema, "", " ")
			if err != nil {
				return n, fmt.Errorf("encode %s: %w", name, err)
			}
			if err := os.WriteFile(filepath.Join(out, fileName(group, version, kind)), b, 0o644); err != nil {
				return n, err
			}
			n++
		}
	}
	return n, nil
}

// fileName is where kubeconform looks for a kind: the kind in lower case, then "-" and the
// first label of the group (none for the core group), then "-" and the version.
func fileName(group, version, kind string) string {
	suffix := "-" + strings.ToLower(version)
	if group != "" {
		first, _, _ := strings.Cut(group, ".")
		suffix = "-" + strings.ToLower(first) + suffix
	}
	return strings.ToLower(kind) + suffix + ".json"
}

// expand inlines every reference (a recursive one becomes an open schema) and makes objects
// strict: a property the schema does not name is an error, as with kubectl's validation.
func expand(v any, defs map[string]map[string]any, stack []string) any {
	switch x := v.(type) {
	case map[string]any:
		if ref, ok := x["$ref"].(string); ok && strings.HasPrefix(ref, refPrefix) {
			name := strings.TrimPrefix(ref, refPrefix)
			if s, ok := special[name]; ok {
				return copyMap(s)
			}
			for _, seen := range stack {
				if seen == name {
					return map[string]any{}
				}
			}
			def, ok := defs[name]
			if !ok {
				return map[string]any{}
			}
			out := expand(def, defs, append(stack, name)).(map[string]any)
			if d, ok := x["description"]; ok {
				out["description"] = d
			}
			return out
		}
		if f, _ := x["format"].(string); f == "int-or-string" {
			return copyMap(special["io.k8s.apimachinery.pkg.util.intstr.IntOrString"])
		}
		out := make(map[string]any, len(x)+1)
		for k, val := range x {
			switch k {
			case "properties":
				props := map[string]any{}
				for pk, pv := range val.(map[string]any) {
					props[pk] = expand(pv, defs, stack)
				}
				out[k] = props
			case "items", "additionalProperties":
				out[k] = expand(val, defs, stack)
			case "x-kubernetes-group-version-kind":
			default:
				out[k] = val
			}
		}
		if _, has := out["properties"]; has {
			if _, open := out["additionalProperties"]; !open {
				out["additionalProperties"] = false
			}
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = expand(e, defs, stack)
		}
		return out
	default:
		return v
	}
}

func copyMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
