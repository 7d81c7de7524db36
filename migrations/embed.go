// Package migrations embeds Vigie's versioned SQL migrations (goose, plain SQL). Each change
// has the same version number in postgres/ and sqlite/; the store applies them, and a test
// checks that both dialects end with the same tables and columns. There is no AutoMigrate.
package migrations

import "embed"

// FS holds postgres/*.sql and sqlite/*.sql.
//
//go:embed postgres/*.sql sqlite/*.sql
var FS embed.FS
