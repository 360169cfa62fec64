package secrets

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"fmt"
)

// A sealed value is: format byte, 12-byte nonce, AES-GCM ciphertext of kind||value.
// kind tells SecretString from SecretBinary.
const (
	sealFormat = 1
	kindString = 's'
	kindBinary = 'b'
)

func newAEAD(key []byte) (cipher.AEAD, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("secrets: the key is %d bytes, want %d", len(key), KeySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("secrets: %w", err)
	}
	return cipher.NewGCM(block)
}

// additionalData binds a sealed value to one version of one secret.
func additionalData(arn, versionID string) []byte {
	return []byte("mqtrigger secret value\x00" + arn + "\x00" + versionID)
}

func (m *Manager) seal(arn, versionID string, kind byte, value []byte) ([]byte, error) {
	nonce := make([]byte, m.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("secrets: generate a nonce: %w", err)
	}
	plain := make([]byte, 0, 1+len(value))
	plain = append(append(plain, kind), value...)
	out := make([]byte, 0, 1+len(nonce)+len(plain)+m.aead.Overhead())
	out = append(append(out, sealFormat), nonce...)
	return m.aead.Seal(out, nonce, plain, additionalData(arn, versionID)), nil
}

// open returns the kind and the value, or a DecryptionFailure.
func (m *Manager) open(arn, versionID string, sealed []byte) (byte, []byte, error) {
	ns := m.aead.NonceSize()
	fail := newError(CodeDecryptionFailure,
		"mqtrigger can't decrypt the secret value: it was encrypted with another key, or the stored value was altered.")
	if len(sealed) < 1+ns+m.aead.Overhead()+1 || sealed[0] != sealFormat {
		return 0, nil, fail
	}
	plain, err := m.aead.Open(nil, sealed[1:1+ns], sealed[1+ns:], additionalData(arn, versionID))
	if err != nil || len(plain) == 0 || (plain[0] != kindString && plain[0] != kindBinary) {
		return 0, nil, fail
	}
	return plain[0], plain[1:], nil
}
