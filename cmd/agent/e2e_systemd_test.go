package main

import (
	"fmt"
	"github.com/flumego/flumego/internal/sdtest"
	"github.com/flumego/flumego/internal/testkit"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The agent under systemd: the unit file in examples/systemd, and the sd_notify protocol
// (Type=notify, WatchdogSec) spoken to a socket the test listens on, as systemd would.

const unitFile = "systemd/flumego-agent.service"

// installedUnit returns the example unit with its binary path pointed at the test's agent, as
// `systemd-analyze verify` checks that ExecStart's program exists.
func installedUnit(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(example(unitFile))
	if err != nil {
		t.Fatal(err)
	}
	unit := filepath.Join(t.TempDir(), "flumego-agent.service")
	if err := os.WriteFile(unit, []byte(strings.ReplaceAll(string(b), "/usr/bin/agent", agentBin)), 0o644); err != nil {
		t.Fatal(err)
	}
	return unit
}

func systemdAnalyze(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze is not installed (Debian package systemd)")
	}
	return path
}

func TestSystemdUnitVerifies(t *testing.T) {
	analyze := systemdAnalyze(t)
	unit := installedUnit(t)
	out, err := exec.Command(analyze, "verify", unit).CombinedOutput()
	// verify exits 0 on unknown keys but prints them: any line about our unit is a finding.
	if err != nil || strings.Contains(string(out), "flumego-agent.service") {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}
}

func TestSystemdUnitIsHardened(t *testing.T) {
	analyze := systemdAnalyze(t)
	unit := installedUnit(t)
	out, err := exec.Command(analyze, "security", "--offline=yes", unit).CombinedOutput()
	if err != nil && strings.Contains(string(out), "offline") {
		t.Skipf("this systemd-analyze cannot assess a unit file offline: %s", out)
	}
	m := regexp.MustCompile(`Overall exposure level for \S+: ([0-9.]+)`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("systemd-analyze security: %v\n%s", err, out)
	}
	// 0 is fully locked down, 10 is unprotected; systemd calls below 2 "OK".
	if level, _ := strconv.ParseFloat(string(m[1]), 64); level >= 2 {
		t.Errorf("exposure level %.1f, want below 2.0:\n%s", level, out)
	}
}

func TestSystemdNotifyReadyReloadWatchdogStopping(t *testing.T) {
	sd := sdtest.Listen(t)
	port := testkit.FreePort(t)
	p := startAgent(t, example("quickstart.hcl"), map[string]string{
		"FLUMEGO_PORT":  fmt.Sprint(port),
		"NOTIFY_SOCKET": sd.Path,
		"WATCHDOG_USEC": "200000", // 200ms: a ping every 100ms
	})
	waitFor(t, 10*time.Second, "READY=1", func() bool { return sd.Count("READY=1") == 1 })
	if !strings.HasPrefix(sd.After("READY=1", 1)[0], "STATUS=running agent a1") {
		t.Errorf("READY=1 came without the running STATUS: %q", sd.States())
	}
	waitFor(t, 10*time.Second, "WATCHDOG=1 pings", func() bool { return sd.Count("WATCHDOG=1") >= 3 })

	// systemctl reload: RELOADING=1 (with MONOTONIC_USEC), then READY=1 once it is applied.
	_ = p.cmd.Process.Signal(syscall.SIGHUP)
	waitFor(t, 10*time.Second, "RELOADING=1 then READY=1", func() bool {
		return sd.Count("RELOADING=1") == 1 && sd.Count("READY=1") == 2
	})
	reload := sd.After("RELOADING=1", 1)
	if !strings.HasPrefix(reload[0], "MONOTONIC_USEC=") {
		t.Errorf("RELOADING=1 without MONOTONIC_USEC: %q", sd.States())
	}
	pings := sd.Count("WATCHDOG=1")
	waitFor(t, 10*time.Second, "the watchdog to keep pinging after the reload", func() bool {
		return sd.Count("WATCHDOG=1") > pings
	})

	if code := p.stop(t, syscall.SIGTERM); code != 0 {
		t.Errorf("exit code %d after SIGTERM", code)
	}
	if sd.Count("STOPPING=1") != 1 {
		t.Errorf("states received: %q, want one STOPPING=1", sd.States())
	}
}
