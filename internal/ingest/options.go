package ingest

import (
	"io"
	"time"

	"github.com/vigie-edu/vigie/internal/fact"
)

// Upload is one file as received from a user or a collector.
type Upload struct {
	// Name is the file name as the user knows it (a bare .xml or a .zip). Links files and
	// AAF chunks carry facts in their names, so keep the original name.
	Name    string
	Content io.ReaderAt
	Size    int64
	// ReceivedAt is when Vigie received the file: the export time of last resort.
	ReceivedAt time.Time
	// ModTime is the file system modification time when known (zero otherwise).
	ModTime time.Time
}

// Options tell a reader what the caller expects. Zero values mean "don't check".
type Options struct {
	UAI        string      // expected school; a file of another school is refused
	SchoolYear int         // expected school year (2026 for 2026-2027); another year is refused
	Source     fact.Source // expected kind of file; another kind is refused, naming what it is
	Limits     Limits
}

// Limits protect the reader from hostile or accidental huge inputs. Zero fields take the
// defaults of DefaultLimits.
type Limits struct {
	// MaxFileSize caps the uncompressed bytes of one school file (STS, SIECLE, links).
	MaxFileSize int64
	// MaxFeedSize caps the uncompressed bytes of a federating directory feed, all files together.
	MaxFeedSize int64
	// MaxRatio caps the compression ratio of a zip entry once RatioGrace bytes have been
	// decompressed: real XML exports compress about 10:1 to 30:1, zip bombs 1000:1.
	MaxRatio   int64
	RatioGrace int64
	// MaxRecordElements caps the elements of one record (a pupil, a teacher, a division) so
	// that a single giant record cannot exhaust memory while it is held as a tree.
	MaxRecordElements int
}

// Default limits.
const (
	DefaultMaxFileSize       = 256 << 20
	DefaultMaxFeedSize       = 8 << 30
	DefaultMaxRatio          = 100
	DefaultRatioGrace        = 1 << 20
	DefaultMaxRecordElements = 100_000
)

// DefaultLimits returns the limits used when Options.Limits is zero.
func DefaultLimits() Limits {
	return Limits{
		MaxFileSize:       DefaultMaxFileSize,
		MaxFeedSize:       DefaultMaxFeedSize,
		MaxRatio:          DefaultMaxRatio,
		RatioGrace:        DefaultRatioGrace,
		MaxRecordElements: DefaultMaxRecordElements,
	}
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.MaxFileSize <= 0 {
		l.MaxFileSize = d.MaxFileSize
	}
	if l.MaxFeedSize <= 0 {
		l.MaxFeedSize = d.MaxFeedSize
	}
	if l.MaxRatio <= 0 {
		l.MaxRatio = d.MaxRatio
	}
	if l.RatioGrace <= 0 {
		l.RatioGrace = d.RatioGrace
	}
	if l.MaxRecordElements <= 0 {
		l.MaxRecordElements = d.MaxRecordElements
	}
	return l
}
