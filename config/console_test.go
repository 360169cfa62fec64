package config

import (
	"strings"
	"testing"
)

func TestConsoleUsers(t *testing.T) {
	const hash = "pbkdf2-sha256$600000$c2FsdHNhbHQ$MDEyMzQ1Njc4OWFiY2RlZg"
	for _, tc := range []struct {
		name, yaml, err string
	}{
		{"password", "console: {users: [{name: op, password: pw}]}", ""},
		{"hash", "console: {users: [{name: op, passwordHash: \"" + hash + "\"}]}", ""},
		{"neither", "console: {users: [{name: op}]}", "console.users[0]: give one of password or passwordHash"},
		{"both", "console: {users: [{name: op, password: pw, passwordHash: \"" + hash + "\"}]}", "give one of"},
		{"no name", "console: {users: [{password: pw}]}", "console.users[0].name: missing"},
		{"twice", "console: {users: [{name: op, password: a}, {name: op, password: b}]}", "console.users[1].name: \"op\" is already used"},
		{"a credential's name", "credentials: [{accessKeyId: AKID, secretAccessKey: s}]\nconsole: {users: [{name: AKID, password: a}]}", "access key id of credentials[0]"},
		{"bad hash", "console: {users: [{name: op, passwordHash: \"md5$x\"}]}", "console.users[0].passwordHash: want"},
		{"few iterations", "console: {users: [{name: op, passwordHash: \"pbkdf2-sha256$10$c2FsdHNhbHQ$MDEyMzQ1Njc4OWFiY2RlZg\"}]}", "iterations"},
		{"short salt", "console: {users: [{name: op, passwordHash: \"pbkdf2-sha256$600000$c2Fs$MDEyMzQ1Njc4OWFiY2RlZg\"}]}", "salt"},
	} {
		_, err := Parse([]byte(tc.yaml))
		switch {
		case tc.err == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.err)
		}
	}
}

func TestPasswordHashMatches(t *testing.T) {
	// made with: python3 -c 'import hashlib,base64;print(base64.b64encode(hashlib.pbkdf2_hmac("sha256",b"letmein",b"saltsalt",10000)).decode())'
	h, err := ParsePasswordHash("pbkdf2-sha256$10000$c2FsdHNhbHQ=$" + "aawtyWOWkmyPbLStuMBRq7WTj5cd3qk+ElFexVRqICQ=")
	if err != nil {
		t.Fatal(err)
	}
	if !h.Matches("letmein") {
		t.Error("the right password does not match")
	}
	if h.Matches("letmein2") || h.Matches("") {
		t.Error("a wrong password matches")
	}
}
