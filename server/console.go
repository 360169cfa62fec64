package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"unicode/utf8"

	"github.com/mqtrigger/mqtrigger/config"
	"github.com/mqtrigger/mqtrigger/console"
	"github.com/mqtrigger/mqtrigger/dlq"
	"github.com/mqtrigger/mqtrigger/esm"
	"github.com/mqtrigger/mqtrigger/openwire"
	"github.com/mqtrigger/mqtrigger/secrets"
)

// deadLetterBody is how much of a body the console shows.
const deadLetterBody = 200

// deadLetters is the console's view of a dead-letter queue: it browses the queue
// on the mapping's broker (nothing is consumed) and keeps the messages
// dead-lettered from the mapping's queues, the ones its redrive would move.
func deadLetters(cfg *config.Config, st esm.Store, sm *secrets.Manager) console.DeadLetters {
	return func(ctx context.Context, id, queue string, limit int) ([]console.DeadLetter, error) {
		m, err := st.GetMapping(ctx, id)
		if err != nil {
			return nil, err
		}
		conn, err := mappingConn(ctx, cfg, sm, m)
		if err != nil {
			return nil, err
		}
		defer conn.Close()
		sess, err := conn.NewSession(ctx, false)
		if err != nil {
			return nil, err
		}
		b, err := sess.NewBrowser(ctx, queue, openwire.BrowserOptions{})
		if err != nil {
			return nil, fmt.Errorf("browsing %s: %w", queue, err)
		}
		defer b.Close(context.WithoutCancel(ctx))
		var out []console.DeadLetter
		for len(out) < limit {
			msg, err := b.Next(ctx)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return out, fmt.Errorf("browsing %s: %w", queue, err)
			}
			if msg.OriginalDestination == nil || !fromQueues(m.Queues, msg.OriginalDestination.Name) {
				continue
			}
			cause, _ := msg.Properties["dlqDeliveryFailureCause"].(string)
			out = append(out, console.DeadLetter{
				MessageID: msg.ID, OriginalQueue: msg.OriginalDestination.Name, Cause: cause,
				RedeliveryCounter: msg.RedeliveryCounter, Timestamp: msg.Timestamp, Body: preview(msg.Data()),
			})
		}
		return out, nil
	}
}

func fromQueues(queues []string, name string) bool {
	for _, q := range queues {
		if dlq.MatchQueue(q, name) {
			return true
		}
	}
	return false
}

// preview is the start of a body as text, cut at a rune boundary.
func preview(b []byte) string {
	if len(b) > deadLetterBody {
		b = b[:deadLetterBody]
		for len(b) > 0 && !utf8.Valid(b) {
			b = b[:len(b)-1]
		}
	}
	return string(b)
}

// withConsole serves the web console under /console/ and everything else with the API.
func withConsole(api, cons http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if console.Handles(r.URL.Path) {
			cons.ServeHTTP(w, r)
			return
		}
		api.ServeHTTP(w, r)
	})
}
