package proc

import (
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// line is a stat line with the given command name, state, ppid, pgrp and
// start time, and the fields the kernel writes in between.
func line(comm, state string, ppid, pgrp int, start string) string {
	return fmt.Sprintf("1 (%s) %s %d %d 1 0 -1 4194560 100 0 0 0 0 0 0 0 20 0 1 0 %s 1000 200", comm, state, ppid, pgrp, start)
}

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want Stat
		ok   bool
	}{
		{"plain", line("server", "S", 1, 42, "9876"), Stat{"S", 1, 42, "9876"}, true},
		{"comm with spaces and parens", line("a) b (c)", "Z", 3, 99, "5"), Stat{"Z", 3, 99, "5"}, true},
		{"no paren", "42 server S 1 42", Stat{}, false},
		{"short", "42 (server) S 1 42 42 0", Stat{}, false},
		{"ppid not a number", "42 (server) S x 1 1 0 -1 4194560 100 0 0 0 0 0 0 0 20 0 1 0 5 1000 200", Stat{}, false},
		{"start not a number", line("server", "S", 1, 1, "soon"), Stat{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := Parse(tt.in)
			if got != tt.want || ok != tt.ok {
				t.Errorf("Parse(%q) = %+v, %v; want %+v, %v", tt.in, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestRead(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc:", err)
	}
	// The state is the main thread's, whichever thread reads it.
	self, err := Read(os.Getpid())
	if err != nil || self.PPID != os.Getppid() || self.PGRP != syscall.Getpgrp() || !strings.Contains("RSD", self.State) || self.State == "" {
		t.Fatalf("Read(self) = %+v, %v; want a running process with ppid %d, pgrp %d", self, err, os.Getppid(), syscall.Getpgrp())
	}
	again, err := Read(os.Getpid())
	if err != nil || again.Start != self.Start {
		t.Errorf("start time read twice: %q then %q (%v)", self.Start, again.Start, err)
	}
	// A process started later has a later start time; a gone one none.
	cmd := exec.Command("sleep", "0.2")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	child, err := Read(cmd.Process.Pid)
	cmd.Wait()
	if err != nil || len(child.Start) < len(self.Start) || len(child.Start) == len(self.Start) && child.Start < self.Start {
		t.Errorf("child's start %q (%v), want at or after this process's %q", child.Start, err, self.Start)
	}
	if _, err := Read(cmd.Process.Pid); err == nil {
		t.Errorf("a reaped process still has a stat")
	}
}

// FuzzParse checks that any command name, however odd, leaves the fields
// after it readable.
func FuzzParse(f *testing.F) {
	f.Add("server", 12, uint64(100))
	f.Add("a) b (c", 7, uint64(0))
	f.Add("", 0, uint64(1)<<40)
	f.Fuzz(func(t *testing.T, comm string, pgrp int, start uint64) {
		if pgrp < 0 {
			return
		}
		s := fmt.Sprint(start)
		got, ok := Parse(line(comm, "S", 5, pgrp, s))
		if want := (Stat{"S", 5, pgrp, s}); !ok || got != want {
			t.Fatalf("comm %q pgrp %d start %s: got %+v, %v; want %+v", comm, pgrp, s, got, ok, want)
		}
	})
}

func TestGetenv(t *testing.T) {
	cmd := exec.Command("sleep", "60")
	cmd.Env = append(os.Environ(), "PROC_TEST_MARK=probe/1")
	if err := cmd.Start(); err != nil {
		t.Skip(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	// Start returns once the exec is past its point of no return (the
	// name is sleep's), but the kernel sets the new environment's bounds
	// a little later: until then /proc shows none. Wait for it, bounded
	// (5 s); a Getenv that never finds it fails below.
	for i := 0; i < 500; i++ {
		if _, ok := Getenv(cmd.Process.Pid, "PROC_TEST_MARK"); ok {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if v, ok := Getenv(cmd.Process.Pid, "PROC_TEST_MARK"); !ok || v != "probe/1" {
		t.Errorf("Getenv = %q, %v; want probe/1, true", v, ok)
	}
	if _, ok := Getenv(cmd.Process.Pid, "PROC_TEST_MAR"); ok {
		t.Error("a prefix of a name matched")
	}
	pids, err := Pids()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(pids, cmd.Process.Pid) {
		t.Errorf("Pids lacks %d", cmd.Process.Pid)
	}
}
