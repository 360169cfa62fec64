package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/mqtrigger/mqtrigger/esm"
	"github.com/mqtrigger/mqtrigger/function"
)

// Open opens the store and brings its schema up to date. An empty url means the
// embedded SQLite store in dataDir/mqtrigger.db (created if missing); a
// postgres:// or postgresql:// URL means PostgreSQL, whose options may include
// search_path to use a schema of its own.
func Open(ctx context.Context, url, dataDir string) (Store, error) {
	switch {
	case url == "":
		if dataDir == "" {
			return nil, fmt.Errorf("store: no data directory for the embedded SQLite store (set dataDir, or a PostgreSQL URL in store)")
		}
		return openSQLite(ctx, filepath.Join(dataDir, SQLiteFile))
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		return openPostgres(ctx, url)
	default:
		return nil, fmt.Errorf("store: unsupported store URL %s: use an empty value for the embedded SQLite store, or postgres://user@host:5432/database", redactURL(url))
	}
}

// Errors the secret methods return, testable with errors.Is (the mapping methods
// return esm.ErrNotFound, esm.ErrExists and esm.ErrConflict; the function methods
// function.ErrNotStored).
var (
	ErrNotFound = errors.New("store: not found")
	ErrExists   = errors.New("store: already exists")
	ErrConflict = errors.New("store: changed by someone else") // optimistic concurrency: Version did not match
	// ErrSchemaTooNew: the store was written by a newer mqtrigger; Open refuses it
	// rather than risk damaging it.
	ErrSchemaTooNew = errors.New("store: schema is newer than this mqtrigger")
)

// Store is the persistent state. Every method is safe for concurrent use. Its
// mapping methods are esm.Store's, with esm's errors.
type Store interface {
	esm.Store

	CreateSecret(ctx context.Context, s *Secret) error                // ErrExists if the name or ARN is taken; sets Version=1
	GetSecret(ctx context.Context, nameOrARN string) (*Secret, error) // exact name or exact ARN
	// UpdateSecret writes s (found by ARN) if the stored Version equals s.Version, and
	// increments it.
	UpdateSecret(ctx context.Context, s *Secret) error
	DeleteSecret(ctx context.Context, nameOrARN string) error
	ListSecrets(ctx context.Context) ([]*Secret, error) // ordered by name

	// Setting returns the value stored under name, storing initial first when
	// there is none (the first writer of several nodes wins).
	Setting(ctx context.Context, name, initial string) (string, error)

	// The function methods are function.Store's, with function.ErrNotStored.
	function.Store

	Close() error
}

// Secret is a Secrets Manager secret. Value is ciphertext: the store never sees the
// plain value. The store keeps two versions, the one labelled AWSCURRENT (VersionID,
// Value) and the one labelled AWSPREVIOUS (PreviousVersionID, PreviousValue).
type Secret struct {
	ARN             string
	Name            string
	Description     string
	VersionID       string // "" while the secret has no value
	Value           []byte
	CreatedDate     time.Time
	LastChangedDate time.Time
	Tags            []byte // JSON

	VersionCreatedDate  time.Time // when VersionID was put
	PreviousVersionID   string    // "" when there is no AWSPREVIOUS version
	PreviousValue       []byte
	PreviousCreatedDate time.Time
	DeletedDate         time.Time // zero unless the secret is scheduled for deletion
	DeletionDate        time.Time // when a scheduled secret goes for good
	KmsKeyID            string    // as the client gave it; "" for the default key
	ResourcePolicy      string    // JSON as the client gave it; "" when there is none
	// Version counts writes: CreateSecret sets 1; UpdateSecret writes s only if the
	// stored Version equals s.Version, and increments it (ErrConflict otherwise).
	Version int64
}
