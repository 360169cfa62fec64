package esm

import (
	"fmt"

	"github.com/mqtrigger/mqtrigger/filter"
)

// CompileFilters compiles m's FilterCriteria patterns; it is the one place
// patterns are compiled. The API calls it when a create or update brings patterns
// (the error text is Lambda's message) and hands the mapping to the supervisor with
// Notify, so the runner matches with the very set the API compiled. The compiled
// set is process memory, never stored: a mapping the supervisor reads from the store
// without such a hand-over (after a restart, or written by another node) is compiled
// once, when its runner starts.
func (m *Mapping) CompileFilters() error {
	m.filter = nil
	p := m.Patterns()
	if len(p) == 0 {
		return nil
	}
	set, err := filter.Compile(p)
	if err != nil {
		return err
	}
	m.filter = set
	return nil
}

// filters returns the compiled set for m's patterns (nil: no filters), compiling
// them if no one has.
func (m *Mapping) filters() (*filter.Set, error) {
	if m.filter != nil || m.FilterCriteria == nil {
		return m.filter, nil
	}
	if err := m.CompileFilters(); err != nil {
		return nil, fmt.Errorf("FilterCriteria: %w", err)
	}
	return m.filter, nil
}

// SetFunction records the function the API resolved the request's FunctionName
// to, so the runner does not look it up again before its first attempt.
func (m *Mapping) SetFunction(name, arn string) {
	m.FunctionName, m.FunctionArn, m.resolved = name, arn, true
}
