package store

import (
	"context"
	"fmt"
	"time"

	"github.com/mqtrigger/mqtrigger/function"
)

// The two databases differ only in their drivers; sqlStore holds every query and
// talks to the driver through conn. Queries use ? placeholders; the PostgreSQL conn
// rewrites them to $n.
type execer interface {
	exec(ctx context.Context, q string, args ...any) (rowsAffected int64, err error)
	queryRow(ctx context.Context, q string, args ...any) scanner
	query(ctx context.Context, q string, args ...any) (rows, error)
}

type scanner interface{ Scan(dest ...any) error }

type rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close()
}

type conn interface {
	execer
	inTx(ctx context.Context, fn func(tx execer) error) error
	isUnique(err error) bool // a unique or primary key violation
	isNoRows(err error) bool
	close() error
}

type sqlStore struct {
	c    conn
	name string // "sqlite" or "postgres", for errors
}

func nowNanos() int64 { return time.Now().UnixNano() }

func toNanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// blob never returns nil: the columns are NOT NULL and drivers write nil as NULL.
func blob(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

func nilIfEmpty(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}

func (s *sqlStore) Close() error { return s.c.close() }

// missingOrConflict explains why a conditional update changed no row.
func (s *sqlStore) missingOrConflict(ctx context.Context, table, key, id, what string, notFound, conflict error) error {
	var one int
	err := s.c.queryRow(ctx, `SELECT 1 FROM `+table+` WHERE `+key+` = ?`, id).Scan(&one)
	switch {
	case err == nil:
		return fmt.Errorf("%s %s: %w", what, id, conflict)
	case s.c.isNoRows(err):
		return fmt.Errorf("%s %s: %w", what, id, notFound)
	default:
		return fmt.Errorf("store: read %s %s from %s: %w", what, id, s.name, err)
	}
}

func list[T any](ctx context.Context, s *sqlStore, what, q string, args []any, scan func(scanner) (*T, error)) ([]*T, error) {
	r, err := s.c.query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: list %s from %s: %w", what, s.name, err)
	}
	defer r.Close()
	var out []*T
	for r.Next() {
		v, err := scan(r)
		if err != nil {
			return nil, fmt.Errorf("store: list %s from %s: %w", what, s.name, err)
		}
		out = append(out, v)
	}
	if err := r.Err(); err != nil {
		return nil, fmt.Errorf("store: list %s from %s: %w", what, s.name, err)
	}
	return out, nil
}

// Secrets.

const secretCols = `arn, name, description, version_id, value, created_date, last_changed_date, tags,
	version_created_date, previous_version_id, previous_value, previous_created_date,
	deleted_date, deletion_date, version, kms_key_id, resource_policy`

func scanSecret(sc scanner) (*Secret, error) {
	var s Secret
	var tags string
	var created, changed, vcreated, pcreated, deleted, deletion int64
	if err := sc.Scan(&s.ARN, &s.Name, &s.Description, &s.VersionID, &s.Value, &created, &changed, &tags,
		&vcreated, &s.PreviousVersionID, &s.PreviousValue, &pcreated, &deleted, &deletion, &s.Version,
		&s.KmsKeyID, &s.ResourcePolicy); err != nil {
		return nil, err
	}
	s.Value = nilIfEmpty(s.Value)
	s.PreviousValue = nilIfEmpty(s.PreviousValue)
	if tags != "" {
		s.Tags = []byte(tags)
	}
	s.CreatedDate, s.LastChangedDate = fromNanos(created), fromNanos(changed)
	s.VersionCreatedDate, s.PreviousCreatedDate = fromNanos(vcreated), fromNanos(pcreated)
	s.DeletedDate, s.DeletionDate = fromNanos(deleted), fromNanos(deletion)
	return &s, nil
}

func (s *sqlStore) CreateSecret(ctx context.Context, sec *Secret) error {
	if sec.ARN == "" || sec.Name == "" {
		return fmt.Errorf("store: create secret: empty ARN or name")
	}
	_, err := s.c.exec(ctx, `INSERT INTO secrets (`+secretCols+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)`,
		sec.ARN, sec.Name, sec.Description, sec.VersionID, blob(sec.Value), toNanos(sec.CreatedDate),
		toNanos(sec.LastChangedDate), string(sec.Tags), toNanos(sec.VersionCreatedDate),
		sec.PreviousVersionID, blob(sec.PreviousValue), toNanos(sec.PreviousCreatedDate),
		toNanos(sec.DeletedDate), toNanos(sec.DeletionDate), sec.KmsKeyID, sec.ResourcePolicy)
	if err != nil {
		if s.c.isUnique(err) {
			return fmt.Errorf("secret %s: %w", sec.Name, ErrExists)
		}
		return fmt.Errorf("store: create secret %s in %s: %w", sec.Name, s.name, err)
	}
	sec.Version = 1
	return nil
}

func (s *sqlStore) GetSecret(ctx context.Context, nameOrARN string) (*Secret, error) {
	sec, err := scanSecret(s.c.queryRow(ctx, `SELECT `+secretCols+` FROM secrets WHERE arn = ? OR name = ?`,
		nameOrARN, nameOrARN))
	if err != nil {
		if s.c.isNoRows(err) {
			return nil, fmt.Errorf("secret %s: %w", nameOrARN, ErrNotFound)
		}
		return nil, fmt.Errorf("store: get secret %s from %s: %w", nameOrARN, s.name, err)
	}
	return sec, nil
}

func (s *sqlStore) UpdateSecret(ctx context.Context, sec *Secret) error {
	n, err := s.c.exec(ctx, `UPDATE secrets SET name = ?, description = ?, version_id = ?, value = ?,
		created_date = ?, last_changed_date = ?, tags = ?, version_created_date = ?, previous_version_id = ?,
		previous_value = ?, previous_created_date = ?, deleted_date = ?, deletion_date = ?, kms_key_id = ?,
		resource_policy = ?, version = version + 1
		WHERE arn = ? AND version = ?`,
		sec.Name, sec.Description, sec.VersionID, blob(sec.Value), toNanos(sec.CreatedDate),
		toNanos(sec.LastChangedDate), string(sec.Tags), toNanos(sec.VersionCreatedDate), sec.PreviousVersionID,
		blob(sec.PreviousValue), toNanos(sec.PreviousCreatedDate), toNanos(sec.DeletedDate),
		toNanos(sec.DeletionDate), sec.KmsKeyID, sec.ResourcePolicy, sec.ARN, sec.Version)
	if err != nil {
		if s.c.isUnique(err) {
			return fmt.Errorf("secret %s: %w", sec.Name, ErrExists)
		}
		return fmt.Errorf("store: update secret %s in %s: %w", sec.ARN, s.name, err)
	}
	if n == 0 {
		return s.missingOrConflict(ctx, "secrets", "arn", sec.ARN, "secret", ErrNotFound, ErrConflict)
	}
	sec.Version++
	return nil
}

func (s *sqlStore) DeleteSecret(ctx context.Context, nameOrARN string) error {
	n, err := s.c.exec(ctx, `DELETE FROM secrets WHERE arn = ? OR name = ?`, nameOrARN, nameOrARN)
	if err != nil {
		return fmt.Errorf("store: delete secret %s from %s: %w", nameOrARN, s.name, err)
	}
	if n == 0 {
		return fmt.Errorf("secret %s: %w", nameOrARN, ErrNotFound)
	}
	return nil
}

func (s *sqlStore) ListSecrets(ctx context.Context) ([]*Secret, error) {
	return list(ctx, s, "secrets", `SELECT `+secretCols+` FROM secrets ORDER BY name`, nil, scanSecret)
}

// Functions.

const functionCols = `name, config, code, code_sha256, code_size, last_modified`

func scanFunction(sc scanner) (*function.Stored, error) { return scanStored(sc, false) }

// scanStored scans a row of functionCols, or with version of versionCols.
func scanStored(sc scanner, version bool) (*function.Stored, error) {
	var f function.Stored
	var cfg string
	var lm int64
	dest := []any{&f.Name, &cfg, &f.Code, &f.CodeSHA256, &f.CodeSize, &lm}
	if version {
		dest = append(dest, &f.Version)
	}
	if err := sc.Scan(dest...); err != nil {
		return nil, err
	}
	if cfg != "" {
		f.Config = []byte(cfg)
	}
	f.Code = nilIfEmpty(f.Code)
	f.LastModified = fromNanos(lm)
	return &f, nil
}

func (s *sqlStore) PutFunction(ctx context.Context, f *function.Stored) error {
	if f.Name == "" {
		return fmt.Errorf("store: put function: empty name")
	}
	_, err := s.c.exec(ctx, `INSERT INTO functions (`+functionCols+`) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET config = excluded.config, code = excluded.code,
		code_sha256 = excluded.code_sha256, code_size = excluded.code_size, last_modified = excluded.last_modified`,
		f.Name, string(f.Config), blob(f.Code), f.CodeSHA256, f.CodeSize, toNanos(f.LastModified))
	if err != nil {
		return fmt.Errorf("store: put function %s in %s: %w", f.Name, s.name, err)
	}
	return nil
}

func (s *sqlStore) GetFunction(ctx context.Context, name string) (*function.Stored, error) {
	f, err := scanFunction(s.c.queryRow(ctx, `SELECT `+functionCols+` FROM functions WHERE name = ?`, name))
	if err != nil {
		if s.c.isNoRows(err) {
			return nil, fmt.Errorf("function %s: %w", name, function.ErrNotStored)
		}
		return nil, fmt.Errorf("store: get function %s from %s: %w", name, s.name, err)
	}
	return f, nil
}

func (s *sqlStore) ListFunctions(ctx context.Context) ([]*function.Stored, error) {
	// The zips stay in the database: a list of many functions would otherwise load
	// them all.
	return list(ctx, s, "functions", `SELECT name, config, '', code_sha256, code_size, last_modified
		FROM functions ORDER BY name`, nil, scanFunction)
}

func (s *sqlStore) DeleteFunction(ctx context.Context, name string) error {
	var n int64
	err := s.c.inTx(ctx, func(tx execer) error {
		var err error
		if n, err = tx.exec(ctx, `DELETE FROM functions WHERE name = ?`, name); err != nil || n == 0 {
			return err
		}
		for _, q := range []string{
			`DELETE FROM function_versions WHERE name = ?`,
			`DELETE FROM function_aliases WHERE function = ?`,
			`DELETE FROM function_policies WHERE function = ?`,
		} {
			if _, err := tx.exec(ctx, q, name); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: delete function %s from %s: %w", name, s.name, err)
	}
	if n == 0 {
		return fmt.Errorf("function %s: %w", name, function.ErrNotStored)
	}
	return nil
}

// Function versions, aliases and policies.

const versionCols = functionCols + `, version`

func scanVersion(sc scanner) (*function.Stored, error) { return scanStored(sc, true) }

func (s *sqlStore) PutVersion(ctx context.Context, f *function.Stored) error {
	if f.Name == "" || f.Version < 1 {
		return fmt.Errorf("store: put function version: empty name or version %d", f.Version)
	}
	_, err := s.c.exec(ctx, `INSERT INTO function_versions (`+versionCols+`) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		f.Name, string(f.Config), blob(f.Code), f.CodeSHA256, f.CodeSize, toNanos(f.LastModified), f.Version)
	if err != nil {
		if s.c.isUnique(err) {
			return fmt.Errorf("function %s version %d: %w", f.Name, f.Version, function.ErrVersionExists)
		}
		return fmt.Errorf("store: put function %s version %d in %s: %w", f.Name, f.Version, s.name, err)
	}
	return nil
}

func (s *sqlStore) GetVersion(ctx context.Context, name string, version int) (*function.Stored, error) {
	f, err := scanVersion(s.c.queryRow(ctx, `SELECT `+versionCols+` FROM function_versions WHERE name = ? AND version = ?`, name, version))
	if err != nil {
		if s.c.isNoRows(err) {
			return nil, fmt.Errorf("function %s version %d: %w", name, version, function.ErrNotStored)
		}
		return nil, fmt.Errorf("store: get function %s version %d from %s: %w", name, version, s.name, err)
	}
	return f, nil
}

func (s *sqlStore) ListVersions(ctx context.Context, name string) ([]*function.Stored, error) {
	return list(ctx, s, "function versions", `SELECT name, config, '', code_sha256, code_size, last_modified, version
		FROM function_versions WHERE name = ? ORDER BY version`, []any{name}, scanVersion)
}

func (s *sqlStore) DeleteVersion(ctx context.Context, name string, version int) error {
	n, err := s.deleteWithPolicy(ctx, `DELETE FROM function_versions WHERE name = ? AND version = ?`,
		name, version, fmt.Sprint(version))
	if err != nil {
		return fmt.Errorf("store: delete function %s version %d from %s: %w", name, version, s.name, err)
	}
	if n == 0 {
		return fmt.Errorf("function %s version %d: %w", name, version, function.ErrNotStored)
	}
	return nil
}

func scanAlias(sc scanner) (*function.StoredAlias, error) {
	var a function.StoredAlias
	var cfg string
	if err := sc.Scan(&a.Function, &a.Name, &cfg); err != nil {
		return nil, err
	}
	a.Config = []byte(cfg)
	return &a, nil
}

func (s *sqlStore) PutAlias(ctx context.Context, a *function.StoredAlias) error {
	_, err := s.c.exec(ctx, `INSERT INTO function_aliases (function, name, config) VALUES (?, ?, ?)
		ON CONFLICT (function, name) DO UPDATE SET config = excluded.config`, a.Function, a.Name, string(a.Config))
	if err != nil {
		return fmt.Errorf("store: put alias %s:%s in %s: %w", a.Function, a.Name, s.name, err)
	}
	return nil
}

func (s *sqlStore) GetAlias(ctx context.Context, fn, name string) (*function.StoredAlias, error) {
	a, err := scanAlias(s.c.queryRow(ctx, `SELECT function, name, config FROM function_aliases WHERE function = ? AND name = ?`, fn, name))
	if err != nil {
		if s.c.isNoRows(err) {
			return nil, fmt.Errorf("alias %s:%s: %w", fn, name, function.ErrNotStored)
		}
		return nil, fmt.Errorf("store: get alias %s:%s from %s: %w", fn, name, s.name, err)
	}
	return a, nil
}

func (s *sqlStore) ListAliases(ctx context.Context, fn string) ([]*function.StoredAlias, error) {
	return list(ctx, s, "aliases", `SELECT function, name, config FROM function_aliases WHERE function = ? ORDER BY name`,
		[]any{fn}, scanAlias)
}

func (s *sqlStore) DeleteAlias(ctx context.Context, fn, name string) error {
	n, err := s.deleteWithPolicy(ctx, `DELETE FROM function_aliases WHERE function = ? AND name = ?`, fn, name, name)
	if err != nil {
		return fmt.Errorf("store: delete alias %s:%s from %s: %w", fn, name, s.name, err)
	}
	if n == 0 {
		return fmt.Errorf("alias %s:%s: %w", fn, name, function.ErrNotStored)
	}
	return nil
}

// deleteWithPolicy runs del with fn and key, and deletes the policy of fn's
// qualifier, in one transaction; n is the rows del deleted.
func (s *sqlStore) deleteWithPolicy(ctx context.Context, del, fn string, key any, qualifier string) (n int64, err error) {
	err = s.c.inTx(ctx, func(tx execer) error {
		var err error
		if n, err = tx.exec(ctx, del, fn, key); err != nil {
			return err
		}
		_, err = tx.exec(ctx, `DELETE FROM function_policies WHERE function = ? AND qualifier = ?`, fn, qualifier)
		return err
	})
	return n, err
}

func (s *sqlStore) PutPolicy(ctx context.Context, fn, qualifier string, policy []byte) error {
	var err error
	if len(policy) == 0 {
		_, err = s.c.exec(ctx, `DELETE FROM function_policies WHERE function = ? AND qualifier = ?`, fn, qualifier)
	} else {
		_, err = s.c.exec(ctx, `INSERT INTO function_policies (function, qualifier, policy) VALUES (?, ?, ?)
			ON CONFLICT (function, qualifier) DO UPDATE SET policy = excluded.policy`, fn, qualifier, string(policy))
	}
	if err != nil {
		return fmt.Errorf("store: put policy of %s in %s: %w", fn, s.name, err)
	}
	return nil
}

func (s *sqlStore) GetPolicy(ctx context.Context, fn, qualifier string) ([]byte, error) {
	var p string
	err := s.c.queryRow(ctx, `SELECT policy FROM function_policies WHERE function = ? AND qualifier = ?`, fn, qualifier).Scan(&p)
	if err != nil {
		if s.c.isNoRows(err) {
			return nil, fmt.Errorf("policy of %s: %w", fn, function.ErrNotStored)
		}
		return nil, fmt.Errorf("store: get policy of %s from %s: %w", fn, s.name, err)
	}
	return []byte(p), nil
}

// Settings.

func (s *sqlStore) Setting(ctx context.Context, name, initial string) (string, error) {
	if _, err := s.c.exec(ctx, `INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING`,
		name, initial); err != nil {
		return "", fmt.Errorf("store: write setting %s in %s: %w", name, s.name, err)
	}
	var v string
	if err := s.c.queryRow(ctx, `SELECT value FROM settings WHERE name = ?`, name).Scan(&v); err != nil {
		return "", fmt.Errorf("store: read setting %s from %s: %w", name, s.name, err)
	}
	return v, nil
}
