package esm

import (
	"errors"
	"testing"
	"time"
)

func TestTransition(t *testing.T) {
	now := time.Unix(100, 0)
	cases := []struct {
		from    string
		action  Action
		to      string // "" with refused: the state refuses the action
		changed bool
		refused string // the StateError's text
	}{
		{"", Create, StateCreating, true, ""},
		{StateEnabled, Update, StateUpdating, true, ""},
		{StateDisabled, Enable, StateEnabling, true, ""},
		{StateEnabled, Disable, StateDisabling, true, ""},
		{StateUpdating, Update, StateUpdating, true, ""},
		{StateCreating, Update, "", false, "Cannot update the event source mapping u because it is in state Creating. Retry after it leaves that state."},
		{StateDeleting, Enable, "", false, "Cannot update the event source mapping u because it is in state Deleting. Retry after it leaves that state."},
		{StateEnabled, Delete, StateDeleting, true, ""},
		{StateCreating, Delete, StateDeleting, true, ""},
		{StateDeleting, Delete, StateDeleting, false, ""},
		{StateUpdating, Delete, "", false, "Cannot delete the event source mapping u because it is in state Updating. Retry after it leaves that state."},
	}
	for _, tc := range cases {
		m := &Mapping{UUID: "u", State: tc.from, StateTransitionReason: ReasonEventSourceAuthnError}
		changed, err := Transition(m, tc.action, now)
		if tc.refused != "" {
			var se *StateError
			if !errors.As(err, &se) || err.Error() != tc.refused || changed || m.State != tc.from {
				t.Errorf("%s + %d: got %v, %v, state %s; want refused: %s", tc.from, tc.action, changed, err, m.State, tc.refused)
			}
			continue
		}
		if err != nil || changed != tc.changed || m.State != tc.to {
			t.Errorf("%s + %d: got %v, %v, state %s; want %s", tc.from, tc.action, changed, err, m.State, tc.to)
		}
		if changed && (m.StateTransitionReason != ReasonUserInitiated || !m.LastModified.Equal(now)) {
			t.Errorf("%s + %d: reason %s, modified %v", tc.from, tc.action, m.StateTransitionReason, m.LastModified)
		}
	}
	m := &Mapping{}
	if _, err := Transition(m, Create, now); err != nil || m.LastProcessingResult != ResultNoRecordsProcessed {
		t.Errorf("create: %v, result %q", err, m.LastProcessingResult)
	}
	if UpdateAction(false, true) != Enable || UpdateAction(true, false) != Disable || UpdateAction(true, true) != Update {
		t.Error("UpdateAction")
	}
}

// The supervisor settles transitional states, and never undoes a user's newer one.
func TestSettles(t *testing.T) {
	for _, tc := range []struct {
		from, to string
		ok       bool
	}{
		{StateCreating, StateEnabled, true},
		{StateEnabling, StateEnabled, true},
		{StateUpdating, StateEnabled, true},
		{StateEnabled, StateEnabled, true},
		{StateDisabling, StateEnabled, false},
		{StateDeleting, StateEnabled, false},
		{StateDisabling, StateDisabled, true},
		{StateUpdating, StateDisabled, true},
		{StateDeleting, StateDisabled, false},
		{StateEnabled, StateDeleting, false},
	} {
		if got := settles(tc.from, tc.to); got != tc.ok {
			t.Errorf("settles(%s, %s) = %v, want %v", tc.from, tc.to, got, tc.ok)
		}
	}
}

// A set the API compiled is the one the runner matches with; a mapping read
// from the store without one compiles its own, once.
func TestCompileFiltersOnce(t *testing.T) {
	m := &Mapping{Config: Config{FilterCriteria: &FilterCriteria{Filters: []Filter{{Pattern: `{"data":{"a":[1]}}`}}}}}
	if err := m.CompileFilters(); err != nil {
		t.Fatal(err)
	}
	compiled := m.filter
	if set, err := m.filters(); err != nil || set != compiled {
		t.Fatalf("filters() compiled again: %p, %p, %v", set, compiled, err)
	}
	fresh := &Mapping{Config: m.Config}
	set, err := fresh.filters()
	if err != nil || set == nil || set == compiled || !set.Match([]byte(`{"a":1}`)) {
		t.Fatalf("fresh mapping: %v, %v", set, err)
	}
	if again, _ := fresh.filters(); again != set {
		t.Fatal("a second call compiled again")
	}
	bad := &Mapping{Config: Config{FilterCriteria: &FilterCriteria{Filters: []Filter{{Pattern: `{`}}}}}
	if _, err := bad.filters(); err == nil {
		t.Fatal("bad pattern accepted")
	}
}
