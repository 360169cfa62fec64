package function

import (
	"context"
	"errors"
	"time"
)

// Stored is a function created through the API as the store keeps it: its
// configuration as JSON and its zip, so every node sharing the store can run it.
type Stored struct {
	Name         string
	Config       []byte
	Code         []byte
	CodeSHA256   string
	CodeSize     int64
	LastModified time.Time
	// Version is 0 for $LATEST and a published version's number otherwise: a
	// published version is a snapshot of $LATEST's code and configuration that never
	// changes.
	Version int
}

// StoredAlias is an alias as the store keeps it: its configuration as JSON.
type StoredAlias struct {
	Function string
	Name     string
	Config   []byte
}

// Store keeps the functions created through the API; package store implements it
// for SQLite and PostgreSQL. Every method is safe for concurrent use.
type Store interface {
	PutFunction(ctx context.Context, f *Stored) error // create or replace
	// GetFunction returns an error matching ErrNotStored when there is no such
	// function.
	GetFunction(ctx context.Context, name string) (*Stored, error)
	// ListFunctions returns functions ordered by name, without their Code
	// (GetFunction has it), so listing does not load every zip.
	ListFunctions(ctx context.Context) ([]*Stored, error)
	// DeleteFunction removes a function with its versions, aliases and policies;
	// ErrNotStored when there is none.
	DeleteFunction(ctx context.Context, name string) error

	// PutVersion adds a published version (f.Version > 0); ErrVersionExists when
	// that number is taken (another node published at the same time).
	PutVersion(ctx context.Context, f *Stored) error
	GetVersion(ctx context.Context, name string, version int) (*Stored, error) // ErrNotStored
	// ListVersions returns a function's published versions by number, without Code.
	ListVersions(ctx context.Context, name string) ([]*Stored, error)
	DeleteVersion(ctx context.Context, name string, version int) error // ErrNotStored

	PutAlias(ctx context.Context, a *StoredAlias) error                        // create or replace
	GetAlias(ctx context.Context, function, name string) (*StoredAlias, error) // ErrNotStored
	ListAliases(ctx context.Context, function string) ([]*StoredAlias, error)  // by name
	DeleteAlias(ctx context.Context, function, name string) error              // ErrNotStored

	// PutPolicy stores the resource policy of a function or of one of its versions
	// or aliases (qualifier ""for the function); an empty policy removes it.
	PutPolicy(ctx context.Context, function, qualifier string, policy []byte) error
	GetPolicy(ctx context.Context, function, qualifier string) ([]byte, error) // ErrNotStored
}

// ErrVersionExists is what Store.PutVersion returns for a version number taken.
var ErrVersionExists = errors.New("function version already exists")

// ErrNotStored is what a Store returns for a function it does not have.
var ErrNotStored = errors.New("function not in the store")
