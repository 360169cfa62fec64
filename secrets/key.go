package secrets

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// KeySize is the size of the AES-256 key that encrypts secret values.
const KeySize = 32

// LoadKey returns the key in the file at path. If the file does not exist it is
// created, with a new random key, readable by its owner only (mode 0600). A key
// file that group or others may read is refused. The file holds the key in base64
// (the form a config file gives it in), or as 32 raw bytes.
func LoadKey(path string) ([]byte, error) {
	key, err := readKey(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return key, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("secrets: create the directory of key file %s: %w", path, err)
	}
	key = make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("secrets: generate a key: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) { // another process created it just now
		return readKey(path)
	}
	if err != nil {
		return nil, fmt.Errorf("secrets: create key file %s: %w", path, err)
	}
	_, err = f.WriteString(base64.StdEncoding.EncodeToString(key) + "\n")
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return nil, fmt.Errorf("secrets: write key file %s: %w", path, err)
	}
	return key, nil
}

func readKey(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		return nil, fmt.Errorf("secrets: open key file %s: %w", path, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("secrets: key file %s: %w", path, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("secrets: key file %s is not a regular file", path)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("secrets: key file %s may be read by group or others (mode %04o); restrict it with chmod 600 %s", path, perm, path)
	}
	data := make([]byte, 256)
	n, err := f.Read(data)
	if err != nil && n == 0 {
		return nil, fmt.Errorf("secrets: read key file %s: %w", path, err)
	}
	data = data[:n]
	if len(data) == KeySize {
		return data, nil
	}
	key, err := ParseKey(string(bytes.TrimSpace(data)))
	if err != nil {
		return nil, fmt.Errorf("secrets: key file %s: %w", path, err)
	}
	return key, nil
}

// ParseKey decodes a key given in base64, as a config file gives it.
func ParseKey(b64 string) ([]byte, error) {
	key, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		key, err = base64.RawStdEncoding.DecodeString(b64)
	}
	if err != nil || len(key) != KeySize {
		return nil, fmt.Errorf("the secret key must be %d bytes in base64 (generate one with: head -c 32 /dev/urandom | base64)", KeySize)
	}
	return key, nil
}
