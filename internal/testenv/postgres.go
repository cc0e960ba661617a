package testenv

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// Postgres is a throwaway PostgreSQL cluster on 127.0.0.1 in a temp dir.
type Postgres struct {
	// URL is a libpq/pgx connection string for database "postgres".
	URL    string
	Port   int
	dir    string
	cmd    *exec.Cmd
	exited <-chan error
	once   sync.Once
}

// pgBin finds the server binaries (Debian: /usr/lib/postgresql/<v>/bin).
func pgBin() (string, error) {
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	sort.Strings(matches)
	if len(matches) > 0 {
		return filepath.Dir(matches[len(matches)-1]), nil
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	return "", fmt.Errorf("testenv: PostgreSQL server binaries (initdb) not found; run `make setup` (apt-get install postgresql)")
}

// StartPostgres initialises a cluster in a temp dir and starts it on a free
// loopback port with fsync off (tests only). Running as root, the cluster
// is owned by the "postgres" OS user, as PostgreSQL refuses to run as root.
func StartPostgres(ctx context.Context) (*Postgres, error) {
	bin, err := pgBin()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "ck-pg-*")
	if err != nil {
		return nil, err
	}
	var cred *syscall.Credential
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, fmt.Errorf("testenv: running as root needs the postgres OS user (installed with the postgresql package): %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if err := os.Chown(dir, uid, gid); err != nil {
			return nil, err
		}
	}
	data := filepath.Join(dir, "data")
	initdb := exec.CommandContext(ctx, filepath.Join(bin, "initdb"), "-D", data, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8")
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	initdb.Dir = dir
	if out, err := initdb.CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("testenv: initdb: %w\n%s", err, out)
	}
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(filepath.Join(bin, "postgres"), "-D", data, "-p", strconv.Itoa(port),
		"-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="+dir,
		"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
		"-c", "max_connections=200")
	cmd.Dir = dir
	logf, err := os.Create(filepath.Join(dir, "postgres.log"))
	if err != nil {
		return nil, err
	}
	if cred != nil {
		_ = os.Chown(logf.Name(), int(cred.Uid), int(cred.Gid))
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	exited, err := startProcess(cmd)
	if err != nil {
		return nil, err
	}
	p := &Postgres{URL: fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port), Port: port, dir: dir, cmd: cmd, exited: exited}
	wctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if err := waitTCP(wctx, fmt.Sprintf("127.0.0.1:%d", port), cmd, exited); err != nil {
		logb, _ := os.ReadFile(logf.Name())
		p.Stop()
		return nil, fmt.Errorf("%w\n%s", err, logb)
	}
	return p, nil
}

// Stop stops the server and deletes the cluster.
func (p *Postgres) Stop() {
	p.once.Do(func() {
		stopGroup(p.cmd, p.exited)
		os.RemoveAll(p.dir)
	})
}
