package cluster

import (
	"fmt"
	"testing"
)

func TestShareAddsUpToConcurrency(t *testing.T) {
	for _, n := range []int{1, 2, 3, 4, 7} {
		var members []string
		for i := range n {
			members = append(members, fmt.Sprintf("node-%d", i))
		}
		for _, c := range []int{1, 2, 3, 5, 10, 1000} {
			for m := range 20 {
				uuid := fmt.Sprintf("mapping-%d", m)
				sum, most, least := 0, 0, c
				for _, id := range members {
					s := Share(uuid, c, members, id)
					sum += s
					most, least = max(most, s), min(least, s)
				}
				if sum != c {
					t.Fatalf("%d nodes, concurrency %d, %s: shares add up to %d", n, c, uuid, sum)
				}
				if most-least > 1 {
					t.Fatalf("%d nodes, concurrency %d: shares from %d to %d, not even", n, c, least, most)
				}
			}
		}
	}
	if s := Share("m", 5, []string{"a", "b"}, "c"); s != 0 {
		t.Fatalf("a node outside the members got %d slots", s)
	}
}

func TestShareSpreadsSingleSlotMappings(t *testing.T) {
	members := []string{"a", "b", "c"}
	got := map[string]int{}
	for m := range 300 {
		for _, id := range members {
			got[id] += Share(fmt.Sprintf("%08d-mapping", m), 1, members, id)
		}
	}
	for _, id := range members {
		if got[id] < 60 {
			t.Fatalf("node %s runs %d of 300 single-slot mappings: %v", id, got[id], got)
		}
	}
}
