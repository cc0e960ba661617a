// Package testenv starts the real services runtime tests talk to — moto_server
// (S3, SQS, DynamoDB emulation) and a throwaway PostgreSQL cluster — on
// 127.0.0.1 and a free port, and stops them. A missing dependency is an
// error, never a silent skip: `make setup` installs both.
package testenv

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("testenv: free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// waitTCP waits until addr accepts connections or the deadline passes.
func waitTCP(ctx context.Context, addr string, proc *exec.Cmd, exited <-chan error) error {
	for {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return nil
		}
		select {
		case err := <-exited:
			return fmt.Errorf("testenv: %s exited before listening on %s: %v", proc.Path, addr, err)
		case <-ctx.Done():
			return fmt.Errorf("testenv: %s not listening on %s: %w", proc.Path, addr, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// stopGroup terminates the process group of cmd (SIGTERM, then SIGKILL).
func stopGroup(cmd *exec.Cmd, exited <-chan error) {
	if cmd.Process == nil {
		return
	}
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-exited
	}
}

func lookPath(name, hint string) (string, error) {
	p, err := exec.LookPath(name)
	if err != nil {
		return "", fmt.Errorf("testenv: %s not found (%s): %w", name, hint, err)
	}
	return p, nil
}

func startProcess(cmd *exec.Cmd) (<-chan error, error) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("testenv: start %s: %w", cmd.Path, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	return exited, nil
}

func keepEnv(extra ...string) []string { return append(os.Environ(), extra...) }
