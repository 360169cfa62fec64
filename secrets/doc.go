// Package secrets gives Secrets Manager's semantics on top of a store.Store: secrets
// with ARNs in AWS's form, lookup by name, full ARN or partial ARN, versions labelled
// AWSCURRENT and AWSPREVIOUS, deletion with a recovery window, and values encrypted
// at rest with AES-256-GCM; tags, a KMS key ID and a resource policy are kept and
// returned as given (the policy is not enforced).
//
// The store only ever holds ciphertext. Each value is sealed with a fresh random
// nonce and with the secret's ARN and VersionId as additional data, so a value copied
// to another secret or version does not decrypt.
//
// Errors a caller should show to a Secrets Manager client are *Error, whose Code is
// Secrets Manager's error code; any other error is an internal failure. No error and
// no method other than GetValue and BasicAuth ever carries a secret value.
//
//	key, err := secrets.LoadKey(filepath.Join(dataDir, "secret.key"))
//	m, err := secrets.New(st, key, "us-east-1", "123456789012")
//	out, err := m.Create(ctx, secrets.CreateInput{Name: "mq/app", SecretString: `{"username":"app","password":"..."}`})
//	user, pass, err := m.BasicAuth(ctx, out.ARN)
package secrets
