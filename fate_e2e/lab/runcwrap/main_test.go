package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCommandSkipsGlobalFlags(t *testing.T) {
	args := []string{"--root", "/r", "--log", "/l", "--log-format", "json", "--systemd-cgroup", "create", "--bundle", "/b", "id"}
	if i := command(args); i != 7 || args[i] != "create" {
		t.Fatalf("command index %d", i)
	}
}

func TestRewriteDropsMissingCaps(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config.json")
	spec := `{"ociVersion":"1.0.2","process":{"capabilities":{"bounding":["CAP_CHOWN","CAP_SYS_RESOURCE"],"effective":["CAP_SYS_RESOURCE"]},"rlimits":[{"type":"RLIMIT_NOFILE","hard":9223372036854775807,"soft":1024}]}}`
	if err := os.WriteFile(path, []byte(spec), 0o600); err != nil {
		t.Fatal(err)
	}
	bnd := ^uint64(0) &^ (1 << 24)
	if err := rewrite(path, true, bnd); err != nil {
		t.Fatal(err)
	}
	out, _ := os.ReadFile(path)
	s := string(out)
	if strings.Contains(s, "SYS_RESOURCE") || !strings.Contains(s, "CAP_CHOWN") {
		t.Fatalf("unexpected caps: %s", s)
	}
	if !strings.Contains(s, "9223372036854775807") {
		t.Fatalf("large number mangled: %s", s)
	}
}
