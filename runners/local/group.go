package local

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Every command the runner starts leads its own process group, so that
// whatever it forks (sh -c, php -S workers, go build's compilers) is
// signalled with it.

// signalGroup sends sig to the process group pgid; a group that is already
// gone is not an error.
func signalGroup(pgid int, sig syscall.Signal) error {
	err := syscall.Kill(-pgid, sig)
	if errors.Is(err, syscall.ESRCH) {
		return nil
	}
	return err
}

// groupAlive reports whether a process of the group is still running. Its
// leader must already have been waited for. Members that outlived the
// leader were re-parented; when this process is their reaper (a child
// subreaper, or PID 1 in a container) they are reaped here, and zombies
// that another reaper neglects do not count as running.
func groupAlive(pgid int) bool {
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

// waitGroup polls until no process of the group runs or the deadline passes.
func waitGroup(pgid int, deadline time.Time) bool {
	for delay := 5 * time.Millisecond; ; delay = min(2*delay, 100*time.Millisecond) {
		if !groupAlive(pgid) {
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
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0, err
	}
	n, self := 0, os.Getpid()
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue // exited meanwhile
		}
		st, ok := parseStat(string(b))
		// A zombie of this process's own is reaped on the next poll, so
		// it still counts; one that another reaper neglects never goes.
		if ok && st.pgrp == pgid && (st.state != "Z" && st.state != "X" || st.ppid == self) {
			n++
		}
	}
	return n, nil
}

// stat is what the runner reads of a process from /proc/PID/stat.
type stat struct {
	state      string // R, S, D, Z, ...
	ppid, pgrp int
}

// parseStat reads the text of /proc/PID/stat: "pid (comm) state ppid pgrp
// ...". The command name may itself contain spaces and parentheses, so the
// fields are counted from the last ')'.
func parseStat(s string) (stat, bool) {
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return stat{}, false
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 3 {
		return stat{}, false
	}
	ppid, err1 := strconv.Atoi(f[1])
	pgrp, err2 := strconv.Atoi(f[2])
	if err1 != nil || err2 != nil {
		return stat{}, false
	}
	return stat{state: f[0], ppid: ppid, pgrp: pgrp}, true
}
