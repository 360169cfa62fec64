package esm_test

import (
	"bufio"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/mqtrigger/mqtrigger/esm"
	"github.com/mqtrigger/mqtrigger/function"
	"github.com/mqtrigger/mqtrigger/internal/checkfor"
	"github.com/mqtrigger/mqtrigger/internal/queuetest"
	"github.com/mqtrigger/mqtrigger/openwire"
)

// Mappings on one broker with the same credentials share one socket, and each
// mapping's consumers still show up at the broker under a client ID that carries the
// mapping's UUID.
func TestMappingsShareASocketUnderTheirOwnClientIDs(t *testing.T) {
	rec := newRecorder(t, func([]events.ActiveMQMessage) (int, string) { return 200, "{}" })
	h := newHarness(t, harnessOptions{functions: []function.Spec{rec.spec("fn")}})
	before := brokerSockets(t, h.broker.URL)

	const n = 3
	var ids, queues []string
	for range n {
		q := queueName(t)
		queues = append(queues, q)
		ids = append(ids, h.create(esm.Config{FunctionName: "fn", Queues: []string{q}, BatchSize: 10,
			MaximumBatchingWindowInSeconds: intp(0), ScalingConfig: &esm.ScalingConfig{MaximumConcurrency: 2}}))
	}
	clientIDs := map[string]string{}
	checkfor.Within(t, 10*time.Second, func() error {
		for _, id := range ids {
			m := regexp.MustCompile(`client_id=(mqtrigger:` + id + `:[0-9a-f]{8})`).FindStringSubmatch(h.logs.String())
			if m == nil {
				return fmt.Errorf("no client ID logged for mapping %s", id)
			}
			clientIDs[id] = m[1]
		}
		return nil
	})
	// The log line comes once the mapping's consumer is subscribed. (Probe no sooner: a
	// probe that took the client ID first would make the broker refuse the mapping's
	// connection and, as ActiveMQ does for any refused ConnectionInfo, drop the socket.)
	for _, id := range ids {
		if !clientIDHeld(t, h, clientIDs[id]) {
			t.Errorf("the broker does not know client ID %s of mapping %s", clientIDs[id], id)
		}
	}
	if got := brokerSockets(t, h.broker.URL) - before; got != 1 {
		t.Errorf("%d mappings opened %d sockets to the broker, want 1", n, got)
	}

	for i, q := range queues {
		queuetest.Send(t, h.broker, q, numbered(fmt.Sprintf("m%d-", i), 0, 20)...)
	}
	waitDelivered(t, rec, n*20, 30*time.Second)

	// Deleting a mapping removes its client ID at the broker; the others keep theirs.
	h.update(ids[0], esm.StateDeleting, func(*esm.Mapping) {})
	checkfor.Within(t, 15*time.Second, func() error {
		if clientIDHeld(t, h, clientIDs[ids[0]]) {
			return errors.New("the deleted mapping's client ID is still held")
		}
		return nil
	})
	for _, id := range ids[1:] {
		if !clientIDHeld(t, h, clientIDs[id]) {
			t.Errorf("deleting another mapping removed client ID %s", clientIDs[id])
		}
	}
}

// clientIDHeld reports whether a broker connection uses clientID: the broker refuses
// a second one with javax.jms.InvalidClientIDException.
func clientIDHeld(t *testing.T, h *harness, clientID string) bool {
	t.Helper()
	var err error
	// The broker drops the socket of a refused ConnectionInfo; once in a fresh-clone
	// run it did so before its answer arrived, so a probe that got no answer at all
	// asks again.
	for range 3 {
		var c *openwire.Conn
		c, err = openwire.Dial(t.Context(), h.broker.URL, openwire.Config{User: h.broker.User, Password: h.broker.Password, ClientID: clientID})
		if err == nil {
			c.Close()
			return false
		}
		var be *openwire.BrokerError
		if errors.As(err, &be) {
			if be.Class == "javax.jms.InvalidClientIDException" {
				return true
			}
			break
		}
	}
	t.Fatalf("probing client ID %s: %v", clientID, err)
	return false
}

// brokerSockets counts this process's established TCP connections to the broker.
func brokerSockets(t *testing.T, brokerURL string) int {
	t.Helper()
	u, err := url.Parse(brokerURL)
	if err != nil {
		t.Fatal(err)
	}
	port, _ := strconv.Atoi(u.Port())
	inodes := map[string]bool{}
	fds, _ := filepath.Glob("/proc/self/fd/*")
	for _, fd := range fds {
		if target, err := os.Readlink(fd); err == nil && strings.HasPrefix(target, "socket:[") {
			inodes[strings.TrimSuffix(strings.TrimPrefix(target, "socket:["), "]")] = true
		}
	}
	count := 0
	for _, table := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		f, err := os.Open(table)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			// sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
			fields := strings.Fields(sc.Text())
			if len(fields) < 10 || fields[3] != "01" || !inodes[fields[9]] {
				continue
			}
			_, remPort, _ := strings.Cut(fields[2], ":")
			if p, err := strconv.ParseUint(remPort, 16, 32); err == nil && int(p) == port {
				count++
			}
		}
		f.Close()
	}
	return count
}
