//go:build race

package ingest

// raceEnabled: the race detector slows reading tenfold and changes what the heap counts.
const raceEnabled = true
