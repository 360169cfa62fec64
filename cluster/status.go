package cluster

import (
	"context"
	"time"
)

// Status is the cluster as the store records it: every member row (live or
// expired but not yet removed) and every slot held.
type Status struct {
	Members []Member
	Slots   []Slot
	ReadAt  time.Time
}

// ReadStatus reads the cluster's status from the store.
func ReadStatus(ctx context.Context, st Store) (*Status, error) {
	members, err := st.Members(ctx)
	if err != nil {
		return nil, err
	}
	slots, err := st.Slots(ctx, "")
	if err != nil {
		return nil, err
	}
	return &Status{Members: members, Slots: slots, ReadAt: time.Now()}, nil
}

// Held is how many slots each member holds, by member id.
func (s *Status) Held() map[string]int {
	out := make(map[string]int)
	for _, sl := range s.Slots {
		out[sl.NodeID]++
	}
	return out
}
