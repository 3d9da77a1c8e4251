package pgcluster

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// pidFile is the content of a data directory's postmaster.pid, which the
// postmaster writes at start and removes at a clean exit. Lines: PID, data
// directory, start time, port, first socket directory, first listen address,
// shared memory key, status ("starting", "ready", "stopping", ...). Later lines
// may be missing while the server starts.
type pidFile struct {
	pid       int
	dataDir   string
	port      int
	socketDir string
	status    string
}

// readPIDFile parses path. ok is false when the file does not exist; a file
// without a valid PID line is reported as pid 0.
func readPIDFile(path string) (pf pidFile, ok bool, err error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return pidFile{}, false, nil
	}
	if err != nil {
		return pidFile{}, false, err
	}
	return parsePIDFile(string(b)), true, nil
}

// parsePIDFile parses the content of postmaster.pid.
func parsePIDFile(s string) pidFile {
	lines := strings.Split(s, "\n")
	line := func(i int) string {
		if i < len(lines) {
			return strings.TrimSpace(lines[i])
		}
		return ""
	}
	var pf pidFile
	pf.pid, _ = strconv.Atoi(line(0))
	if pf.pid < 0 { // a negative PID marks a standalone backend
		pf.pid = -pf.pid
	}
	pf.dataDir = line(1)
	pf.port, _ = strconv.Atoi(line(3))
	pf.socketDir = line(4)
	pf.status = line(7)
	return pf
}

// processAlive reports whether a process with this PID exists (possibly as a
// zombie).
func processAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// isPostmasterOf reports whether the live process pid is a postgres server
// for dataDir. PIDs are reused, so a postmaster.pid left by a crash or a
// reboot may name an unrelated process. Where /proc tells (Linux), the
// process must be named postgres (or postmaster) and, if readable, have its
// working directory in dataDir (the postmaster chdirs there). Without /proc a
// live process is assumed to be the server, as pg_ctl does.
func isPostmasterOf(pid int, dataDir string) bool {
	if !processAlive(pid) {
		return false
	}
	proc := filepath.Join("/proc", strconv.Itoa(pid))
	comm, err := os.ReadFile(filepath.Join(proc, "comm"))
	if err != nil {
		_, statErr := os.Stat("/proc/self")
		return statErr != nil // no /proc: cannot tell
	}
	name := strings.TrimSpace(string(comm))
	if name != "postgres" && name != "postmaster" {
		return false
	}
	// A zombie (exited, not yet reaped by its parent) is not a server.
	if stat, err := os.ReadFile(filepath.Join(proc, "stat")); err == nil {
		if i := strings.LastIndexByte(string(stat), ')'); i >= 0 {
			if f := strings.Fields(string(stat[i+1:])); len(f) > 0 && (f[0] == "Z" || f[0] == "X") {
				return false
			}
		}
	}
	cwd, err := os.Readlink(filepath.Join(proc, "cwd"))
	if err != nil {
		return true // not allowed to look: trust the name
	}
	return cwd == dataDir
}
