package esm

import (
	"context"
	"errors"
)

// Store keeps mappings; package store implements it for SQLite and PostgreSQL.
// Every method is safe for concurrent use and returns decoded mappings: callers
// never see how a mapping is laid out in the database.
type Store interface {
	// CreateMapping stores m with Version 1; ErrExists if its UUID is taken,
	// ErrDuplicate if another mapping joins its function and queue.
	CreateMapping(ctx context.Context, m *Mapping) error
	// GetMapping returns the mapping, or ErrNotFound.
	GetMapping(ctx context.Context, uuid string) (*Mapping, error)
	// UpdateMapping writes m if the stored Version equals m.Version (ErrConflict
	// otherwise, ErrNotFound if it is gone, ErrDuplicate as in CreateMapping),
	// and increments m.Version.
	UpdateMapping(ctx context.Context, m *Mapping) error
	// DeleteMapping removes the mapping, or returns ErrNotFound.
	DeleteMapping(ctx context.Context, uuid string) error
	// ListMappings returns mappings ordered by UUID, after f.Marker, at most f.Limit.
	ListMappings(ctx context.Context, f ListFilter) ([]*Mapping, error)
}

// ListFilter selects mappings for ListMappings; empty fields match everything.
type ListFilter struct {
	FunctionName   string
	EventSourceArn string
	Marker         string // return UUIDs greater than this
	Limit          int    // 0: no limit
}

// Errors a Store returns, testable with errors.Is.
var (
	ErrNotFound = errors.New("esm: mapping not found")
	ErrExists   = errors.New("esm: mapping already exists")
	ErrConflict = errors.New("esm: mapping changed by someone else") // Version did not match
	// ErrDuplicate: another mapping (not being deleted) already joins the same
	// function to the same broker queue. The store enforces it with a unique index,
	// so it holds across nodes.
	ErrDuplicate = errors.New("esm: a mapping of this function and queue already exists")
)
