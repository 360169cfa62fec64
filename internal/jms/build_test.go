package jms

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestCompileReportsJavacOutput(t *testing.T) {
	javac, err := exec.LookPath("javac")
	if err != nil {
		t.Fatal(err)
	}
	cp, err := classpathJars()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "cache")
	err = compile(javac, cp, dir, []byte("public class JmsTool { int x = \"not an int\"; }"))
	if err == nil || !strings.Contains(err.Error(), "incompatible types") {
		t.Fatalf("compiling a broken source: %v; want javac's message", err)
	}
	if _, statErr := os.Stat(dir); !os.IsNotExist(statErr) {
		t.Fatalf("a failed compile left %s behind: %v", dir, statErr)
	}
}

func TestToolIsCachedWithArchive(t *testing.T) {
	a, err := NewTool()
	if err != nil {
		t.Fatal(err)
	}
	b := New(t)
	if a != b {
		t.Fatal("NewTool and New built the tool twice")
	}
	if _, err := os.Stat(filepath.Join(a.Dir, "JmsTool.jar")); err != nil {
		t.Fatal(err)
	}
	if a.archive == "" {
		t.Fatal("no class-data-sharing archive was made; every call pays the full JVM start")
	}
}
