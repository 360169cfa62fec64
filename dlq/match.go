package dlq

import "strings"

// MatchQueue reports whether queue is named by pattern the way ActiveMQ names
// destinations: a composite "a,b" names each of its parts, and in a part "*"
// stands for one dot-separated name segment and a final ">" for one or more.
// A mapping consuming "orders.>" so matches a message dead-lettered from
// "orders.eu".
func MatchQueue(pattern, queue string) bool {
	for _, p := range strings.Split(pattern, ",") {
		if matchPart(strings.Split(strings.TrimSpace(p), "."), strings.Split(queue, ".")) {
			return true
		}
	}
	return false
}

func matchPart(p, q []string) bool {
	for i, seg := range p {
		if seg == ">" && i == len(p)-1 {
			return len(q) > i
		}
		if i >= len(q) || (seg != "*" && seg != q[i]) {
			return false
		}
	}
	return len(p) == len(q)
}
