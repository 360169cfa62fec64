package cluster

import "hash/fnv"

// Share is how many of a mapping's concurrency slots the member self should hold
// when members (live, ordered by id) share them: concurrency/len(members) each,
// and the remainder one each to the members after a starting point taken from the
// mapping's UUID, so that mappings of concurrency 1 spread over the nodes instead
// of all landing on the first. The shares of all members add up to concurrency;
// a member not in members gets 0.
func Share(mappingUUID string, concurrency int, members []string, self string) int {
	n := len(members)
	p := -1
	for i, id := range members {
		if id == self {
			p = i
		}
	}
	if p < 0 || concurrency <= 0 {
		return 0
	}
	h := fnv.New32a()
	h.Write([]byte(mappingUUID))
	start := int(h.Sum32() % uint32(n))
	rank := (p - start + n) % n
	share := concurrency / n
	if rank < concurrency%n {
		share++
	}
	return share
}
