// Package proc reads what the runners need to know of a process from
// Linux's /proc: its state, parent and process group (to tell a running
// process group from zombies), its start time (to tell a process from a
// later one that got the same pid), and its environment (to find every
// process a probe started, even one that left its process group).
package proc

import (
	"os"
	"strconv"
	"strings"
)

// Stat is what is read of a process from /proc/PID/stat.
type Stat struct {
	State      string // R, S, D, Z, ...
	PPID, PGRP int
	Start      string // start time, in clock ticks after boot (field 22)
}

// Read reads /proc/PID/stat; an error means the process is gone or there is
// no /proc to tell.
func Read(pid int) (Stat, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return Stat{}, err
	}
	st, ok := Parse(string(b))
	if !ok {
		return Stat{}, &os.PathError{Op: "parse", Path: "/proc/" + strconv.Itoa(pid) + "/stat", Err: os.ErrInvalid}
	}
	return st, nil
}

// Parse reads the text of /proc/PID/stat: "pid (comm) state ppid pgrp ...".
// The command name may itself contain spaces and parentheses, so the fields
// are counted from the last ')'.
func Parse(s string) (Stat, bool) {
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return Stat{}, false
	}
	f := strings.Fields(s[i+1:]) // f[0] is field 3
	if len(f) < 20 {
		return Stat{}, false
	}
	ppid, err1 := strconv.Atoi(f[1])
	pgrp, err2 := strconv.Atoi(f[2])
	_, err3 := strconv.ParseUint(f[19], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil {
		return Stat{}, false
	}
	return Stat{State: f[0], PPID: ppid, PGRP: pgrp, Start: f[19]}, true
}

// Pids lists the processes in /proc.
func Pids() ([]int, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	var pids []int
	for _, e := range entries {
		if pid, err := strconv.Atoi(e.Name()); err == nil {
			pids = append(pids, pid)
		}
	}
	return pids, nil
}

// Getenv returns the value of key in the environment process pid was
// started with (/proc/PID/environ; readable for this user's processes
// only), and whether it is set. A process in the middle of an exec shows
// no environment for a moment (the kernel sets the new one's bounds after
// the new program's name).
func Getenv(pid int, key string) (string, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/environ")
	if err != nil {
		return "", false
	}
	for _, kv := range strings.Split(string(b), "\x00") {
		if v, ok := strings.CutPrefix(kv, key+"="); ok {
			return v, true
		}
	}
	return "", false
}
