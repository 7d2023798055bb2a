package kb

import (
	"syscall"
	"time"
	"unsafe"
)

// ProcessCPU returns the CPU time the process has used on all its threads
// (the garbage collector's included): around a search, its own cost
// without the time the scheduler gave other processes meanwhile.
func ProcessCPU() (time.Duration, bool) {
	const clockProcessCPUTimeID = 2
	var ts syscall.Timespec
	if _, _, errno := syscall.Syscall(syscall.SYS_CLOCK_GETTIME, clockProcessCPUTimeID, uintptr(unsafe.Pointer(&ts)), 0); errno != 0 {
		return 0, false
	}
	return time.Duration(ts.Nano()), true
}
