package server

import (
	"fmt"

	"github.com/mqtrigger/mqtrigger/config"
	"github.com/mqtrigger/mqtrigger/secrets"
)

// loadSecretKey reads the key that encrypts secrets: from the environment
// variable secretKeyEnv names, or from the file secretKeyFile names (created on
// first start). source says which, for errors.
func loadSecretKey(cfg *config.Config) (key []byte, source string, err error) {
	if cfg.SecretKeyEnv != "" {
		if key, err = secrets.KeyFromEnv(cfg.SecretKeyEnv); err != nil {
			return nil, "", fmt.Errorf("secretKeyEnv: %w", err)
		}
		return key, "environment variable " + cfg.SecretKeyEnv + " (secretKeyEnv)", nil
	}
	if key, err = secrets.LoadKey(cfg.SecretKeyPath()); err != nil {
		return nil, "", fmt.Errorf("secretKeyFile: %w", err)
	}
	return key, "key file " + cfg.SecretKeyPath() + " (secretKeyFile)", nil
}
