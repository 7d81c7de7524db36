package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/vigie-edu/vigie/internal/access"
	"github.com/vigie-edu/vigie/internal/config"
	"github.com/vigie-edu/vigie/internal/store"
)

// Outcomes of a doctor check.
const (
	checkOK   = "ok"
	checkWarn = "warn"
	checkFail = "FAIL"
)

type finding struct{ outcome, name, detail string }

// cmdDoctor checks what `vigie serve` needs, with the same configuration, and changes nothing
// but a probe file in each directory it must write: exit 0 when nothing fails.
func cmdDoctor(ctx context.Context, e env) error {
	fs := flags("doctor", e)
	cfg, err := parse(fs, e, e.args)
	if err != nil {
		return err
	}
	var found []finding
	add := func(outcome, name, format string, args ...any) {
		found = append(found, finding{outcome, name, fmt.Sprintf(format, args...)})
	}
	add(checkOK, "configuration", "valid (database %s, data dir %s, time zone %s)", config.MaskURL(cfg.DatabaseURL), cfg.DataDir, cfg.Timezone)
	if cfg.MetricsToken == "" {
		add(checkWarn, "metrics", "/metrics is open on %s: set VIGIE_METRICS_TOKEN if that port is reachable from outside", cfg.Addr)
	}
	if cfg.AdminAddr != "" {
		if host, _, err := net.SplitHostPort(cfg.AdminAddr); err == nil && !isLoopback(host) {
			add(checkWarn, "admin", "the admin port %s (pprof, log level, no login) listens beyond loopback: never publish it", cfg.AdminAddr)
		}
	}

	dctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	st, err := store.Open(dctx, cfg.DatabaseURL, newLogger(cfg, e.stderr))
	switch {
	case err != nil:
		add(checkFail, "database", "%v", err)
	default:
		defer st.Close()
		if err := st.Ping(dctx); err != nil {
			add(checkFail, "database", "%v", err)
			break
		}
		add(checkOK, "database", "%s answers", st.Dialect())
		ms, err := st.MigrationStatus(dctx)
		switch {
		case err != nil:
			add(checkFail, "migrations", "%v", err)
		case !ms.UpToDate():
			add(checkFail, "migrations", "at version %d of %d; pending %s: run `vigie migrate up` (or the migration job)", ms.Current, ms.Latest, strings.Join(ms.Pending, ", "))
		default:
			add(checkOK, "migrations", "at version %d, the latest", ms.Current)
		}
		if ms.UpToDate() {
			doctorDropFolders(dctx, cfg, st, add)
		}
	}

	for _, dir := range []string{cfg.DataDir, filepath.Join(cfg.DataDir, "uploads")} {
		if err := writable(dir); err != nil {
			add(checkFail, "data dir", "%v", err)
		} else {
			add(checkOK, "data dir", "%s is writable", dir)
		}
	}
	if err := writable(os.TempDir()); err != nil {
		add(checkWarn, "temp dir", "%v (mount a writable /tmp, or set TMPDIR, on a read-only root filesystem)", err)
	}
	doctorSMTP(dctx, cfg, add)
	if cfg.WebhookURL != "" {
		if u, err := url.Parse(cfg.WebhookURL); err != nil || u.Scheme != "https" {
			add(checkWarn, "webhook", "%s is not an https URL", cfg.WebhookURL)
		} else {
			add(checkOK, "webhook", "%s (not called)", u.Host)
		}
	}

	failed := 0
	for _, f := range found {
		fmt.Fprintf(e.stdout, "%-4s  %-13s %s\n", f.outcome, f.name, f.detail)
		if f.outcome == checkFail {
			failed++
		}
	}
	if failed > 0 {
		fmt.Fprintf(e.stdout, "%d check(s) failed\n", failed)
		return exitError{exitFailure}
	}
	return nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// doctorDropFolders checks the drop-folder root and lists academies without a folder yet (the
// job creates them; SFTP accounts usually need them first).
func doctorDropFolders(ctx context.Context, cfg config.Config, st *store.Store, add func(outcome, name, format string, args ...any)) {
	root := cfg.DropFolderDir
	if root == "" {
		root = filepath.Join(cfg.DataDir, "dropfolder")
	}
	if err := writable(root); err != nil {
		add(checkFail, "drop folders", "%v", err)
		return
	}
	academies, err := st.ListAcademies(ctx, access.System())
	if err != nil {
		add(checkFail, "drop folders", "list academies: %v", err)
		return
	}
	var missing []string
	for _, a := range academies {
		if fi, err := os.Stat(filepath.Join(root, a.Code)); err != nil || !fi.IsDir() {
			missing = append(missing, a.Code)
		}
	}
	if len(missing) > 0 {
		add(checkWarn, "drop folders", "%s is writable; no folder yet for %s (created at the next ingestion)", root, strings.Join(missing, ", "))
		return
	}
	add(checkOK, "drop folders", "%s is writable, a folder per academy (%d)", root, len(academies))
}

// doctorSMTP connects to the SMTP server and reads its greeting (nothing is sent).
func doctorSMTP(ctx context.Context, cfg config.Config, add func(outcome, name, format string, args ...any)) {
	if cfg.SMTPHost == "" {
		add(checkWarn, "smtp", "no SMTP server: e-mail digests are off")
		return
	}
	addr := net.JoinHostPort(cfg.SMTPHost, strconv.Itoa(cfg.SMTPPort))
	d := &net.Dialer{Timeout: 10 * time.Second}
	var conn net.Conn
	var err error
	if cfg.SMTPTLS == "tls" {
		conn, err = (&tls.Dialer{NetDialer: d, Config: &tls.Config{ServerName: cfg.SMTPHost}}).DialContext(ctx, "tcp", addr)
	} else {
		conn, err = d.DialContext(ctx, "tcp", addr)
	}
	if err != nil {
		add(checkFail, "smtp", "connect to %s: %v", addr, err)
		return
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	greeting, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil || !strings.HasPrefix(greeting, "220") {
		add(checkFail, "smtp", "%s did not greet as an SMTP server (%q, %v)", addr, strings.TrimSpace(greeting), err)
		return
	}
	_, _ = conn.Write([]byte("QUIT\r\n"))
	add(checkOK, "smtp", "%s answers (%s, %s)", addr, cfg.SMTPTLS, strings.TrimSpace(greeting))
}

// writable creates dir if needed and writes then removes a probe file in it.
func writable(dir string) error {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	f, err := os.CreateTemp(dir, ".vigie-doctor-*")
	if err != nil {
		return fmt.Errorf("write in %s: %w", dir, err)
	}
	name := f.Name()
	f.Close()
	if err := os.Remove(name); err != nil {
		return fmt.Errorf("remove probe %s: %w", name, err)
	}
	return nil
}

// cmdHealthcheck asks the local server's /healthz, for a container's HEALTHCHECK (the image has
// no shell or curl): exit 0 when it answers 200.
func cmdHealthcheck(ctx context.Context, e env) error {
	fs := flags("healthcheck", e)
	cfg, err := parse(fs, e, e.args)
	if err != nil {
		return err
	}
	_, port, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		return usagef("addr %q: %v", cfg.Addr, err)
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+net.JoinHostPort("127.0.0.1", port)+"/healthz", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("health check: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("health check: status %d", resp.StatusCode)
	}
	fmt.Fprintln(e.stdout, "ok")
	return nil
}
