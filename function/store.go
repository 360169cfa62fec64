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
	DeleteFunction(ctx context.Context, name string) error // ErrNotStored when there is none
}

// ErrNotStored is what a Store returns for a function it does not have.
var ErrNotStored = errors.New("function not in the store")
