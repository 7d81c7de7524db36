// Package frontend holds Vigie's web interface as files embedded in the binary: the
// html/template pages (templates/) and the static files (static/): Vigie's own CSS and
// JavaScript, and the vendored French State design system (DSFR) and code editor
// (CodeMirror), each with its VERSION and a Makefile target that refreshes it. No Node is
// needed to build or run Vigie; the browser tests in e2e/ use npm.
package frontend

import "embed"

// Templates are the page templates: layout.html and one file per page.
//
//go:embed templates
var Templates embed.FS

// Static are the files served under /static/.
//
//go:embed static
var Static embed.FS
