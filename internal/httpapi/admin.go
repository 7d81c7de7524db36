package httpapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"strings"
	"time"
)

// AdminOptions configure the admin listener: an operator's port, off by default, never
// published (bind it to loopback or reach it with kubectl port-forward). It has no login.
type AdminOptions struct {
	Logger  *slog.Logger
	Level   *slog.LevelVar // the running log level, read and changed at /log-level
	Metrics http.Handler   // served at /metrics without a token; nil: none
}

// NewAdmin returns the admin handler: Go's profiler under /debug/pprof/, the metrics, and the
// log level (GET to read it, PUT with debug, info, warn or error to change it).
func NewAdmin(opts AdminOptions) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /debug/pprof/", pprof.Index)
	mux.HandleFunc("GET /debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("POST /debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	if opts.Metrics != nil {
		mux.Handle("GET /metrics", opts.Metrics)
	}
	if opts.Level != nil {
		mux.HandleFunc("GET /log-level", func(w http.ResponseWriter, _ *http.Request) {
			fmt.Fprintln(w, strings.ToLower(opts.Level.Level().String()))
		})
		mux.HandleFunc("PUT /log-level", func(w http.ResponseWriter, r *http.Request) {
			b, err := io.ReadAll(io.LimitReader(r.Body, 64))
			if err != nil {
				http.Error(w, "read body: "+err.Error(), http.StatusBadRequest)
				return
			}
			var l slog.Level
			word := strings.TrimSpace(string(b))
			switch word {
			case "debug", "info", "warn", "error":
			default:
				http.Error(w, "want debug, info, warn or error", http.StatusBadRequest)
				return
			}
			_ = l.UnmarshalText([]byte(word)) // one of the four words above
			old := opts.Level.Level()
			opts.Level.Set(l)
			if opts.Logger != nil {
				opts.Logger.Warn("log level changed", "from", strings.ToLower(old.String()), "to", word, "by", r.RemoteAddr)
			}
			fmt.Fprintln(w, word)
		})
	}
	return mux
}

// ServeAdmin answers the admin handler on l until ctx is done.
func ServeAdmin(ctx context.Context, l net.Listener, h http.Handler, log *slog.Logger) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: time.Minute,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(l) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve admin: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(sctx) // a CPU profile in progress may hold it: closing is enough
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve admin: %w", err)
	}
	return nil
}
