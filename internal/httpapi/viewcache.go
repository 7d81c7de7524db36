package httpapi

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v5"
	"golang.org/x/sync/singleflight"
)

// viewCache keeps the academy summaries and school lists already computed, keyed by academy,
// scope and query, and valid while the academy's data version (store.AcademyDataVersion) is
// unchanged: the data behind them changes a few times a day (runs, registry imports), while
// supervisors reload them all day long. Each replica has its own; entries also expire after
// maxAge, and the cache is emptied when it holds maxEntries.
type viewCache struct {
	mu      sync.Mutex
	entries map[string]cacheEntry
	flight  singleflight.Group // one computation per key and version at a time
}

type cacheEntry struct {
	version string
	at      time.Time
	value   any
}

const (
	cacheMaxEntries = 2000
	cacheMaxAge     = 10 * time.Minute
)

// cachedView returns the cached value of kind for the request's academy, scope and query, or
// computes it.
func (s *Server) cachedView(c *echo.Context, kind string, compute func() (any, error)) (any, error) {
	g := grantOf(c)
	ctx := c.Request().Context()
	version, err := s.deps.Store.AcademyDataVersion(ctx, g.scope, g.academy.ID)
	if err != nil {
		return nil, err
	}
	uais, limited := g.scope.UAIs()
	key := fmt.Sprintf("%s|%d|%t|%s|%s", kind, g.academy.ID, limited, strings.Join(uais, ","), c.QueryString())
	now := s.now()
	s.cache.mu.Lock()
	e, ok := s.cache.entries[key]
	s.cache.mu.Unlock()
	if ok && e.version == version && now.Sub(e.at) < cacheMaxAge {
		return e.value, nil
	}
	// Concurrent misses of the same view wait for one computation instead of all querying.
	v, err, _ := s.cache.flight.Do(key+"|"+version, func() (any, error) {
		v, err := compute()
		if err != nil {
			return nil, err
		}
		s.cache.mu.Lock()
		if s.cache.entries == nil || len(s.cache.entries) >= cacheMaxEntries {
			s.cache.entries = map[string]cacheEntry{}
		}
		s.cache.entries[key] = cacheEntry{version: version, at: now, value: v}
		s.cache.mu.Unlock()
		return v, nil
	})
	return v, err
}
