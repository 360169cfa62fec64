package api

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/mqtrigger/mqtrigger/awserr"
	"github.com/mqtrigger/mqtrigger/dlq"
	"github.com/mqtrigger/mqtrigger/esm"
	"github.com/mqtrigger/mqtrigger/openwire"
)

// RedriveEventSourceMapping, an mqtrigger extension (Lambda has no such
// operation): POST /2015-03-31/event-source-mappings/{UUID}/redrive moves the
// messages dead-lettered from the mapping's queues back to them, on the
// mapping's broker with its BASIC_AUTH secret (Options.Redrive). Signed and
// answered like the other mapping operations.

// Redriver runs a redrive for a mapping: it reaches the mapping's broker with
// the mapping's credentials and calls dlq.Redrive. Errors matching
// openwire.ErrAuthentication or openwire.ErrAuthorization mean the broker
// refused the mapping's user.
type Redriver func(ctx context.Context, m *esm.Mapping, opts dlq.Options) (dlq.Result, error)

// redriveRequest is the request body; every member is optional.
type redriveRequest struct {
	DeadLetterQueue *string  // default ActiveMQ.DLQ
	MessageIds      []string // only these messages
	BatchSize       *int     // messages per transaction, 1-10000 (default 100)
	WaitSeconds     *float64 // end once no message arrives for this long, 0.1-60 (default 2)
}

// redriveResponse is dlq.Result with the mapping and queue it concerns.
type redriveResponse struct {
	UUID            string
	DeadLetterQueue string
	dlq.Result
}

const maxRedriveIDs = 1000

func (a *API) redriveMapping(w http.ResponseWriter, r *http.Request, id string, body []byte) *awserr.Error {
	var in redriveRequest
	if e := decodeBody(body, &in); e != nil {
		return e
	}
	opts := dlq.Options{DLQ: dlq.DefaultQueue, IDs: in.MessageIds}
	if in.DeadLetterQueue != nil {
		if q := strings.TrimSpace(*in.DeadLetterQueue); q == "" || strings.ContainsAny(q, ",*>?") {
			return awserr.InvalidParameter("DeadLetterQueue %q: give one queue name, without wildcards, composites or options", *in.DeadLetterQueue)
		}
		opts.DLQ = *in.DeadLetterQueue
	}
	if len(in.MessageIds) > maxRedriveIDs {
		return awserr.InvalidParameter("MessageIds: %d ids, at most %d per request", len(in.MessageIds), maxRedriveIDs)
	}
	for _, mid := range in.MessageIds {
		if mid == "" {
			return awserr.InvalidParameter("MessageIds: an id is empty")
		}
	}
	if in.BatchSize != nil {
		if *in.BatchSize < 1 || *in.BatchSize > 10000 {
			return awserr.InvalidParameter("BatchSize %d: must be 1 to 10000", *in.BatchSize)
		}
		opts.BatchSize = *in.BatchSize
	}
	if in.WaitSeconds != nil {
		if *in.WaitSeconds < 0.1 || *in.WaitSeconds > 60 {
			return awserr.InvalidParameter("WaitSeconds %g: must be 0.1 to 60", *in.WaitSeconds)
		}
		opts.Wait = time.Duration(*in.WaitSeconds * float64(time.Second))
	}
	m, e := a.load(r.Context(), id)
	if e != nil {
		return e
	}
	if m.State == esm.StateDeleting {
		return awserr.NotFound(notFoundText)
	}
	if a.opts.Redrive == nil {
		return awserr.New(http.StatusServiceUnavailable, "ServiceException", "redrive is not available on this server")
	}
	if len(m.Queues) == 0 {
		// never redrive every queue's messages for a mapping that names none
		return awserr.InvalidParameter("mapping %s has no queue to redrive to", m.UUID)
	}
	opts.Queues = m.Queues
	res, err := a.opts.Redrive(r.Context(), m, opts)
	if err != nil {
		return redriveError(m, opts.DLQ, res, err)
	}
	a.log.Info("redrive", "uuid", m.UUID, "dead_letter_queue", opts.DLQ, "moved", res.Moved, "skipped", res.Skipped)
	writeJSON(w, http.StatusOK, "application/json", redriveResponse{UUID: m.UUID, DeadLetterQueue: opts.DLQ, Result: res})
	return nil
}

// redriveError explains a failed redrive, with what it moved before failing:
// the broker's refusal is the caller's to fix (400), an unreachable broker or
// an interrupted redrive is BrokerUnavailableException (502), shown as it is.
func redriveError(m *esm.Mapping, q string, res dlq.Result, err error) *awserr.Error {
	moved := ""
	if res.Moved > 0 {
		moved = " (" + strconv.Itoa(res.Moved) + " message(s) were moved before it stopped)"
	}
	if errors.Is(err, openwire.ErrAuthentication) || errors.Is(err, openwire.ErrAuthorization) {
		return awserr.InvalidParameter("redrive of %s from %s: the broker refused the mapping's BASIC_AUTH user: %v%s", m.UUID, q, err, moved)
	}
	return awserr.New(http.StatusBadGateway, brokerUnavailable, "redrive of %s from %s failed: %v%s; messages not moved are still in %s", m.UUID, q, err, moved, q)
}

const brokerUnavailable = "BrokerUnavailableException"
