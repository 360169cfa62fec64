package esm

import (
	"fmt"
	"time"
)

// States a mapping passes through, as Lambda names them. The API moves a mapping
// into a transitional state (Transition); the supervisor settles it (Creating,
// Enabling, Updating → Enabled; Disabling → Disabled; Deleting → gone).
const (
	StateCreating  = "Creating"
	StateEnabling  = "Enabling"
	StateEnabled   = "Enabled"
	StateDisabling = "Disabling"
	StateDisabled  = "Disabled"
	StateUpdating  = "Updating"
	StateDeleting  = "Deleting"
)

// StateTransitionReason values. Lambda uses USER_INITIATED for user changes to MQ
// mappings and one of the error codes when it stops a mapping's consumers.
const (
	ReasonUserInitiated         = "USER_INITIATED"
	ReasonESMConfigNotValid     = "ESM_CONFIG_NOT_VALID"
	ReasonEventSourceAuthnError = "EVENT_SOURCE_AUTHN_ERROR"
	ReasonEventSourceAuthzError = "EVENT_SOURCE_AUTHZ_ERROR"
	ReasonFunctionConfigInvalid = "FUNCTION_CONFIG_NOT_VALID"
)

// LastProcessingResult values.
const (
	ResultNoRecordsProcessed = "No records processed"
	ResultOK                 = "OK"
	ResultFunctionCallFailed = "PROBLEM: Function call failed"
	resultConnectionError    = "PROBLEM: Connection error."
)

// Action is a user's request on a mapping, as Transition takes it.
type Action int

const (
	Create  Action = iota
	Update         // a change that leaves Enabled as it was
	Enable         // an update that sets Enabled
	Disable        // an update that clears Enabled
	Delete
)

// UpdateAction is the Action of an update that takes Enabled from was to now.
func UpdateAction(was, now bool) Action {
	switch {
	case now && !was:
		return Enable
	case !now && was:
		return Disable
	}
	return Update
}

// StateError is returned by Transition when the mapping's state refuses the
// action for now; Lambda answers it with ResourceInUseException.
type StateError struct {
	UUID   string
	State  string
	Action string // "update" or "delete"
}

func (e *StateError) Error() string {
	return fmt.Sprintf("Cannot %s the event source mapping %s because it is in state %s. Retry after it leaves that state.",
		e.Action, e.UUID, e.State)
}

// Transition moves m to the state a user action leads to, recording the reason
// and the time. It returns changed=false when m is already there (a repeated
// delete), and a *StateError when m's state refuses the action.
func Transition(m *Mapping, a Action, now time.Time) (changed bool, err error) {
	var to string
	switch a {
	case Create:
		to = StateCreating
		m.LastProcessingResult = ResultNoRecordsProcessed
	case Update, Enable, Disable:
		if m.State == StateCreating || m.State == StateDeleting {
			return false, &StateError{UUID: m.UUID, State: m.State, Action: "update"}
		}
		to = map[Action]string{Update: StateUpdating, Enable: StateEnabling, Disable: StateDisabling}[a]
	case Delete:
		switch m.State {
		case StateUpdating:
			return false, &StateError{UUID: m.UUID, State: m.State, Action: "delete"}
		case StateDeleting:
			return false, nil
		}
		to = StateDeleting
	default:
		return false, fmt.Errorf("esm: unknown action %d", a)
	}
	m.State, m.StateTransitionReason, m.LastModified = to, ReasonUserInitiated, now
	return true, nil
}

// settled is the state the supervisor brings m to once its consumers match it;
// "" means the mapping is to be removed.
func settled(m *Mapping) string {
	switch m.State {
	case StateDeleting:
		return ""
	case StateDisabling, StateDisabled:
		return StateDisabled
	}
	if !m.Enabled {
		return StateDisabled
	}
	return StateEnabled
}

// settles tells whether the supervisor may move a mapping from state from to state
// to: it never overrides a user's newer Updating, Disabling or Deleting.
func settles(from, to string) bool {
	switch to {
	case StateEnabled:
		return from == StateCreating || from == StateEnabling || from == StateUpdating || from == StateEnabled
	case StateDisabled:
		return from != StateDeleting
	}
	return false
}
