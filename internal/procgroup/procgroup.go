// Package procgroup runs the commands a source starts (exec's command, journald's journalctl)
// so that none outlives the agent: each in its own process group, killed with the agent on
// Linux, and stopped as a group.
package procgroup

import (
	"syscall"
	"time"
)

// Stop stops the process group led by pid: SIGTERM, then SIGKILL once the leader exited (the
// rest of its group goes too) or after grace if it did not. exited is closed when the leader
// has been waited for. It reports whether grace ran out.
func Stop(pid int, exited <-chan struct{}, grace time.Duration) (forced bool) {
	_ = syscall.Kill(-pid, syscall.SIGTERM)
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-exited:
	case <-t.C:
		forced = true
	}
	_ = syscall.Kill(-pid, syscall.SIGKILL)
	return forced
}

// Kill kills the process group led by pid at once.
func Kill(pid int) { _ = syscall.Kill(-pid, syscall.SIGKILL) }
