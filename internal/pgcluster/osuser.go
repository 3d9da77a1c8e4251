package pgcluster

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"syscall"
)

// DefaultOSUser is the OS user that runs PostgreSQL when pgcluster is used as
// root (PostgreSQL refuses to run as root).
const DefaultOSUser = "postgres"

// osUser is the OS user that owns the cluster files and runs initdb and
// postgres. A nil *osUser means the current (non-root) user: no ownership
// changes, no credential switch.
type osUser struct {
	name   string
	uid    uint32
	gid    uint32
	groups []uint32 // supplementary groups
}

// resolveOSUser returns nil when not running as root. As root it looks name
// up and, if it does not exist, creates it as a system user with useradd.
func resolveOSUser(ctx context.Context, name string, logger *slog.Logger) (*osUser, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup(name)
	if errors.As(err, new(user.UnknownUserError)) {
		if err := createSystemUser(ctx, name, logger); err != nil {
			return nil, err
		}
		u, err = user.Lookup(name)
	}
	if err != nil {
		return nil, fmt.Errorf("look up OS user %q: %w", name, err)
	}
	if u.Uid == "0" {
		return nil, fmt.Errorf("OS user %q is root; PostgreSQL refuses to run as root", name)
	}
	ou := &osUser{name: name}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err := errors.Join(err1, err2); err != nil {
		return nil, fmt.Errorf("OS user %q: non-numeric uid/gid: %w", name, err)
	}
	ou.uid, ou.gid = uint32(uid), uint32(gid)
	gids, err := u.GroupIds()
	if err != nil {
		return nil, fmt.Errorf("groups of OS user %q: %w", name, err)
	}
	for _, g := range gids {
		if n, err := strconv.ParseUint(g, 10, 32); err == nil && uint32(n) != ou.gid {
			ou.groups = append(ou.groups, uint32(n))
		}
	}
	return ou, nil
}

// createSystemUser creates name as a system user and group without a login
// shell, the way Debian's postgresql package does (same home directory, which
// is not created).
func createSystemUser(ctx context.Context, name string, logger *slog.Logger) error {
	useradd, err := exec.LookPath("useradd")
	if err != nil {
		return fmt.Errorf("OS user %q does not exist and useradd is not available to create it; "+
			"create it (PostgreSQL refuses to run as root), e.g. `useradd --system --user-group %s`", name, name)
	}
	logger.InfoContext(ctx, "creating OS user to run PostgreSQL (it refuses to run as root)", "user", name)
	out, err := exec.CommandContext(ctx, useradd, "--system", "--user-group", "--no-create-home",
		"--home-dir", "/var/lib/postgresql", "--shell", "/usr/sbin/nologin", name).CombinedOutput()
	if err != nil {
		return fmt.Errorf("create OS user %q with useradd: %w: %s", name, err, tail(out, 5))
	}
	return nil
}

// credential returns the process credential that runs a program as u, or nil
// for the current user.
func (u *osUser) credential() *syscall.Credential {
	if u == nil {
		return nil
	}
	return &syscall.Credential{Uid: u.uid, Gid: u.gid, Groups: u.groups}
}

// chown gives path to u. It is a no-op for the current user.
func (u *osUser) chown(path string) error {
	if u == nil {
		return nil
	}
	if err := os.Lchown(path, int(u.uid), int(u.gid)); err != nil {
		return fmt.Errorf("chown %s to %s: %w", path, u.name, err)
	}
	return nil
}

// chownTree gives root and everything below it to u when root itself belongs
// to someone else (e.g. a directory created by an earlier run as another
// user). It is a no-op for the current user.
func (u *osUser) chownTree(root string) error {
	if u == nil {
		return nil
	}
	fi, err := os.Lstat(root)
	if err != nil {
		return err
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && st.Uid == u.uid && st.Gid == u.gid {
		return nil
	}
	return filepath.WalkDir(root, func(path string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return u.chown(path)
	})
}

// ensureSearchable makes sure u may traverse dir and all its ancestors, which
// PostgreSQL needs to reach its data and socket directories. Where u lacks
// search (x) permission on a directory owned by the current user, it adds the
// search bit for others (o+x: traverse only, not list); a directory owned by
// someone else is an error. It is a no-op for the current user. dir must be
// an absolute path without symbolic links.
func (u *osUser) ensureSearchable(dir string, logger *slog.Logger) error {
	if u == nil {
		return nil
	}
	for p := dir; ; p = filepath.Dir(p) {
		fi, err := os.Stat(p)
		if err != nil {
			return err
		}
		st, ok := fi.Sys().(*syscall.Stat_t)
		if !ok {
			return nil
		}
		if !u.canSearch(st) {
			if int(st.Uid) != os.Geteuid() {
				return fmt.Errorf("OS user %s cannot traverse %s (owned by uid %d); "+
					"grant it search permission (chmod o+x) or choose another data directory", u.name, p, st.Uid)
			}
			mode := fi.Mode()&(fs.ModePerm|fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky) | 0o001
			if err := os.Chmod(p, mode); err != nil {
				return fmt.Errorf("let OS user %s traverse %s: %w", u.name, p, err)
			}
			logger.Info("added search permission for others (o+x) so PostgreSQL can reach its data directory",
				"dir", p, "user", u.name)
		}
		if filepath.Dir(p) == p {
			return nil
		}
	}
}

// canSearch applies the Unix permission rules: the owner bits if u owns the
// directory, else the group bits if u is in its group, else the other bits.
func (u *osUser) canSearch(st *syscall.Stat_t) bool {
	switch {
	case st.Uid == u.uid:
		return st.Mode&0o100 != 0
	case st.Gid == u.gid || slices.Contains(u.groups, st.Gid):
		return st.Mode&0o010 != 0
	default:
		return st.Mode&0o001 != 0
	}
}
