// Package server assembles a running mqtrigger from its configuration: the store
// (embedded SQLite in dataDir, or PostgreSQL), the key that encrypts secrets
// (dataDir/secret.key unless secretKeyFile), the Secrets Manager implementation, the
// function registry, the event source mapping supervisor (esm) and the HTTP API.
//
//	s, err := server.New(cfg, logger) // validates cfg first; binds cfg.Listen
//	if err != nil { ... }
//	err = s.Run(ctx)                  // serves until ctx is cancelled, then shuts down
//
// When the configuration lists no credentials, New uses the key pair in
// dataDir/credentials, generating it (mode 0600) on first start, and logs the file's
// path and the access key id (never the secret). The file is an AWS shared
// credentials file, so AWS_SHARED_CREDENTIALS_FILE=<dataDir>/credentials makes the AWS
// CLI use it.
package server
