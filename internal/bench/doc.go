// Package bench holds Vigie's national-scale benchmark (national_test.go, build tag
// "national", run by `make bench-national`): 30 academies and up to 11,000 schools at
// realistic sizes with 60 days of history on PostgreSQL, evaluated daily by a real `vigie
// serve` replica, measured at several sizes to show how the figures grow. It is not part of
// `make test` or `make bench`: it takes several minutes and most of the machine.
package bench
