// Command runcwrap is an OCI runtime wrapper for the fate-e2e private Docker daemon.
//
// It removes capabilities that are missing from this process's bounding set from
// the OCI spec (config.json for create/run, the --process file for exec), then
// execs the real runc. Docker 20.10 requests every capability for privileged
// containers, which fails on kernels/VMs whose bounding set lacks some of them.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// realRunc is set at build time with -ldflags "-X main.realRunc=/usr/sbin/runc".
var realRunc = ""

var capNames = []string{
	"CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID",
	"SETUID", "SETPCAP", "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST",
	"NET_ADMIN", "NET_RAW", "IPC_LOCK", "IPC_OWNER", "SYS_MODULE", "SYS_RAWIO",
	"SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT", "SYS_ADMIN", "SYS_BOOT", "SYS_NICE",
	"SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD", "LEASE", "AUDIT_WRITE",
	"AUDIT_CONTROL", "SETFCAP", "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG", "WAKE_ALARM",
	"BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF", "CHECKPOINT_RESTORE",
}

// boundingSet reads CapBnd from /proc/self/status.
func boundingSet() (uint64, error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "CapBnd:"); ok {
			return strconv.ParseUint(strings.TrimSpace(rest), 16, 64)
		}
	}
	return 0, fmt.Errorf("CapBnd not found in /proc/self/status")
}

// allowed reports whether capability name (CAP_X) is in the bounding set.
// Unknown names are kept: runc decides about them.
func allowed(name string, bnd uint64) bool {
	short := strings.TrimPrefix(strings.ToUpper(name), "CAP_")
	for i, n := range capNames {
		if n == short {
			return bnd&(1<<uint(i)) != 0
		}
	}
	return true
}

// filterCaps drops disallowed capabilities from an OCI "capabilities" object.
func filterCaps(caps map[string]any, bnd uint64) int {
	dropped := 0
	for set, v := range caps {
		list, ok := v.([]any)
		if !ok {
			continue
		}
		kept := make([]any, 0, len(list))
		for _, c := range list {
			if s, ok := c.(string); ok && !allowed(s, bnd) {
				dropped++
				continue
			}
			kept = append(kept, c)
		}
		caps[set] = kept
	}
	return dropped
}

// rewrite filters the capabilities in a JSON file; procKey selects the "process" object.
func rewrite(path string, underProcess bool, bnd uint64) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		return fmt.Errorf("parse %s: %w", path, err)
	}
	proc := doc
	if underProcess {
		p, ok := doc["process"].(map[string]any)
		if !ok {
			return nil
		}
		proc = p
	}
	caps, ok := proc["capabilities"].(map[string]any)
	if !ok || filterCaps(caps, bnd) == 0 {
		return nil
	}
	out, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	info, err := os.Stat(path)
	if err != nil {
		return err
	}
	return os.WriteFile(path, out, info.Mode().Perm())
}

// globalWithValue lists runc global flags that take a separate value argument.
var globalWithValue = map[string]bool{
	"--root": true, "--log": true, "--log-format": true, "--criu": true,
	"--rootless": true,
}

// command returns the index of the runc sub-command in args (after global flags).
func command(args []string) int {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") {
			return i
		}
		if globalWithValue[a] {
			i++
		}
	}
	return -1
}

// flagValue finds "--name v", "--name=v", "-s v" among args.
func flagValue(args []string, long, short string) string {
	for i, a := range args {
		if a == long || (short != "" && a == short) {
			if i+1 < len(args) {
				return args[i+1]
			}
		}
		if v, ok := strings.CutPrefix(a, long+"="); ok {
			return v
		}
	}
	return ""
}

func runcPath() string {
	if realRunc != "" {
		return realRunc
	}
	for _, p := range []string{"/usr/sbin/runc", "/usr/bin/runc", "/usr/local/sbin/runc", "/usr/local/bin/runc"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return "runc"
}

func main() {
	args := os.Args[1:]
	if i := command(args); i >= 0 {
		sub, rest := args[i], args[i+1:]
		if bnd, err := boundingSet(); err == nil {
			var werr error
			switch sub {
			case "create", "run":
				bundle := flagValue(rest, "--bundle", "-b")
				if bundle == "" {
					bundle, _ = os.Getwd()
				}
				werr = rewrite(filepath.Join(bundle, "config.json"), true, bnd)
			case "exec":
				if p := flagValue(rest, "--process", "-p"); p != "" {
					werr = rewrite(p, false, bnd)
				}
			}
			if werr != nil {
				fmt.Fprintf(os.Stderr, "runcwrap: %v\n", werr)
				os.Exit(1)
			}
		}
	}
	path := runcPath()
	argv := append([]string{path}, args...)
	if err := syscall.Exec(path, argv, os.Environ()); err != nil {
		fmt.Fprintf(os.Stderr, "runcwrap: exec %s: %v\n", path, err)
		os.Exit(1)
	}
}
