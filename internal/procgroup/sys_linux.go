package procgroup

import "syscall"

// SysProcAttr puts a child in its own process group, and has the kernel kill it if the
// agent dies without stopping it (kill -9).
func SysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
