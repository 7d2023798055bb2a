//go:build !linux

package kb

import "time"

// ProcessCPU is measured on Linux only.
func ProcessCPU() (time.Duration, bool) { return 0, false }
