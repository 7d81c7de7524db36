package main

// The time zone database is embedded (about 450 KB) so that Europe/Paris resolves in a
// minimal image without /usr/share/zoneinfo.
import _ "time/tzdata"
