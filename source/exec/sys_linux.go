package exec

import "syscall"

// sysProcAttr puts the command in its own process group, and has the kernel kill it if the
// agent dies without stopping it (kill -9).
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
