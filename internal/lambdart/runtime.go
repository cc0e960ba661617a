package lambdart

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// Options describe the function as Lambda would configure it. The zero
// value is a 128 MB function named after the bootstrap's directory in
// eu-west-1 with a 30 s timeout.
type Options struct {
	// FunctionName sets AWS_LAMBDA_FUNCTION_NAME and the ARN. Default "function".
	FunctionName string
	// MemoryMB sets AWS_LAMBDA_FUNCTION_MEMORY_SIZE. Default 128.
	MemoryMB int
	// Region sets AWS_REGION and AWS_DEFAULT_REGION. Default "eu-west-1".
	Region string
	// Timeout is the function timeout: an invocation that takes longer
	// fails with Sandbox.Timedout and the environment is shut down, as on
	// Lambda. Default 30 s.
	Timeout time.Duration
	// InitTimeout bounds process start → first `next` (Lambda: 10 s).
	// Default 10 s.
	InitTimeout time.Duration
	// Env adds or overrides environment variables (function configuration
	// such as TABLE_NAME, or AWS_ENDPOINT_URL for moto).
	Env map[string]string
	// Output, when set, also receives the function's stdout and stderr
	// (they are always kept for Logs).
	Output io.Writer
}

func (o Options) withDefaults() Options {
	if o.FunctionName == "" {
		o.FunctionName = "function"
	}
	if o.MemoryMB == 0 {
		o.MemoryMB = 128
	}
	if o.Region == "" {
		o.Region = "eu-west-1"
	}
	if o.Timeout == 0 {
		o.Timeout = 30 * time.Second
	}
	if o.InitTimeout == 0 {
		o.InitTimeout = 10 * time.Second
	}
	return o
}

// InitError is returned by Start when the function never reached its first
// `next` call: it posted to /runtime/init/error, exited, or timed out.
type InitError struct {
	// Err is what the runtime posted to init/error, or one Lambda makes up
	// (Runtime.ExitError, Sandbox.Timedout).
	Err *FunctionError
	// Logs is what the process wrote to stdout and stderr.
	Logs string
}

// Error implements error.
func (e *InitError) Error() string { return "lambdart: init failed: " + e.Err.Error() }

// Runtime is one running execution environment: a Runtime API server and
// the bootstrap process talking to it. Invocations are serialised, as
// Lambda gives an environment one event at a time.
type Runtime struct {
	opts     Options
	srv      *server
	cmd      *exec.Cmd
	started  time.Time
	initDur  time.Duration
	exited   chan struct{}
	exitErr  error
	logs     *syncBuffer
	invokeMu sync.Mutex
	dead     error
}

// Start launches bootstrap under a fresh Runtime API server and waits for
// its init to finish (its first `next` call).
func Start(ctx context.Context, bootstrap string, opts Options) (*Runtime, error) {
	opts = opts.withDefaults()
	abs, err := filepath.Abs(bootstrap)
	if err != nil {
		return nil, fmt.Errorf("lambdart: bootstrap path: %w", err)
	}
	arn := fmt.Sprintf("arn:aws:lambda:%s:123456789012:function:%s", opts.Region, opts.FunctionName)
	srv, err := newServer(arn)
	if err != nil {
		return nil, err
	}
	rt := &Runtime{opts: opts, srv: srv, exited: make(chan struct{}), logs: &syncBuffer{}}
	var out io.Writer = rt.logs
	if opts.Output != nil {
		out = io.MultiWriter(rt.logs, opts.Output)
	}
	cmd := exec.Command(abs)
	cmd.Dir = filepath.Dir(abs)
	cmd.Env = Environment(opts, srv.addr(), filepath.Dir(abs))
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	rt.cmd = cmd
	rt.started = time.Now()
	if err := cmd.Start(); err != nil {
		srv.close()
		return nil, fmt.Errorf("lambdart: start %s: %w", abs, err)
	}
	go func() {
		rt.exitErr = cmd.Wait()
		close(rt.exited)
	}()
	timer := time.NewTimer(opts.InitTimeout)
	defer timer.Stop()
	var initErr *FunctionError
	select {
	case <-srv.ready:
		rt.initDur = srv.firstAt.Sub(rt.started)
		return rt, nil
	case fe := <-srv.initErr:
		initErr = fe
	case <-rt.exited:
		initErr = &FunctionError{Type: "Runtime.ExitError", Message: "Runtime exited before init completed: " + exitText(rt.exitErr)}
	case <-timer.C:
		initErr = &FunctionError{Type: "Sandbox.Timedout", Message: fmt.Sprintf("init did not complete within %s", opts.InitTimeout)}
	case <-ctx.Done():
		initErr = &FunctionError{Type: "Sandbox.Canceled", Message: ctx.Err().Error()}
	}
	_ = rt.Close()
	return nil, &InitError{Err: initErr, Logs: rt.logs.String()}
}

// Environment is the environment Lambda gives a provided.al2023 function,
// pointed at the Runtime API on apiAddr, plus opts.Env. Nothing is inherited
// from the calling process: a handler that works here does not depend on
// the developer's shell.
func Environment(opts Options, apiAddr, taskRoot string) []string {
	opts = opts.withDefaults()
	env := map[string]string{
		"AWS_LAMBDA_RUNTIME_API":          apiAddr,
		"AWS_LAMBDA_FUNCTION_NAME":        opts.FunctionName,
		"AWS_LAMBDA_FUNCTION_VERSION":     "$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": strconv.Itoa(opts.MemoryMB),
		"AWS_LAMBDA_LOG_GROUP_NAME":       "/aws/lambda/" + opts.FunctionName,
		"AWS_LAMBDA_LOG_STREAM_NAME":      time.Now().UTC().Format("2006/01/02") + "/[$LATEST]" + newID()[:8],
		"AWS_LAMBDA_INITIALIZATION_TYPE":  "on-demand",
		"AWS_REGION":                      opts.Region,
		"AWS_DEFAULT_REGION":              opts.Region,
		"AWS_ACCESS_KEY_ID":               "ASIATESTLAMBDART0000",
		"AWS_SECRET_ACCESS_KEY":           "lambdart-test-secret",
		"AWS_SESSION_TOKEN":               "lambdart-test-session-token",
		"_HANDLER":                        "bootstrap",
		"LAMBDA_TASK_ROOT":                taskRoot,
		"LAMBDA_RUNTIME_DIR":              "/var/runtime",
		"LANG":                            "en_US.UTF-8",
		"TZ":                              ":UTC",
		"PATH":                            "/usr/local/bin:/usr/bin/:/bin:/opt/bin",
		"LD_LIBRARY_PATH":                 "/var/lang/lib:/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:/opt/lib",
	}
	for k, v := range opts.Env {
		env[k] = v
	}
	out := make([]string, 0, len(env))
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	return out
}

// InitDuration is the time from process start to the first `next` call.
func (rt *Runtime) InitDuration() time.Duration { return rt.initDur }

// Logs returns what the function wrote to stdout and stderr so far.
func (rt *Runtime) Logs() string { return rt.logs.String() }

// Addr is the Runtime API address (AWS_LAMBDA_RUNTIME_API).
func (rt *Runtime) Addr() string { return rt.srv.addr() }

// Invoke hands payload to the function and waits for its outcome. A
// function error (error endpoint, timeout, crash) is a Result with Error
// set; the returned error is for the harness itself (environment already
// dead, ctx done).
func (rt *Runtime) Invoke(ctx context.Context, payload []byte) (*Result, error) {
	rt.invokeMu.Lock()
	defer rt.invokeMu.Unlock()
	if rt.dead != nil {
		return nil, rt.dead
	}
	inv := &invocation{
		id:       newID(),
		payload:  payload,
		deadline: time.Now().Add(rt.opts.Timeout),
		trace:    newTraceID(),
		done:     make(chan *Result, 1),
	}
	timer := time.NewTimer(rt.opts.Timeout)
	defer timer.Stop()
	// Hand out the event (the runtime is normally already waiting in
	// `next`). sent is set before the hand-over, which orders it before
	// every reader.
	inv.sent = time.Now()
	select {
	case rt.srv.queue <- inv:
	case <-rt.exited:
		rt.dead = fmt.Errorf("%w: process exited: %s", errClosed, exitText(rt.exitErr))
		return nil, rt.dead
	case <-timer.C:
		rt.kill("Sandbox.Timedout")
		return nil, fmt.Errorf("lambdart: the runtime did not ask for the next event within %s", rt.opts.Timeout)
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	select {
	case res := <-inv.done:
		return res, nil
	case <-rt.exited:
		inv.finish(&Result{Error: &FunctionError{Type: "Runtime.ExitError",
			Message: fmt.Sprintf("RequestId: %s Error: Runtime exited with error: %s", inv.id, exitText(rt.exitErr))}})
		rt.dead = fmt.Errorf("%w: process exited: %s", errClosed, exitText(rt.exitErr))
	case <-timer.C:
		inv.finish(&Result{Error: &FunctionError{Type: "Sandbox.Timedout",
			Message: fmt.Sprintf("RequestId: %s Error: Task timed out after %.2f seconds", inv.id, rt.opts.Timeout.Seconds())}})
		rt.kill("timed out")
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return <-inv.done, nil
}

func (rt *Runtime) kill(reason string) {
	rt.dead = fmt.Errorf("%w: %s", errClosed, reason)
	if rt.cmd.Process != nil {
		_ = syscall.Kill(-rt.cmd.Process.Pid, syscall.SIGKILL)
	}
	<-rt.exited
}

// Close shuts the environment down as Lambda does: SIGTERM, then SIGKILL
// after 500 ms, and stops the Runtime API server.
func (rt *Runtime) Close() error {
	if rt.cmd.Process != nil {
		select {
		case <-rt.exited:
		default:
			_ = syscall.Kill(-rt.cmd.Process.Pid, syscall.SIGTERM)
			select {
			case <-rt.exited:
			case <-time.After(500 * time.Millisecond):
				_ = syscall.Kill(-rt.cmd.Process.Pid, syscall.SIGKILL)
				<-rt.exited
			}
		}
	}
	rt.srv.close()
	if rt.dead == nil {
		rt.dead = errClosed
	}
	return nil
}

func exitText(err error) string {
	if err == nil {
		return "exit status 0"
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ProcessState.String()
	}
	return err.Error()
}

// syncBuffer is a bytes.Buffer safe for the process's two output pipes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
