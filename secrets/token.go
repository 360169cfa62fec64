package secrets

import (
	"encoding/base64"
	"strings"
)

// A ListSecrets NextToken is the last name of the page, so a page stays right when
// secrets are created or deleted between calls.
const tokenPrefix = "mqt1:"

func encodeToken(lastName string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(tokenPrefix + lastName))
}

// decodeToken returns the name in a token, or "" if the token is not one of ours.
func decodeToken(tok string) string {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || !strings.HasPrefix(string(b), tokenPrefix) {
		return ""
	}
	return strings.TrimPrefix(string(b), tokenPrefix)
}
