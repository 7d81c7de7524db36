package policy

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"time"
)

// configModule names the configuration in problems: it is not a Rego module.
const configModule = "config"

// Modes of a check.
const (
	ModeEnforce = "enforce" // counts in the school's status and to-do list
	ModeMonitor = "monitor" // reported, flagged, never counted
	ModeOff     = "off"     // not evaluated
)

var modes = []string{ModeEnforce, ModeMonitor, ModeOff}

// validateConfig checks the known keys of the merged configuration, at the top level and in
// every school's overrides. Unknown keys are allowed: an academy's own checks may read them.
func validateConfig(cfg map[string]any, cat Catalogue) []Problem {
	var ps []Problem
	ps = append(ps, validateSettings("", cfg, cat)...)
	if v, ok := cfg["schools"]; ok && v != nil {
		schools, ok := v.(map[string]any)
		if !ok {
			ps = append(ps, configProblem("schools", "want an object keyed by UAI"))
		} else {
			uais := make([]string, 0, len(schools))
			for uai := range schools {
				uais = append(uais, uai)
			}
			sort.Strings(uais)
			for _, uai := range uais {
				sc, ok := schools[uai].(map[string]any)
				if !ok {
					ps = append(ps, configProblem("schools."+uai, "want an object"))
					continue
				}
				ps = append(ps, validateSettings("schools."+uai+".", sc, cat)...)
			}
		}
	}
	return ps
}

func configProblem(key, format string, args ...any) Problem {
	return Problem{Module: configModule, Code: CodeConfig, Message: key + ": " + fmt.Sprintf(format, args...)}
}

func validateSettings(prefix string, m map[string]any, cat Catalogue) []Problem {
	var ps []Problem
	for _, key := range []string{"tolerance_pct", "tolerance_min", "absent_ratio_pct", "sync_delay_days"} {
		if v, ok := m[key]; ok {
			if n, ok := number(v); !ok || n < 0 {
				ps = append(ps, configProblem(prefix+key, "want a non-negative number, got %v", v))
			}
		}
	}
	for _, key := range []string{"groups_managed_in_edt"} {
		if v, ok := m[key]; ok {
			if _, ok := v.(bool); !ok {
				ps = append(ps, configProblem(prefix+key, "want true or false, got %v", v))
			}
		}
	}
	if v, ok := m["uses_groups"]; ok && v != nil {
		if _, ok := v.(bool); !ok {
			ps = append(ps, configProblem(prefix+"uses_groups", "want true, false or null, got %v", v))
		}
	}
	if v, ok := m["freshness_days"]; ok {
		fd, ok := v.(map[string]any)
		if !ok {
			ps = append(ps, configProblem(prefix+"freshness_days", "want an object keyed by source"))
		}
		for src, d := range fd {
			if !slices.Contains(knownSources, src) {
				ps = append(ps, configProblem(prefix+"freshness_days."+src, "unknown source"))
			}
			if n, ok := number(d); !ok || n <= 0 {
				ps = append(ps, configProblem(prefix+"freshness_days."+src, "want a positive number of days, got %v", d))
			}
		}
	}
	if v, ok := m["default_mode"]; ok {
		if s, _ := v.(string); !slices.Contains(modes, s) {
			ps = append(ps, configProblem(prefix+"default_mode", "want enforce, monitor or off, got %v", v))
		}
	}
	if v, ok := m["checks"]; ok && v != nil {
		checks, ok := v.(map[string]any)
		if !ok {
			ps = append(ps, configProblem(prefix+"checks", "want an object keyed by check id"))
		}
		ids := make([]string, 0, len(checks))
		for id := range checks {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		for _, id := range ids {
			key := prefix + "checks." + id
			if _, ok := cat.Check(id); !ok {
				ps = append(ps, configProblem(key, "unknown check"))
			}
			c, ok := checks[id].(map[string]any)
			if !ok {
				ps = append(ps, configProblem(key, "want an object with mode and start"))
				continue
			}
			if mv, ok := c["mode"]; ok {
				if s, _ := mv.(string); !slices.Contains(modes, s) {
					ps = append(ps, configProblem(key+".mode", "want enforce, monitor or off, got %v", mv))
				}
			}
			if sv, ok := c["start"]; ok {
				s, _ := sv.(string)
				if _, err := time.Parse(time.DateOnly, s); err != nil {
					ps = append(ps, configProblem(key+".start", "want a date YYYY-MM-DD, got %v", sv))
				}
			}
		}
	}
	return ps
}

func number(v any) (float64, bool) {
	switch n := v.(type) {
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	case float64:
		return n, true
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	}
	return 0, false
}
