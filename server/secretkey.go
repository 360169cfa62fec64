package server

import (
	"context"
	"fmt"

	"github.com/mqtrigger/mqtrigger/config"
	"github.com/mqtrigger/mqtrigger/secrets"
	"github.com/mqtrigger/mqtrigger/store"
)

// loadSecretKey reads the key that encrypts secrets (secretKeyEnv, or the file
// secretKeyFile names) and checks it against the store's key check value, so a
// node with another key refuses to start instead of failing on every secret.
func loadSecretKey(ctx context.Context, cfg *config.Config, st store.Store) ([]byte, error) {
	var key []byte
	var source string
	var err error
	if cfg.SecretKeyEnv != "" {
		source = "environment variable " + cfg.SecretKeyEnv + " (secretKeyEnv)"
		if key, err = secrets.KeyFromEnv(cfg.SecretKeyEnv); err != nil {
			return nil, fmt.Errorf("secretKeyEnv: %w", err)
		}
	} else {
		source = "key file " + cfg.SecretKeyPath() + " (secretKeyFile)"
		if key, err = secrets.LoadKey(cfg.SecretKeyPath()); err != nil {
			return nil, fmt.Errorf("secretKeyFile: %w", err)
		}
	}
	if err := secrets.CheckKey(ctx, st, key, source); err != nil {
		return nil, err
	}
	return key, nil
}
