package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/mqtrigger/mqtrigger/esm"
)

// Mappings are kept one column per member; the nested parts (filter criteria,
// source access configurations, function response types, metrics config, tags) are
// JSON that only this file encodes and decodes. Errors wrap esm's.

const mappingCols = `uuid, function_name, function_arn, event_source_arn, queue, enabled, batch_size,
	batching_window, max_concurrency, maximum_retry_attempts, function_response_types, filter_criteria,
	source_access, metrics_config, kms_key_arn, tags, state, state_transition_reason, last_processing_result,
	last_modified, version`

// mappingRow is a mapping as columns, in mappingCols order (without version).
func mappingRow(m *esm.Mapping) ([]any, error) {
	var enc [5]string
	for i, v := range []any{m.FunctionResponseTypes, m.FilterCriteria, m.SourceAccessConfigurations, m.MetricsConfig, m.Tags} {
		var err error
		if enc[i], err = encodeJSON(v); err != nil {
			return nil, fmt.Errorf("store: encode mapping %s: %w", m.UUID, err)
		}
	}
	concurrency := 0
	if m.ScalingConfig != nil {
		concurrency = m.ScalingConfig.MaximumConcurrency
	}
	return []any{m.UUID, m.FunctionName, m.FunctionArn, m.EventSourceArn, m.Queue(), m.Enabled, m.BatchSize,
		nullInt(m.MaximumBatchingWindowInSeconds), concurrency, nullInt(m.MaximumRetryAttempts),
		enc[0], enc[1], enc[2], enc[3], m.KMSKeyArn, enc[4], m.State, m.StateTransitionReason,
		m.LastProcessingResult, toNanos(m.LastModified)}, nil
}

func scanMapping(sc scanner) (*esm.Mapping, error) {
	var m esm.Mapping
	var queue, responseTypes, filters, access, metrics, tags string
	var window, retries sql.NullInt64
	var concurrency int
	var lm int64
	if err := sc.Scan(&m.UUID, &m.FunctionName, &m.FunctionArn, &m.EventSourceArn, &queue, &m.Enabled, &m.BatchSize,
		&window, &concurrency, &retries, &responseTypes, &filters, &access, &metrics, &m.KMSKeyArn, &tags,
		&m.State, &m.StateTransitionReason, &m.LastProcessingResult, &lm, &m.Version); err != nil {
		return nil, err
	}
	if queue != "" {
		m.Queues = []string{queue}
	}
	m.MaximumBatchingWindowInSeconds = intPtr(window)
	m.MaximumRetryAttempts = intPtr(retries)
	if concurrency != 0 {
		m.ScalingConfig = &esm.ScalingConfig{MaximumConcurrency: concurrency}
	}
	for _, f := range []struct {
		s string
		v any
	}{{responseTypes, &m.FunctionResponseTypes}, {filters, &m.FilterCriteria}, {access, &m.SourceAccessConfigurations},
		{metrics, &m.MetricsConfig}, {tags, &m.Tags}} {
		if f.s == "" {
			continue
		}
		if err := json.Unmarshal([]byte(f.s), f.v); err != nil {
			return nil, fmt.Errorf("mapping %s: a stored column is not valid JSON: %w", m.UUID, err)
		}
	}
	m.LastModified = fromNanos(lm)
	return &m, nil
}

// encodeJSON is "" for nil, so an absent member reads back as nil.
func encodeJSON(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil || string(b) == "null" {
		return "", err
	}
	return string(b), nil
}

func nullInt(p *int) any {
	if p == nil {
		return nil
	}
	return int64(*p)
}

func intPtr(n sql.NullInt64) *int {
	if !n.Valid {
		return nil
	}
	v := int(n.Int64)
	return &v
}

func (s *sqlStore) CreateMapping(ctx context.Context, m *esm.Mapping) error {
	if m.UUID == "" {
		return fmt.Errorf("store: create mapping: empty UUID")
	}
	row, err := mappingRow(m)
	if err != nil {
		return err
	}
	_, err = s.c.exec(ctx, `INSERT INTO mappings (`+mappingCols+`, queue_key)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?)`, append(row, esm.QueueKey(m.Queue()))...)
	if err != nil {
		if s.c.isUnique(err) {
			if s.mappingExists(ctx, m.UUID) {
				return fmt.Errorf("mapping %s: %w", m.UUID, esm.ErrExists)
			}
			return fmt.Errorf("mapping %s of function %s and queue %s: %w", m.UUID, m.FunctionName, m.Queue(), esm.ErrDuplicate)
		}
		return fmt.Errorf("store: create mapping %s in %s: %w", m.UUID, s.name, err)
	}
	m.Version = 1
	return nil
}

func (s *sqlStore) GetMapping(ctx context.Context, uuid string) (*esm.Mapping, error) {
	m, err := scanMapping(s.c.queryRow(ctx, `SELECT `+mappingCols+` FROM mappings WHERE uuid = ?`, uuid))
	if err != nil {
		if s.c.isNoRows(err) {
			return nil, fmt.Errorf("mapping %s: %w", uuid, esm.ErrNotFound)
		}
		return nil, fmt.Errorf("store: get mapping %s from %s: %w", uuid, s.name, err)
	}
	return m, nil
}

func (s *sqlStore) UpdateMapping(ctx context.Context, m *esm.Mapping) error {
	row, err := mappingRow(m)
	if err != nil {
		return err
	}
	n, err := s.c.exec(ctx, `UPDATE mappings SET function_name = ?, function_arn = ?, event_source_arn = ?, queue = ?,
		enabled = ?, batch_size = ?, batching_window = ?, max_concurrency = ?, maximum_retry_attempts = ?,
		function_response_types = ?, filter_criteria = ?, source_access = ?, metrics_config = ?, kms_key_arn = ?,
		tags = ?, state = ?, state_transition_reason = ?, last_processing_result = ?, last_modified = ?,
		version = version + 1,
		queue_key = CASE WHEN function_name = ? AND event_source_arn = ? AND queue = ? THEN queue_key ELSE ? END
		WHERE uuid = ? AND version = ?`,
		// queue_key is kept while the source stays: a duplicate the v5 migration
		// told apart (fillQueueKeys) keeps its own key.
		append(row[1:], m.FunctionName, m.EventSourceArn, m.Queue(), esm.QueueKey(m.Queue()), m.UUID, m.Version)...)
	if err != nil {
		if s.c.isUnique(err) {
			return fmt.Errorf("mapping %s of function %s and queue %s: %w", m.UUID, m.FunctionName, m.Queue(), esm.ErrDuplicate)
		}
		return fmt.Errorf("store: update mapping %s in %s: %w", m.UUID, s.name, err)
	}
	if n == 0 {
		return s.missingOrConflict(ctx, "mappings", "uuid", m.UUID, "mapping", esm.ErrNotFound, esm.ErrConflict)
	}
	m.Version++
	return nil
}

func (s *sqlStore) DeleteMapping(ctx context.Context, uuid string) error {
	n, err := s.c.exec(ctx, `DELETE FROM mappings WHERE uuid = ?`, uuid)
	if err != nil {
		return fmt.Errorf("store: delete mapping %s from %s: %w", uuid, s.name, err)
	}
	if n == 0 {
		return fmt.Errorf("mapping %s: %w", uuid, esm.ErrNotFound)
	}
	return nil
}

func (s *sqlStore) ListMappings(ctx context.Context, f esm.ListFilter) ([]*esm.Mapping, error) {
	if f.Limit < 0 {
		return nil, fmt.Errorf("store: list mappings: negative limit %d", f.Limit)
	}
	var where []string
	var args []any
	if f.FunctionName != "" {
		where = append(where, "function_name = ?")
		args = append(args, f.FunctionName)
	}
	if f.EventSourceArn != "" {
		where = append(where, "event_source_arn = ?")
		args = append(args, f.EventSourceArn)
	}
	if f.Marker != "" {
		where = append(where, "uuid > ?")
		args = append(args, f.Marker)
	}
	q := `SELECT ` + mappingCols + ` FROM mappings`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	q += ` ORDER BY uuid`
	if f.Limit > 0 {
		q += ` LIMIT ?`
		args = append(args, f.Limit)
	}
	return list(ctx, s, "mappings", q, args, scanMapping)
}

// legacyMapping is a schema version 1-2 mapping's config column: the API's JSON
// with the tags inside. Only the v3 migration reads it.
type legacyMapping struct {
	esm.Config
	Tags map[string]string
}

// splitMappings is schema version 3's data step: it moves every mapping from the
// old table (one JSON config column beside copies of UUID, function and broker)
// into the new one, a column per member.
func splitMappings(ctx context.Context, tx execer) error {
	r, err := tx.query(ctx, `SELECT uuid, function_name, event_source_arn, config, state, state_transition_reason,
		last_processing_result, last_modified, version FROM mappings_v2 ORDER BY uuid`)
	if err != nil {
		return err
	}
	type old struct {
		m   esm.Mapping
		cfg string
		lm  int64
	}
	var rows []old
	for r.Next() {
		var o old
		if err := r.Scan(&o.m.UUID, &o.m.FunctionName, &o.m.EventSourceArn, &o.cfg, &o.m.State,
			&o.m.StateTransitionReason, &o.m.LastProcessingResult, &o.lm, &o.m.Version); err != nil {
			r.Close()
			return err
		}
		rows = append(rows, o)
	}
	r.Close()
	if err := r.Err(); err != nil {
		return err
	}
	// Inserted after the read is done: PostgreSQL runs one statement at a time on a
	// connection.
	for _, o := range rows {
		m := o.m
		if o.cfg != "" {
			var lc legacyMapping
			if err := json.Unmarshal([]byte(o.cfg), &lc); err != nil {
				return fmt.Errorf("mapping %s: stored configuration is not valid JSON: %w", m.UUID, err)
			}
			m.Config, m.Tags = lc.Config, lc.Tags
			// The columns were the ones queried by; they win over the JSON copies.
			m.FunctionName, m.EventSourceArn = o.m.FunctionName, o.m.EventSourceArn
		}
		m.LastModified = fromNanos(o.lm)
		row, err := mappingRow(&m)
		if err != nil {
			return err
		}
		if _, err := tx.exec(ctx, `INSERT INTO mappings (`+mappingCols+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, append(row, m.Version)...); err != nil {
			return fmt.Errorf("mapping %s: %w", m.UUID, err)
		}
	}
	return nil
}

func (s *sqlStore) mappingExists(ctx context.Context, uuid string) bool {
	var one int
	return s.c.queryRow(ctx, `SELECT 1 FROM mappings WHERE uuid = ?`, uuid).Scan(&one) == nil
}

// fillQueueKeys is schema version 5's data step: every mapping gets its queue_key
// (esm.QueueKey, written in Go so the rule has one home). Mappings that already
// share a function and queue (two nodes raced past the old process mutex) keep
// running: each after the first gets a key of its own, so the unique index that
// follows can be built.
func fillQueueKeys(ctx context.Context, tx execer) error {
	r, err := tx.query(ctx, `SELECT uuid, function_name, event_source_arn, queue, state FROM mappings ORDER BY uuid`)
	if err != nil {
		return err
	}
	type row struct{ uuid, key string }
	var out []row
	seen := map[string]bool{}
	for r.Next() {
		var uuid, fn, arn, queue, state string
		if err := r.Scan(&uuid, &fn, &arn, &queue, &state); err != nil {
			r.Close()
			return err
		}
		key := esm.QueueKey(queue)
		source := fn + "\n" + arn + "\n" + key
		if state != esm.StateDeleting {
			if seen[source] {
				key += " (duplicate " + uuid + ")"
			}
			seen[source] = true
		}
		out = append(out, row{uuid, key})
	}
	r.Close()
	if err := r.Err(); err != nil {
		return err
	}
	for _, o := range out {
		if _, err := tx.exec(ctx, `UPDATE mappings SET queue_key = ? WHERE uuid = ?`, o.key, o.uuid); err != nil {
			return fmt.Errorf("mapping %s: %w", o.uuid, err)
		}
	}
	return nil
}
