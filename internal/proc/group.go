//go:build unix

package proc

import (
	"errors"
	"os"
	"syscall"
	"time"
)

// Every command the runners and oracles start leads its own process group,
// so that whatever it forks (sh -c, php -S workers, go build's compilers)
// is signalled with it.

// SignalGroup sends sig to the process group pgid; a group that is already
// gone is not an error.
func SignalGroup(pgid int, sig syscall.Signal) error {
	err := syscall.Kill(-pgid, sig)
	if errors.Is(err, syscall.ESRCH) {
		return nil
	}
	return err
}

// GroupAlive reports whether a process of the group is still running. Its
// leader must already have been waited for. Members that outlived the
// leader were re-parented; when this process is their reaper (a child
// subreaper, or PID 1 in a container) they are reaped here, and zombies
// that another reaper neglects do not count as running.
func GroupAlive(pgid int) bool {
	for {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-pgid, &ws, syscall.WNOHANG, nil)
		if err != nil || pid <= 0 {
			break
		}
	}
	if errors.Is(syscall.Kill(-pgid, 0), syscall.ESRCH) {
		return false
	}
	running, err := runningMembers(pgid)
	if err != nil {
		// Without /proc the signal answer is all there is.
		return true
	}
	return running > 0
}

// WaitGroup polls until no process of the group runs or the deadline passes.
func WaitGroup(pgid int, deadline time.Time) bool {
	for delay := 5 * time.Millisecond; ; delay = min(2*delay, 100*time.Millisecond) {
		if !GroupAlive(pgid) {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(delay)
	}
}

// runningMembers counts the processes of group pgid that are not zombies,
// from /proc.
func runningMembers(pgid int) (int, error) {
	pids, err := Pids()
	if err != nil {
		return 0, err
	}
	n, self := 0, os.Getpid()
	for _, pid := range pids {
		st, err := Read(pid)
		if err != nil {
			continue // exited meanwhile
		}
		// A zombie of this process's own is reaped on the next poll, so
		// it still counts; one that another reaper neglects never goes.
		if st.PGRP == pgid && (st.State != "Z" && st.State != "X" || st.PPID == self) {
			n++
		}
	}
	return n, nil
}
