package config

import (
	"crypto/pbkdf2"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
)

// PasswordHash is a parsed console passwordHash: PBKDF2 with SHA-256.
type PasswordHash struct {
	Iterations int
	Salt, Key  []byte
}

// ParsePasswordHash parses "pbkdf2-sha256$ITERATIONS$SALT$HASH" (salt and hash in
// standard or URL base64, padded or not).
func ParsePasswordHash(s string) (PasswordHash, error) {
	parts := strings.Split(s, "$")
	if len(parts) != 4 || parts[0] != "pbkdf2-sha256" {
		return PasswordHash{}, errors.New(`want "pbkdf2-sha256$ITERATIONS$SALT$HASH" (see docs/console.md)`)
	}
	n, err := strconv.Atoi(parts[1])
	if err != nil || n < 10000 || n > 10000000 {
		return PasswordHash{}, errors.New("iterations must be a number from 10000 to 10000000")
	}
	salt, err1 := decode64(parts[2])
	key, err2 := decode64(parts[3])
	if err1 != nil || err2 != nil || len(salt) < 8 || len(key) < 16 {
		return PasswordHash{}, errors.New("salt (8 bytes or more) and hash (16 bytes or more) must be base64")
	}
	return PasswordHash{Iterations: n, Salt: salt, Key: key}, nil
}

// Matches reports whether password hashes to h, comparing in constant time.
func (h PasswordHash) Matches(password string) bool {
	k, err := pbkdf2.Key(sha256.New, password, h.Salt, h.Iterations, len(h.Key))
	return err == nil && subtle.ConstantTimeCompare(k, h.Key) == 1
}

func decode64(s string) ([]byte, error) {
	s = strings.TrimRight(s, "=")
	if b, err := base64.RawStdEncoding.DecodeString(s); err == nil {
		return b, nil
	}
	return base64.RawURLEncoding.DecodeString(s)
}
