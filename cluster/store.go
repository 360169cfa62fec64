package cluster

import (
	"context"
	"time"
)

// Store is the persistence a cluster runs on: PostgreSQL's, as package store
// implements it (a store that offers these methods can carry a cluster; the
// embedded SQLite store does not). Times are the database's clock, so nodes need
// not agree on theirs.
type Store interface {
	// Join adds a member whose lease ends lease from now.
	Join(ctx context.Context, m Member, lease time.Duration) error
	// Renew extends member id's lease to lease from now. It answers false when
	// the lease had already ended or the member is gone: the node must then
	// consider its slots lost and join again under a new id.
	Renew(ctx context.Context, id string, lease time.Duration) (bool, error)
	// Leave removes the member and with it the slots it holds.
	Leave(ctx context.Context, id string) error
	// Expire removes the members whose lease has ended, and their slots, and
	// returns how many it removed.
	Expire(ctx context.Context) (int, error)
	// Members lists every member row, ordered by id; Live says whose lease runs.
	Members(ctx context.Context) ([]Member, error)
	// Slots lists the slots held, of one mapping or ("" ) of all, ordered by
	// mapping and slot.
	Slots(ctx context.Context, mappingUUID string) ([]Slot, error)
	// ClaimSlots claims up to n free slots numbered below concurrency for member
	// id, only while its lease runs and the mapping exists, and returns the slot
	// numbers it got.
	ClaimSlots(ctx context.Context, mappingUUID, id string, concurrency, n int) ([]int, error)
	// ReleaseSlots gives back member id's slots of the mapping (all of them when
	// slots is nil) and returns how many slots of it other members still hold.
	// Releases of one mapping are serialized, so of nodes releasing together the
	// last sees 0.
	ReleaseSlots(ctx context.Context, mappingUUID, id string, slots []int) (othersHold int, err error)
	// Listen delivers the notifications of changes ("mappings:<uuid>",
	// "secrets:<arn>", "functions:<name>", "slots:<uuid>", "nodes:") to fn until ctx
	// ends or the connection fails; listening is called once the subscription is in
	// place.
	Listen(ctx context.Context, listening func(), fn func(payload string)) error
}

// Member is one node of the cluster as the store keeps it.
type Member struct {
	ID        string // new each time a node joins
	Name      string // the node's name (config cluster.nodeName; default host:port of listen)
	Address   string // its API address
	JoinedAt  time.Time
	RenewedAt time.Time
	ExpiresAt time.Time
	Live      bool // the lease runs, by the database's clock
}

// Slot is one of a mapping's MaximumConcurrency slots, held by one member.
type Slot struct {
	MappingUUID string
	Slot        int
	NodeID      string
	ClaimedAt   time.Time
}
