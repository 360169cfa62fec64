package secrets

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
)

// ErrWrongKey: the key does not match the one the store's secrets are encrypted
// with (CheckKey).
var ErrWrongKey = errors.New("secrets: wrong secret key for this store")

// KeyFromEnv returns the key (base64) in the environment variable name: how the
// nodes of a cluster can share one key without a file on each.
func KeyFromEnv(name string) ([]byte, error) {
	v := os.Getenv(name)
	if v == "" {
		return nil, fmt.Errorf("secrets: the environment variable %s is not set", name)
	}
	key, err := ParseKey(v)
	if err != nil {
		return nil, fmt.Errorf("secrets: environment variable %s: %w", name, err)
	}
	return key, nil
}

// Settings keeps named values in the store; store.Store is one.
type Settings interface {
	Setting(ctx context.Context, name, initial string) (string, error)
}

// keyCheckSetting names the store setting that holds the key check value.
const keyCheckSetting = "secrets.key_check"

// KeyCheckValue is what the store keeps to recognize the key: an HMAC-SHA256 of a
// fixed label under the key. It tells whether two keys are the same and says
// nothing of the key itself.
func KeyCheckValue(key []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("mqtrigger secret key check v1"))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// CheckKey compares key with the key check value in the store, recording it when
// the store has none (its first start, or the first since the check exists). A
// different key fails with ErrWrongKey: a node started with another key would
// write secrets the others cannot read, and fail to read theirs.
func CheckKey(ctx context.Context, st Settings, key []byte, source string) error {
	want := KeyCheckValue(key)
	got, err := st.Setting(ctx, keyCheckSetting, want)
	if err != nil {
		return err
	}
	if !hmac.Equal([]byte(got), []byte(want)) {
		return wrongKey(source, "its check value differs from the store's")
	}
	return nil
}

func wrongKey(source, why string) error {
	return fmt.Errorf("%w: the key in %s is not the one this store's secrets are encrypted with (%s); every node on a store must use the same key (copy the key file from a node that works, or set the same secretKeyEnv variable on each)", ErrWrongKey, source, why)
}

// CanOpen reports whether the manager's key (from source, for the error) opens a
// stored secret value, when there is one: a store written before the key check value existed is checked
// this way before the first node records its key's check value.
func (m *Manager) CanOpen(ctx context.Context, source string) error {
	list, err := m.st.ListSecrets(ctx)
	if err != nil {
		return err
	}
	for _, s := range list {
		if len(s.Value) == 0 {
			continue
		}
		if _, _, err := m.open(s.ARN, s.VersionID, s.Value); err != nil {
			return wrongKey(source, "it does not open the stored value of secret "+s.Name)
		}
		return nil
	}
	return nil
}
