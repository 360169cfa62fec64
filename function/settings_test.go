package function

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"strings"
	"testing"
	"time"
)

// elf is the start of an ELF executable header for machine.
func elf(machine uint16) []byte {
	h := make([]byte, 64)
	copy(h, "\x7fELF\x02\x01\x01")
	binary.LittleEndian.PutUint16(h[16:], 2) // ET_EXEC
	binary.LittleEndian.PutUint16(h[18:], machine)
	return h
}

func TestCheckBootstrapArch(t *testing.T) {
	for _, tt := range []struct {
		name      string
		bootstrap []byte
		arch      string
		refused   string
	}{
		{"x86_64 on x86_64", elf(elfX86_64), "x86_64", ""},
		{"arm64 on arm64", elf(elfAArch64), "arm64", ""},
		{"arm64 on x86_64", elf(elfAArch64), "x86_64", "built for arm64, but the function's architecture is x86_64"},
		{"x86_64 on arm64", elf(elfX86_64), "arm64", "built for x86_64, but the function's architecture is arm64: build bootstrap for arm64 (GOARCH=arm64)"},
		{"i386", elf(3), "x86_64", "built for ELF machine 3"},
		{"script", []byte("#!/bin/sh\nexit 0\n"), "arm64", ""},
		{"short", []byte("\x7fEL"), "arm64", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			data := makeZip(t, zipEntry{name: "bootstrap", mode: 0o755, data: tt.bootstrap})
			zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
			if err != nil {
				t.Fatal(err)
			}
			err = checkBootstrapArch(zr, tt.arch)
			if tt.refused == "" && err != nil || tt.refused != "" && (err == nil || !strings.Contains(err.Error(), tt.refused)) {
				t.Fatalf("got %v, want refused=%q", err, tt.refused)
			}
			if ip, ok := err.(*InvalidParameterError); err != nil && (!ok || ip.Field != "Architectures") {
				t.Fatalf("error %T %v does not name Architectures", err, err)
			}
		})
	}
}

func TestFormatLine(t *testing.T) {
	at := time.Date(2026, 12, 1, 14, 0, 0, 5e6, time.UTC)
	json := LoggingConfig{LogFormat: "JSON", ApplicationLogLevel: "WARN"}
	for _, tt := range []struct {
		cfg  LoggingConfig
		line string
		want string // "" : dropped
	}{
		{LoggingConfig{LogFormat: "Text"}, "plain", "plain"},
		{LoggingConfig{LogFormat: "JSON"}, "plain", `{"timestamp":"2026-12-01T14:00:00.005Z","level":"INFO","requestId":"r1","message":"plain"}`},
		{json, "plain", ""}, // INFO is below WARN
		{json, `{"level":"ERROR","msg":"x"}`, `{"level":"ERROR","msg":"x"}`},
		{json, `{"level":"debug","msg":"x"}`, ""},
		{json, `{"msg":"no level"}`, `{"msg":"no level"}`},
		{LoggingConfig{LogFormat: "JSON"}, `{"broken":`, `{"timestamp":"2026-12-01T14:00:00.005Z","level":"INFO","requestId":"r1","message":"{\"broken\":"}`},
	} {
		got, keep := formatLine(tt.cfg, []byte(tt.line), "r1", at)
		if tt.want == "" && keep || tt.want != "" && string(got) != tt.want {
			t.Errorf("formatLine(%+v, %q) = %q %v, want %q", tt.cfg, tt.line, got, keep, tt.want)
		}
	}
}
