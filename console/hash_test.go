package console

import (
	"crypto/pbkdf2"
	"crypto/sha256"
	"encoding/base64"
	"testing"
)

func hashFor(t *testing.T, password, salt string, iter int) string {
	k, err := pbkdf2.Key(sha256.New, password, []byte(salt), iter, 32)
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawStdEncoding.EncodeToString(k)
}
