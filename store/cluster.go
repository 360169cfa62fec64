package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/mqtrigger/mqtrigger/cluster"
)

// pgStore is the PostgreSQL store: every Store method, and cluster.Store's, which
// the embedded SQLite store lacks (a cluster needs a database the nodes share).
type pgStore struct {
	*sqlStore
	pool *pgxpool.Pool
}

var _ cluster.Store = (*pgStore)(nil)

// notifyNodes tells every node that membership changed.
const notifyNodes = `SELECT pg_notify('mqtrigger:' || current_schema(), 'nodes:')`

func millis(d time.Duration) int64 { return d.Milliseconds() }

func (s *pgStore) Join(ctx context.Context, m cluster.Member, lease time.Duration) error {
	return s.c.inTx(ctx, func(tx execer) error {
		if _, err := tx.exec(ctx, `INSERT INTO cluster_nodes (id, name, address, expires_at)
			VALUES (?, ?, ?, now() + ? * interval '1 millisecond')`, m.ID, m.Name, m.Address, millis(lease)); err != nil {
			return fmt.Errorf("store: join the cluster as %s (%s): %w", m.Name, m.ID, err)
		}
		_, err := tx.exec(ctx, notifyNodes)
		return err
	})
}

func (s *pgStore) Renew(ctx context.Context, id string, lease time.Duration) (bool, error) {
	n, err := s.c.exec(ctx, `UPDATE cluster_nodes SET renewed_at = now(), expires_at = now() + ? * interval '1 millisecond'
		WHERE id = ? AND expires_at > now()`, millis(lease), id)
	if err != nil {
		return false, fmt.Errorf("store: renew the lease of cluster member %s: %w", id, err)
	}
	return n == 1, nil
}

func (s *pgStore) Leave(ctx context.Context, id string) error {
	return s.c.inTx(ctx, func(tx execer) error {
		if _, err := tx.exec(ctx, `DELETE FROM cluster_nodes WHERE id = ?`, id); err != nil {
			return fmt.Errorf("store: leave the cluster (%s): %w", id, err)
		}
		_, err := tx.exec(ctx, notifyNodes)
		return err
	})
}

func (s *pgStore) Expire(ctx context.Context) (int, error) {
	var n int64
	err := s.c.inTx(ctx, func(tx execer) error {
		var err error
		if n, err = tx.exec(ctx, `DELETE FROM cluster_nodes WHERE expires_at <= now()`); err != nil || n == 0 {
			return err
		}
		_, err = tx.exec(ctx, notifyNodes)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("store: remove expired cluster members: %w", err)
	}
	return int(n), nil
}

func (s *pgStore) Members(ctx context.Context) ([]cluster.Member, error) {
	out, err := list(ctx, s.sqlStore, "cluster members", `SELECT id, name, address, joined_at, renewed_at, expires_at,
		expires_at > now() FROM cluster_nodes ORDER BY id`, nil, func(sc scanner) (*cluster.Member, error) {
		var m cluster.Member
		err := sc.Scan(&m.ID, &m.Name, &m.Address, &m.JoinedAt, &m.RenewedAt, &m.ExpiresAt, &m.Live)
		return &m, err
	})
	return deref(out), err
}

func (s *pgStore) Slots(ctx context.Context, mappingUUID string) ([]cluster.Slot, error) {
	q := `SELECT mapping_uuid, slot, node_id, claimed_at FROM cluster_slots`
	var args []any
	if mappingUUID != "" {
		q += ` WHERE mapping_uuid = ?`
		args = append(args, mappingUUID)
	}
	out, err := list(ctx, s.sqlStore, "cluster slots", q+` ORDER BY mapping_uuid, slot`, args, func(sc scanner) (*cluster.Slot, error) {
		var sl cluster.Slot
		err := sc.Scan(&sl.MappingUUID, &sl.Slot, &sl.NodeID, &sl.ClaimedAt)
		return &sl, err
	})
	return deref(out), err
}

func (s *pgStore) ClaimSlots(ctx context.Context, mappingUUID, id string, concurrency, n int) ([]int, error) {
	if n <= 0 || concurrency <= 0 {
		return nil, nil
	}
	r, err := s.c.query(ctx, `INSERT INTO cluster_slots (mapping_uuid, slot, node_id)
		SELECT ?, g.s, ? FROM generate_series(0, ? - 1) AS g(s)
		WHERE EXISTS (SELECT 1 FROM cluster_nodes WHERE id = ? AND expires_at > now())
			AND EXISTS (SELECT 1 FROM mappings WHERE uuid = ?)
			AND NOT EXISTS (SELECT 1 FROM cluster_slots c WHERE c.mapping_uuid = ? AND c.slot = g.s)
		ORDER BY g.s LIMIT ?
		ON CONFLICT DO NOTHING
		RETURNING slot`, mappingUUID, id, concurrency, id, mappingUUID, mappingUUID, n)
	if err != nil {
		return nil, fmt.Errorf("store: claim slots of mapping %s: %w", mappingUUID, err)
	}
	defer r.Close()
	var got []int
	for r.Next() {
		var slot int
		if err := r.Scan(&slot); err != nil {
			return nil, fmt.Errorf("store: claim slots of mapping %s: %w", mappingUUID, err)
		}
		got = append(got, slot)
	}
	if err := r.Err(); err != nil {
		if s.isForeignKey(err) { // the mapping or the member went meanwhile
			return nil, nil
		}
		return nil, fmt.Errorf("store: claim slots of mapping %s: %w", mappingUUID, err)
	}
	return got, nil
}

func (s *pgStore) ReleaseSlots(ctx context.Context, mappingUUID, id string, slots []int) (int, error) {
	var others int
	err := s.c.inTx(ctx, func(tx execer) error {
		// The mapping's row lock orders the releases of one mapping: of nodes
		// releasing together, the last one sees that nobody holds a slot.
		var one int
		err := tx.queryRow(ctx, `SELECT 1 FROM mappings WHERE uuid = ? FOR UPDATE`, mappingUUID).Scan(&one)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil // deleted: its slots went with it
		}
		if err != nil {
			return err
		}
		q := `DELETE FROM cluster_slots WHERE mapping_uuid = ? AND node_id = ?`
		args := []any{mappingUUID, id}
		if slots != nil {
			if len(slots) == 0 {
				q += ` AND false`
			} else {
				q += ` AND slot = ANY(?)`
				args = append(args, slots)
			}
		}
		n, err := tx.exec(ctx, q, args...)
		if err != nil {
			return err
		}
		if err := tx.queryRow(ctx, `SELECT count(*) FROM cluster_slots WHERE mapping_uuid = ? AND node_id <> ?`,
			mappingUUID, id).Scan(&others); err != nil {
			return err
		}
		if n > 0 { // free slots: the nodes short of their share claim them now
			_, err = tx.exec(ctx, `SELECT pg_notify('mqtrigger:' || current_schema(), 'slots:' || ?::text)`, mappingUUID)
		}
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("store: release slots of mapping %s: %w", mappingUUID, err)
	}
	return others, nil
}

func (s *pgStore) Listen(ctx context.Context, listening func(), fn func(string)) error {
	c, err := s.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("store: listen for changes: %w", err)
	}
	// The connection carries a LISTEN: it never goes back to the pool.
	conn := c.Hijack()
	defer conn.Close(context.Background())
	var schema string
	if err := conn.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		return fmt.Errorf("store: listen for changes: %w", err)
	}
	if _, err := conn.Exec(ctx, `LISTEN `+pgx.Identifier{"mqtrigger:" + schema}.Sanitize()); err != nil {
		return fmt.Errorf("store: listen for changes: %w", err)
	}
	listening()
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return fmt.Errorf("store: listening for changes: %w", err)
		}
		fn(n.Payload)
	}
}

func deref[T any](in []*T) []T {
	out := make([]T, len(in))
	for i, p := range in {
		out[i] = *p
	}
	return out
}

func (s *pgStore) isForeignKey(err error) bool {
	var e *pgconn.PgError
	return errors.As(err, &e) && e.Code == "23503"
}
