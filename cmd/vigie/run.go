package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"runtime/debug"
	"slices"
	"sort"
	"strings"

	"github.com/vigie-edu/vigie/internal/apperr"
	"github.com/vigie-edu/vigie/internal/config"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// Exit statuses.
const (
	exitOK       = 0
	exitFailure  = 1 // the command ran and found problems (vigie check: at risk or not ready)
	exitBadInput = 2 // usage error or bad input
)

// env bundles what every command receives: no globals.
type env struct {
	args   []string
	getenv func(string) string
	stdout io.Writer
	stderr io.Writer
}

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, e env) error
}

func commands() []command {
	return []command{
		{"serve", "start the web server (API and pages), the scheduler, and apply pending migrations", cmdServe},
		{"migrate", "apply pending migrations (up) or show them (status)", cmdMigrate},
		{"check", "evaluate one school's export files offline: check [--uai UAI] [--format text|json] FILE...", cmdCheck},
		{"import", "import export files: import --academy CODE [--uai UAI] FILE...", cmdImport},
		{"schools", "manage the schools registry: schools import --academy CODE FILE.csv", cmdSchools},
		{"users", "manage accounts: users list|create|grant|revoke|token", cmdUsers},
		{"policy", "work on a policy set on disk: policy test|check|fmt DIR|BUNDLE.tar.gz", cmdPolicy},
		{"doctor", "check the configuration, database, migrations, drop folders and SMTP server", cmdDoctor},
		{"healthcheck", "ask the local server's /healthz (a container's HEALTHCHECK)", cmdHealthcheck},
		{"version", "print the version", cmdVersion},
	}
}

// usageError is a command-line mistake: exit status 2 with the message.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// exitError carries a specific exit status without a message of its own.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// run is the whole program; main only wires the process to it.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stdout)
		if len(args) == 0 {
			return exitBadInput
		}
		return exitOK
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, env{args: args[1:], getenv: getenv, stdout: stdout, stderr: stderr})
		return report(stderr, c.name, err)
	}
	fmt.Fprintf(stderr, "vigie: unknown command %q\n", args[0])
	usage(stderr)
	return exitBadInput
}

func report(stderr io.Writer, name string, err error) int {
	var ee exitError
	var ue usageError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ee):
		return ee.code
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "vigie %s: %s\n", name, ue.msg)
		return exitBadInput
	case errors.Is(err, apperr.ErrInvalid):
		fmt.Fprintf(stderr, "vigie %s: %v\n", name, err)
		return exitBadInput
	default:
		fmt.Fprintf(stderr, "vigie %s: %v\n", name, err)
		return exitFailure
	}
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Vigie: readiness of school directories for the GAR handover.")
	fmt.Fprintln(w, "\nUsage: vigie <command> [flags]\n\nCommands:")
	cs := commands()
	sort.Slice(cs, func(i, j int) bool { return cs[i].name < cs[j].name })
	for _, c := range cs {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'vigie <command> -h' for the flags of a command. Every flag also reads a VIGIE_* environment variable.")
}

// flags returns a flag set with every configuration flag registered (each command accepts
// them all, so one environment serves every command). Its help lists the command's own flags,
// then the configuration flags it uses (all of them when uses is empty: serve, doctor), and
// only names the others.
func flags(name string, e env, uses ...string) *flag.FlagSet {
	fs := flag.NewFlagSet("vigie "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	config.Register(fs)
	fs.Usage = func() { flagUsage(fs, uses) }
	return fs
}

// flagUsage writes a command's help: see flags.
func flagUsage(fs *flag.FlagSet, uses []string) {
	w := fs.Output()
	var own, used, other []*flag.Flag
	fs.VisitAll(func(f *flag.Flag) {
		switch {
		case !config.IsFlag(f.Name):
			own = append(own, f)
		case len(uses) == 0 || slices.Contains(uses, f.Name):
			used = append(used, f)
		default:
			other = append(other, f)
		}
	})
	show := func(list []*flag.Flag) {
		sub := flag.NewFlagSet("", flag.ContinueOnError)
		sub.SetOutput(w)
		for _, f := range list {
			sub.Var(f.Value, f.Name, f.Usage)
			sub.Lookup(f.Name).DefValue = f.DefValue
		}
		sub.PrintDefaults()
	}
	fmt.Fprintf(w, "Usage of %s:\n", fs.Name())
	show(own)
	if len(used) > 0 {
		fmt.Fprintln(w, "\nConfiguration (each flag also reads its VIGIE_* environment variable):")
		show(used)
	}
	if len(other) > 0 {
		fmt.Fprintln(w, "\nServer configuration, accepted but not used by this command (see 'vigie serve -h'):")
		line := " "
		for _, f := range other {
			if len(line)+len(f.Name) > 92 {
				fmt.Fprintln(w, line)
				line = " "
			}
			line += " -" + f.Name
		}
		fmt.Fprintln(w, line)
	}
}

// parse parses args and loads the configuration.
func parse(fs *flag.FlagSet, e env, args []string) (config.Config, error) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return config.Config{}, err
		}
		return config.Config{}, usageError{err.Error()}
	}
	cfg, err := config.Load(fs, e.getenv)
	if err != nil {
		return config.Config{}, usageError{err.Error()}
	}
	return cfg, nil
}

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	log, _ := newLevelLogger(cfg, w)
	return log
}

// newLevelLogger returns the logger and its level, which the admin port may change at run time.
func newLevelLogger(cfg config.Config, w io.Writer) (*slog.Logger, *slog.LevelVar) {
	level := new(slog.LevelVar)
	var l slog.Level
	_ = l.UnmarshalText([]byte(cfg.LogLevel)) // validated by config.Load
	level.Set(l)
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts)), level
	}
	return slog.New(slog.NewTextHandler(w, opts)), level
}

func buildVersion() string {
	v := version
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				v += " (" + s.Value[:12] + ")"
			}
		}
		v += " " + bi.GoVersion
	}
	return strings.TrimSpace(v)
}

func cmdVersion(_ context.Context, e env) error {
	fmt.Fprintln(e.stdout, "vigie", buildVersion())
	return nil
}
