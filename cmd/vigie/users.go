package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/vigie-edu/vigie/internal/access"
	"github.com/vigie-edu/vigie/internal/auth"
	"github.com/vigie-edu/vigie/internal/store"
)

const usersUsage = `usage:
  vigie users list
  vigie users create --login LOGIN [--name NAME] [--email EMAIL] [--password-env VAR | --no-password]
  vigie users grant  --login LOGIN --role ROLE [--academy CODE] [--uai UAI,UAI...]
  vigie users revoke --login LOGIN --grant ID
  vigie users token  --login LOGIN --name NAME [--scopes read|write|ACTION,...] [--days 90]
roles: supervisor, policy_author, school_admin (with --uai), platform_admin (without --academy)`

// cmdUsers bootstraps accounts from the command line: the first platform administrator, the
// first grants, tokens for scripts. Every change is recorded in the audit log as "cli".
func cmdUsers(ctx context.Context, e env) error {
	if len(e.args) == 0 {
		return usagef("%s", usersUsage)
	}
	sub, args := e.args[0], e.args[1:]
	fs := flags("users "+sub, e, "database-url", "log-level", "log-format")
	login := fs.String("login", "", "the account's login")
	var run func(context.Context, *store.Store) error
	switch sub {
	case "list":
		run = func(ctx context.Context, st *store.Store) error { return usersList(ctx, st, e) }
	case "create":
		name := fs.String("name", "", "full name")
		email := fs.String("email", "", "e-mail address (links the first OIDC login)")
		pwEnv := fs.String("password-env", "", "read the password from this environment variable")
		noPw := fs.Bool("no-password", false, "no password: the account logs in through OIDC only")
		run = func(ctx context.Context, st *store.Store) error {
			return usersCreate(ctx, st, e, *login, *name, *email, *pwEnv, *noPw)
		}
	case "grant":
		role := fs.String("role", "", "supervisor, policy_author, school_admin or platform_admin")
		academy := fs.String("academy", "", "academy code (not for platform_admin)")
		uais := fs.String("uai", "", "school_admin: comma-separated UAIs")
		run = func(ctx context.Context, st *store.Store) error {
			return usersGrant(ctx, st, e, *login, *role, *academy, *uais)
		}
	case "revoke":
		grant := fs.Int64("grant", 0, "grant id (see vigie users list)")
		run = func(ctx context.Context, st *store.Store) error { return usersRevoke(ctx, st, e, *login, *grant) }
	case "token":
		name := fs.String("name", "", "what the token is for")
		scopes := fs.String("scopes", "read", "comma-separated: read, write, or action names")
		days := fs.Int("days", 90, "days before it expires (at most 366)")
		run = func(ctx context.Context, st *store.Store) error {
			return usersToken(ctx, st, e, *login, *name, *scopes, *days)
		}
	default:
		return usagef("unknown subcommand %q\n%s", sub, usersUsage)
	}
	cfg, err := parse(fs, e, args)
	if err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected arguments %v\n%s", fs.Args(), usersUsage)
	}
	if sub != "list" && *login == "" {
		return usagef("--login is required\n%s", usersUsage)
	}
	st, err := store.Open(ctx, cfg.DatabaseURL, newLogger(cfg, e.stderr))
	if err != nil {
		return err
	}
	defer st.Close()
	if _, err := st.Migrate(ctx); err != nil {
		return err
	}
	return run(ctx, st)
}

var cliActor = store.SystemActor("cli")

func usersList(ctx context.Context, st *store.Store, e env) error {
	us, err := st.ListUsers(ctx, access.System())
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(w, "LOGIN\tNAME\tEMAIL\tSTATE\tGRANTS")
	for _, u := range us {
		state := "active"
		if u.Disabled {
			state = "disabled"
		}
		var gs []string
		for _, g := range u.Grants {
			s := fmt.Sprintf("#%d %s", g.ID, g.Role)
			if g.AcademyCode != "" {
				s += "@" + g.AcademyCode
			}
			if len(g.UAIs) > 0 {
				s += "[" + strings.Join(g.UAIs, ",") + "]"
			}
			gs = append(gs, s)
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", u.Login, u.Name, u.Email, state, strings.Join(gs, " "))
	}
	return w.Flush()
}

func usersCreate(ctx context.Context, st *store.Store, e env, login, name, email, pwEnv string, noPw bool) error {
	nu := store.NewUser{Login: login, Name: name, Email: email}
	generated := ""
	switch {
	case noPw && pwEnv != "":
		return usagef("--password-env and --no-password exclude each other")
	case noPw:
	case pwEnv != "":
		pw := e.getenv(pwEnv)
		if pw == "" {
			return usagef("environment variable %s is empty", pwEnv)
		}
		h, err := auth.HashPassword(pw, auth.DefaultParams)
		if err != nil {
			return err
		}
		nu.PasswordHash = h
	default:
		generated = rand.Text()[:20]
		h, err := auth.HashPassword(generated, auth.DefaultParams)
		if err != nil {
			return err
		}
		nu.PasswordHash = h
	}
	u, err := st.CreateUser(ctx, access.System(), nu, cliActor)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "user %s created (id %d)\n", u.Login, u.ID)
	if generated != "" {
		fmt.Fprintf(e.stdout, "password (shown once): %s\n", generated)
	}
	return nil
}

func usersGrant(ctx context.Context, st *store.Store, e env, login, role, academy, uais string) error {
	r, err := access.ParseRole(role)
	if err != nil {
		return usagef("%v", err)
	}
	u, err := st.UserByLogin(ctx, access.System(), login)
	if err != nil {
		return err
	}
	g := access.Grant{UserID: u.ID, Role: r}
	if academy != "" {
		a, err := st.AcademyByCode(ctx, access.System(), academy)
		if err != nil {
			return usagef("academy %s: %v", academy, err)
		}
		g.AcademyID = a.ID
	}
	for _, x := range strings.Split(uais, ",") {
		if x = strings.TrimSpace(x); x != "" {
			g.UAIs = append(g.UAIs, x)
		}
	}
	g, err = st.AddGrant(ctx, access.System(), g, cliActor)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "grant #%d: %s is %s", g.ID, u.Login, g.Role)
	if g.AcademyCode != "" {
		fmt.Fprintf(e.stdout, " in %s", g.AcademyCode)
	}
	if len(g.UAIs) > 0 {
		fmt.Fprintf(e.stdout, " for %s", strings.Join(g.UAIs, ", "))
	}
	fmt.Fprintln(e.stdout)
	return nil
}

func usersRevoke(ctx context.Context, st *store.Store, e env, login string, grant int64) error {
	if grant <= 0 {
		return usagef("--grant ID is required (see vigie users list)")
	}
	u, err := st.UserByLogin(ctx, access.System(), login)
	if err != nil {
		return err
	}
	if err := st.RevokeGrant(ctx, access.System(), u.ID, grant, cliActor); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "grant #%d of %s revoked\n", grant, u.Login)
	return nil
}

func usersToken(ctx context.Context, st *store.Store, e env, login, name, scopes string, days int) error {
	if name == "" {
		return usagef("--name is required")
	}
	if days < 1 || days > 366 {
		return usagef("--days: from 1 to 366")
	}
	u, err := st.UserByLogin(ctx, access.System(), login)
	if err != nil {
		return err
	}
	var sc []string
	for _, s := range strings.Split(scopes, ",") {
		if s = strings.TrimSpace(s); s != "" {
			sc = append(sc, s)
		}
	}
	secret, err := auth.NewToken()
	if err != nil {
		return err
	}
	t, err := st.CreateToken(ctx, access.System(), store.Token{UserID: u.ID, Name: name, Prefix: secret[:auth.TokenShownPrefix],
		Scopes: sc, ExpiresAt: time.Now().AddDate(0, 0, days)}, auth.HashSecret(secret), cliActor)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "token #%d for %s, scopes %s, expires %s (shown once):\n%s\n", t.ID, u.Login,
		strings.Join(t.Scopes, ","), t.ExpiresAt.Format(time.DateOnly), secret)
	return nil
}
