package local

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/campaignkit/campaignkit/constructs/edgesite/edgerules"
	"github.com/campaignkit/campaignkit/internal/httpapi"
	"github.com/campaignkit/campaignkit/internal/lambdahttp"
	"github.com/campaignkit/campaignkit/internal/obs"
	"github.com/campaignkit/campaignkit/internal/queue"
)

// DefaultAddr is where the stack listens unless told otherwise.
const DefaultAddr = "127.0.0.1:8080"

// Options configure a local stack.
type Options struct {
	// Addr is the listen address. Default DefaultAddr; "127.0.0.1:0" picks a
	// free port (read it from Stack.URL or <DataDir>/endpoint.json). A
	// missing host (":8080") means 127.0.0.1.
	Addr string
	// DataDir holds the embedded queue and store files and endpoint.json.
	// Default ".campaignkit/<app>".
	DataDir string
	// AWS runs the handlers with the AWS SDK clients against
	// AWS_ENDPOINT_URL (moto, LocalStack), creating the app's queues and
	// tables there at start.
	AWS bool
	// AWSConfig overrides the SDK config in AWS mode (tests). Default: from
	// the environment, with AWS_ENDPOINT_URL required.
	AWSConfig *aws.Config
	// Region is the AWS mode region. Default $AWS_REGION, else eu-west-1.
	Region string
	// Campaign is passed to the app as Deps.Campaign.
	Campaign string
	// Out receives the start-up and shutdown summary. Default os.Stdout.
	Out io.Writer
	// Logger receives structured logs. Default JSON on os.Stderr at Info.
	Logger *slog.Logger
	// MetricsOut receives the app's EMF metric lines. Default discarded.
	MetricsOut io.Writer
	// ShutdownTimeout bounds the drain of in-flight requests and writer
	// batches on Shutdown. Default 30 s.
	ShutdownTimeout time.Duration
	// WriterWaitTime is the pollers' long-poll wait. Default 20 s (SQS's
	// maximum, what Lambda's event source uses).
	WriterWaitTime time.Duration
}

func (o Options) withDefaults(app string) Options {
	if o.Addr == "" {
		o.Addr = DefaultAddr
	}
	if strings.HasPrefix(o.Addr, ":") {
		o.Addr = "127.0.0.1" + o.Addr
	}
	if o.DataDir == "" {
		o.DataDir = filepath.Join(".campaignkit", app)
	}
	if o.Out == nil {
		o.Out = os.Stdout
	}
	if o.Logger == nil {
		o.Logger = obs.NewLogger(os.Stderr, slog.LevelInfo)
	}
	if o.MetricsOut == nil {
		o.MetricsOut = io.Discard
	}
	if o.ShutdownTimeout == 0 {
		o.ShutdownTimeout = 30 * time.Second
	}
	return o
}

// Endpoint is the content of <DataDir>/endpoint.json, written once the
// stack listens and removed on a clean stop, so load tests and scripts can
// find a running stack.
type Endpoint struct {
	URL  string `json:"url"`
	App  string `json:"app"`
	PID  int    `json:"pid"`
	Mode Mode   `json:"mode"`
}

// ReadEndpoint reads <dataDir>/endpoint.json.
func ReadEndpoint(dataDir string) (Endpoint, error) {
	var e Endpoint
	b, err := os.ReadFile(filepath.Join(dataDir, EndpointFile))
	if err != nil {
		return e, fmt.Errorf("local: read endpoint: %w", err)
	}
	if err := json.Unmarshal(b, &e); err != nil {
		return e, fmt.Errorf("local: parse %s: %w", filepath.Join(dataDir, EndpointFile), err)
	}
	return e, nil
}

// Stack is a running local stack.
type Stack struct {
	app       App
	opts      Options
	be        *backend
	ln        net.Listener
	srv       *http.Server
	limiter   *Limiter
	pollers   []*queue.Poller
	stopPoll  context.CancelFunc
	pollWG    sync.WaitGroup
	serveErr  chan error
	endpoint  string
	closeOnce sync.Once
	closeErr  error
}

// Start builds the app's adapters, handlers and pollers, listens, writes
// endpoint.json and prints where everything is. Stop it with Shutdown.
func Start(ctx context.Context, app App, opts Options) (*Stack, error) {
	if err := app.Validate(); err != nil {
		return nil, err
	}
	opts = opts.withDefaults(app.Name)
	s := &Stack{app: app, opts: opts, serveErr: make(chan error, 1)}
	if !opts.AWS {
		if err := checkNotRunning(opts.DataDir); err != nil {
			return nil, err
		}
	}
	var err error
	if opts.AWS {
		s.be, err = openAWS(ctx, app, opts)
	} else {
		s.be, err = openEmbedded(ctx, app, opts.DataDir)
	}
	if err != nil {
		return nil, fmt.Errorf("local: %s: %w", app.Name, err)
	}
	fail := func(err error) (*Stack, error) {
		_ = s.be.close()
		return nil, fmt.Errorf("local: %s: %w", app.Name, err)
	}
	deps := Deps{
		DB: s.be.db, Sender: s.be.sender, Log: opts.Logger, Mode: s.be.mode, Region: s.be.region, Campaign: opts.Campaign,
		QueueURL: func(name string) string { return s.be.urls[name] },
		Metrics:  obs.NewMetrics(opts.MetricsOut, "campaignkit/"+app.Name, obs.Dimension{Name: "Service", Value: app.Name}),
	}
	handler, err := s.handler(deps)
	if err != nil {
		return fail(err)
	}
	pollCtx, stopPoll := context.WithCancel(context.WithoutCancel(ctx))
	s.stopPoll = stopPoll
	for _, w := range app.Writers {
		h, err := w.Handler(deps)
		if err != nil {
			stopPoll()
			return fail(fmt.Errorf("writer %s: %w", w.name(), err))
		}
		p, err := queue.NewPoller(s.be.receiver, s.be.urls[w.Queue], h, queue.PollerOptions{
			BatchSize: w.BatchSize, BatchWindow: w.BatchWindow, MaxConcurrency: w.MaxConcurrency,
			VisibilityTimeout: w.VisibilityTimeout, WaitTime: opts.WriterWaitTime, AWSRegion: regionFor(s.be),
			Logger: opts.Logger.With("writer", w.name()),
		})
		if err != nil {
			stopPoll()
			return fail(fmt.Errorf("writer %s: %w", w.name(), err))
		}
		s.pollers = append(s.pollers, p)
	}
	s.ln, err = net.Listen("tcp", opts.Addr)
	if err != nil {
		stopPoll()
		return fail(fmt.Errorf("listen %s: %w", opts.Addr, err))
	}
	for _, p := range s.pollers {
		s.pollWG.Add(1)
		go func() {
			defer s.pollWG.Done()
			_ = p.Run(pollCtx)
		}()
	}
	s.srv = lambdahttp.NewServer(handler)
	s.srv.ErrorLog = slog.NewLogLogger(opts.Logger.Handler(), slog.LevelWarn)
	go func() { s.serveErr <- s.srv.Serve(s.ln) }()
	if err := s.writeEndpoint(); err != nil {
		_ = s.Shutdown(context.Background())
		return nil, err
	}
	s.printStart()
	return s, nil
}

func regionFor(b *backend) string {
	if b.mode == ModeEmbedded {
		return ""
	}
	return b.region
}

// handler assembles the front door: edge headers on everything, /api/*
// through the limiter to the app's handler, the rest to the site.
func (s *Stack) handler(deps Deps) (http.Handler, error) {
	rules := s.app.rules()
	mux := http.NewServeMux()
	if s.app.API != nil {
		api, err := s.app.API(deps)
		if err != nil {
			return nil, fmt.Errorf("api: %w", err)
		}
		s.limiter = NewLimiter(s.app.reserved())
		mux.Handle(rules.APIPrefix, payloadLimit(s.limiter.Limit(httpapi.Wrap(api, deps.Log))))
	} else {
		mux.Handle(rules.APIPrefix, httpapi.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			httpapi.WriteProblem(w, r, httpapi.NewProblem(http.StatusNotFound, httpapi.TypeNotFound, "this app has no API"))
		}), deps.Log))
	}
	if s.app.Site != nil {
		site, err := SiteHandler(s.app.Site, rules)
		if err != nil {
			return nil, err
		}
		mux.Handle("/", site)
	}
	return edgeHeaders(httpapi.Mux(mux), edgerules.Headers(s.app.SiteHeaders)), nil
}

// URL is the stack's base URL, e.g. http://127.0.0.1:8080.
func (s *Stack) URL() string { return "http://" + s.ln.Addr().String() }

// Limiter is the API's concurrency limiter (nil without an API).
func (s *Stack) Limiter() *Limiter { return s.limiter }

// Mode is the adapters' kind.
func (s *Stack) Mode() Mode { return s.be.mode }

// Done delivers the server's error if it stops by itself.
func (s *Stack) Done() <-chan error { return s.serveErr }

// QueueStats returns the embedded queue's commit counters (false in AWS
// mode): how many fsynced commits served how many operations and callers.
func (s *Stack) QueueStats() (queue.EmbeddedStats, bool) {
	if s.be.embedded == nil {
		return queue.EmbeddedStats{}, false
	}
	return s.be.embedded.Stats(), true
}

// PollerStats returns each writer's poller counters, by writer name.
func (s *Stack) PollerStats() map[string]queue.PollerStats {
	out := map[string]queue.PollerStats{}
	for i, p := range s.pollers {
		out[s.app.Writers[i].name()] = p.Stats()
	}
	return out
}

// Shutdown stops accepting requests and lets in-flight ones finish, then
// stops the pollers and lets in-flight writer batches finish (their
// messages are deleted, or stay on the queue for the next start), closes the
// adapters and removes endpoint.json. Bounded by Options.ShutdownTimeout.
func (s *Stack) Shutdown(ctx context.Context) error {
	s.closeOnce.Do(func() {
		ctx, cancel := context.WithTimeout(ctx, s.opts.ShutdownTimeout)
		defer cancel()
		var errs []error
		if err := s.srv.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("drain requests: %w", err))
			_ = s.srv.Close()
		}
		s.stopPoll()
		drained := make(chan struct{})
		go func() { s.pollWG.Wait(); close(drained) }()
		select {
		case <-drained:
		case <-ctx.Done():
			errs = append(errs, fmt.Errorf("drain writer batches: %w (unfinished messages will be redelivered)", ctx.Err()))
		}
		if err := s.be.close(); err != nil {
			errs = append(errs, err)
		}
		if s.endpoint != "" {
			if err := os.Remove(s.endpoint); err != nil && !errors.Is(err, os.ErrNotExist) {
				errs = append(errs, err)
			}
		}
		s.printStop()
		s.closeErr = errors.Join(errs...)
	})
	return s.closeErr
}

func (s *Stack) writeEndpoint() error {
	if err := os.MkdirAll(s.opts.DataDir, 0o700); err != nil {
		return fmt.Errorf("local: %w", err)
	}
	path := filepath.Join(s.opts.DataDir, EndpointFile)
	b, _ := json.Marshal(Endpoint{URL: s.URL(), App: s.app.Name, PID: os.Getpid(), Mode: s.be.mode})
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("local: write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("local: write %s: %w", path, err)
	}
	s.endpoint = path
	return nil
}

// checkNotRunning refuses a data dir whose endpoint.json names a live
// process (a stale file left by a killed stack is ignored).
func checkNotRunning(dataDir string) error {
	e, err := ReadEndpoint(dataDir)
	if err != nil {
		return nil
	}
	if e.PID > 0 && e.PID != os.Getpid() && syscall.Kill(e.PID, 0) == nil {
		return fmt.Errorf("local: %s is already running at %s (pid %d) with data dir %s; stop it or pick another -data", e.App, e.URL, e.PID, dataDir)
	}
	return nil
}

func (s *Stack) printStart() {
	w := s.opts.Out
	rules := s.app.rules()
	fmt.Fprintf(w, "campaignkit local: %s (%s mode)\n", s.app.Name, s.be.mode)
	if s.app.Site != nil {
		fmt.Fprintf(w, "  site      %s/\n", s.URL())
	}
	if s.app.API != nil {
		fmt.Fprintf(w, "  api       %s%s  (reserved concurrency %d; beyond it 429)\n", s.URL(), rules.APIPrefix, s.app.reserved())
	}
	for _, wr := range s.app.Writers {
		fmt.Fprintf(w, "  writer    %s ← queue %s (batch %d, window %s, concurrency %d)\n", wr.name(), wr.Queue,
			orDefault(wr.BatchSize, 10), wr.BatchWindow, orDefault(wr.MaxConcurrency, 2))
	}
	for _, d := range s.be.where {
		fmt.Fprintf(w, "  data      %s\n", d)
	}
	fmt.Fprintf(w, "  endpoint  %s\n", s.endpoint)
	fmt.Fprintln(w, "Stop with Ctrl-C: in-flight requests and writer batches are drained first.")
}

func (s *Stack) printStop() {
	w := s.opts.Out
	fmt.Fprintf(w, "campaignkit local: %s stopped", s.app.Name)
	if s.limiter != nil {
		fmt.Fprintf(w, "; api served %d, throttled %d", s.limiter.Served(), s.limiter.Throttled())
	}
	for name, st := range s.PollerStats() {
		fmt.Fprintf(w, "; writer %s: %d batches, %d deleted, %d retried", name, st.Batches, st.Deleted, st.Retried)
	}
	fmt.Fprintln(w)
}

func orDefault(v, d int) int {
	if v == 0 {
		return d
	}
	return v
}

// Run starts the registered app called name and serves until ctx is done
// (the CLI cancels it on SIGINT/SIGTERM), then shuts down gracefully.
func Run(ctx context.Context, name string, opts Options) error {
	app, ok := Lookup(name)
	if !ok {
		var names []string
		for _, a := range Apps() {
			names = append(names, a.Name)
		}
		return fmt.Errorf("%w %q (registered: %s)", ErrUnknownApp, name, strings.Join(names, ", "))
	}
	s, err := Start(ctx, app, opts)
	if err != nil {
		return err
	}
	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-s.Done():
	}
	shutErr := s.Shutdown(context.Background())
	if serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) {
		return errors.Join(fmt.Errorf("local: serve: %w", serveErr), shutErr)
	}
	return shutErr
}
