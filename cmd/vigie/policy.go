package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/vigie-edu/vigie/internal/policy"
)

// cmdPolicy works on a policy set on disk, as authors keep it in Git (a directory, or a bundle
// exported by Vigie): run its Rego tests, check it, format it. No database.
func cmdPolicy(ctx context.Context, e env) error {
	if len(e.args) == 0 {
		return usagef("policy test|check|fmt DIR: give a subcommand")
	}
	sub, rest := e.args[0], env{args: e.args[1:], getenv: e.getenv, stdout: e.stdout, stderr: e.stderr}
	switch sub {
	case "test":
		return policyTest(ctx, rest)
	case "check":
		return policyCheck(ctx, rest)
	case "fmt":
		return policyFmt(rest)
	}
	return usagef("policy %q: want test, check or fmt", sub)
}

// policySet is a set read from a directory or a bundle.
type policySet struct {
	files     []policy.File
	overrides map[string]any
}

// readPolicySet reads every .rego file under a directory, or the modules and overrides of a
// bundle (.tar.gz).
func readPolicySet(path string) (policySet, error) {
	info, err := os.Stat(path)
	if err != nil {
		return policySet{}, usagef("%v", err)
	}
	if !info.IsDir() {
		f, err := os.Open(path)
		if err != nil {
			return policySet{}, usagef("%v", err)
		}
		defer f.Close()
		b, err := policy.ReadBundle(f)
		if err != nil {
			return policySet{}, fmt.Errorf("read bundle %s: %w", path, err)
		}
		return policySet{files: b.Files, overrides: b.Overrides}, nil
	}
	files, err := policy.LoadFS(os.DirFS(path), ".")
	if err != nil {
		return policySet{}, err
	}
	if len(files) == 0 {
		return policySet{}, usagef("%s: no .rego file", path)
	}
	return policySet{files: files}, nil
}

func onePath(fs interface{ NArg() int }, args []string, usage string) (string, error) {
	if fs.NArg() != 1 {
		return "", usagef("%s", usage)
	}
	return args[0], nil
}

// printProblems writes compile problems as module:line:column: code: message.
func printProblems(w io.Writer, prefix string, ps []policy.Problem) {
	for _, p := range ps {
		fmt.Fprintf(w, "%s%s\n", prefix, p)
	}
}

func policyTest(ctx context.Context, e env) error {
	fs := flags("policy test", e, "log-level", "log-format")
	coverage := fs.Bool("coverage", false, "print the coverage of each module")
	filter := fs.String("run", "", "only the tests whose name matches this regular expression")
	verbose := fs.Bool("v", false, "list every test, not only failures")
	timeout := fs.Duration("timeout", 10*time.Second, "time limit of one test")
	const usage = "Usage: vigie policy test [--coverage] [--run REGEX] [-v] DIR|BUNDLE.tar.gz"
	fs.Usage = func() { fmt.Fprintln(e.stderr, usage); fs.PrintDefaults() }
	if _, err := parse(fs, e, e.args); err != nil {
		return err
	}
	path, err := onePath(fs, fs.Args(), usage)
	if err != nil {
		return err
	}
	set, err := readPolicySet(path)
	if err != nil {
		return err
	}
	rep, err := policy.RunTests(ctx, set.files, policy.TestOptions{Coverage: *coverage, Filter: *filter, Timeout: *timeout})
	var ce *policy.CompileError
	if errors.As(err, &ce) {
		printProblems(e.stdout, "", ce.Problems)
		return exitError{exitFailure}
	}
	if err != nil {
		return err
	}
	for _, r := range rep.Results {
		if r.Outcome == policy.TestPass && !*verbose {
			continue
		}
		fmt.Fprintf(e.stdout, "%s %s:%d %s.%s", strings.ToUpper(r.Outcome), r.Module, r.Line, strings.TrimPrefix(r.Package, "data."), r.Name)
		if r.Message != "" {
			fmt.Fprintf(e.stdout, ": %s", r.Message)
		}
		fmt.Fprintln(e.stdout)
	}
	if rep.Coverage != nil {
		for _, m := range rep.Coverage.Modules {
			fmt.Fprintf(e.stdout, "coverage %5.1f%% %s\n", m.Percent, m.Module)
		}
		fmt.Fprintf(e.stdout, "coverage %5.1f%% total\n", rep.Coverage.Percent)
	}
	fmt.Fprintf(e.stdout, "%d passed, %d failed, %d errors, %d skipped\n", rep.Passed, rep.Failed, rep.Errored, rep.Skipped)
	if !rep.OK() {
		return exitError{exitFailure}
	}
	return nil
}

func policyCheck(ctx context.Context, e env) error {
	fs := flags("policy check", e, "log-level", "log-format")
	const usage = "Usage: vigie policy check DIR|BUNDLE.tar.gz"
	fs.Usage = func() { fmt.Fprintln(e.stderr, usage); fs.PrintDefaults() }
	if _, err := parse(fs, e, e.args); err != nil {
		return err
	}
	path, err := onePath(fs, fs.Args(), usage)
	if err != nil {
		return err
	}
	set, err := readPolicySet(path)
	if err != nil {
		return err
	}
	d := policy.Diagnose(set.files)
	problems := d.Problems
	checks := 0
	if len(problems) == 0 {
		s, err := policy.Compile(ctx, set.files, policy.WithConfig(set.overrides))
		var ce *policy.CompileError
		switch {
		case errors.As(err, &ce):
			problems = ce.Problems
		case err != nil:
			return err
		default:
			checks = len(s.Catalogue().Checks)
		}
	}
	printProblems(e.stdout, "", problems)
	printProblems(e.stdout, "strict: ", d.Strict)
	lint := policy.Lint(set.files)
	for _, f := range lint {
		fmt.Fprintf(e.stdout, "lint: %s\n", f)
	}
	if len(problems) > 0 {
		fmt.Fprintf(e.stdout, "%d problem(s): the set does not compile and cannot be published\n", len(problems))
		return exitError{exitFailure}
	}
	fmt.Fprintf(e.stdout, "ok: %d checks, %d strict-mode problem(s), %d lint finding(s)\n", checks, len(d.Strict), len(lint))
	return nil
}

func policyFmt(e env) error {
	fs := flags("policy fmt", e, "log-level", "log-format")
	list := fs.Bool("l", false, "list the files that are not formatted, change nothing; exit 1 if any")
	const usage = "Usage: vigie policy fmt [-l] DIR|FILE.rego"
	fs.Usage = func() { fmt.Fprintln(e.stderr, usage); fs.PrintDefaults() }
	if _, err := parse(fs, e, e.args); err != nil {
		return err
	}
	path, err := onePath(fs, fs.Args(), usage)
	if err != nil {
		return err
	}
	var paths []string
	err = filepath.WalkDir(path, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(p, ".rego") {
			paths = append(paths, p)
		}
		return nil
	})
	if err != nil {
		return usagef("%v", err)
	}
	changed, broken := 0, 0
	for _, p := range paths {
		text, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		out, err := policy.Format(policy.File{Path: p, Text: text})
		var ce *policy.CompileError
		if errors.As(err, &ce) {
			printProblems(e.stderr, "", ce.Problems)
			broken++
			continue
		}
		if err != nil {
			return err
		}
		if string(out) == string(text) {
			continue
		}
		changed++
		fmt.Fprintln(e.stdout, p)
		if *list {
			continue
		}
		if err := os.WriteFile(p, out, 0o644); err != nil {
			return fmt.Errorf("write %s: %w", p, err)
		}
	}
	if broken > 0 || (*list && changed > 0) {
		return exitError{exitFailure}
	}
	return nil
}
