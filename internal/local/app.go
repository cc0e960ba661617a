// Package local runs a whole campaign app in one process — the engine of
// `campaignkit local <app>`: the static site with the edge's headers and
// rewrites (edgerules), /api/* routed to the app's web-tier handler behind
// a Lambda-like concurrency limit, writers fed by a queue through a poller,
// and a store. By default the queue and store are the embedded, bbolt-backed
// adapters persisted in a data directory, so stopping or killing the
// process loses no accepted write; with Options.AWS the same handlers use
// the AWS SDK clients against AWS_ENDPOINT_URL (e.g. moto).
//
// Apps describe themselves with an App and Register it from an init
// function; the handlers receive their adapters through Deps, exactly as a
// Lambda main wires SDK clients into them.
package local

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/campaignkit/campaignkit/constructs/edgesite/edgerules"
	"github.com/campaignkit/campaignkit/internal/obs"
	"github.com/campaignkit/campaignkit/internal/queue"
	"github.com/campaignkit/campaignkit/internal/store"
)

// DefaultReservedConcurrency is the API's in-flight limit when an App does
// not set APIReservedConcurrency.
const DefaultReservedConcurrency = 100

// App is a campaign app as the local stack runs it.
type App struct {
	// Name is what `campaignkit local <name>` selects. Required.
	Name string
	// Summary is one line for the app list. Optional.
	Summary string
	// Site is the static site root (index.html at its top). Default none:
	// only the API is served.
	Site fs.FS
	// SiteRules are the edge rules (API and assets prefixes, SPA mode).
	// Default edgerules.Default().
	SiteRules *edgerules.Config
	// SiteHeaders override the edge's security headers as the EdgeCachedSite
	// Headers prop does (empty value removes a header). Default none.
	SiteHeaders map[string]string
	// Tables are created at start (an existing table is kept).
	Tables []TableSpec
	// Queues are created at start; writers and the API refer to them by name.
	Queues []queue.QueueConfig
	// API builds the web-tier handler once per start, as a Lambda main does
	// once per execution environment. It is served under SiteRules.APIPrefix
	// with the request path unchanged, wrapped in httpapi.Wrap. Optional.
	API func(Deps) (http.Handler, error)
	// APIReservedConcurrency is the web tier's reserved concurrency: at most
	// this many requests in flight; beyond it the stack answers 429 as
	// Lambda throttling does. Default DefaultReservedConcurrency.
	APIReservedConcurrency int
	// Writers are the queue consumers (QueuedDatabaseWriter functions).
	Writers []Writer
}

// TableSpec declares a table with a string partition key and an optional
// string sort key (the shape store.EnsureTable creates).
type TableSpec struct {
	Name string
	PK   string
	SK   string
}

// Writer is a queue-fed function, configured like its Lambda SQS event
// source mapping.
type Writer struct {
	// Name labels logs and start-up output. Default: the queue name.
	Name string
	// Queue is the name of one of App.Queues. Required.
	Queue string
	// Handler builds the SQS handler once per start (the writer Lambda's
	// handler, unchanged). Required.
	Handler func(Deps) (queue.Handler, error)
	// BatchSize, BatchWindow, MaxConcurrency and VisibilityTimeout are the
	// event source mapping's settings; see queue.PollerOptions for defaults.
	BatchSize         int
	BatchWindow       time.Duration
	MaxConcurrency    int
	VisibilityTimeout time.Duration
}

// Mode says which adapters a stack runs with.
type Mode string

// Modes.
const (
	// ModeEmbedded uses the bbolt-backed queue and store in the data dir.
	ModeEmbedded Mode = "embedded"
	// ModeAWS uses the AWS SDK v2 clients against AWS_ENDPOINT_URL.
	ModeAWS Mode = "aws"
)

// Deps are the adapters and settings handed to an app's builders: the same
// ports the Lambda mains fill with SDK clients.
type Deps struct {
	// DB is the store port: *store.Embedded or *dynamodb.Client.
	DB store.DB
	// Sender is the queue port: *queue.Embedded or *sqs.Client.
	Sender queue.Sender
	// QueueURL returns the URL of one of App.Queues by name ("" if unknown).
	QueueURL func(name string) string
	// Log is the stack's structured logger (request id and cold start come
	// from the request context, as on Lambda).
	Log *slog.Logger
	// Metrics writes EMF lines (Options.MetricsOut; discarded by default).
	Metrics *obs.Metrics
	// Mode is the adapters' kind.
	Mode Mode
	// Region is the AWS region the adapters report.
	Region string
	// Campaign is Options.Campaign: a campaign file the app may read.
	Campaign string
}

var (
	registryMu sync.Mutex
	registry   = map[string]App{}
)

// Register makes app available to Run under app.Name. It panics on an
// invalid or duplicate app: registration happens in init functions, where
// a panic names the programming error at once.
func Register(app App) {
	if err := app.Validate(); err != nil {
		panic(err)
	}
	registryMu.Lock()
	defer registryMu.Unlock()
	if _, dup := registry[app.Name]; dup {
		panic(fmt.Sprintf("local: app %q registered twice", app.Name))
	}
	registry[app.Name] = app
}

// Lookup returns the registered app called name.
func Lookup(name string) (App, bool) {
	registryMu.Lock()
	defer registryMu.Unlock()
	a, ok := registry[name]
	return a, ok
}

// Apps returns the registered apps sorted by name.
func Apps() []App {
	registryMu.Lock()
	defer registryMu.Unlock()
	out := make([]App, 0, len(registry))
	for _, a := range registry {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// ErrUnknownApp is returned (wrapped) by Run for a name nobody registered.
var ErrUnknownApp = errors.New("local: unknown app")

// Validate reports every problem with the app, one line each, naming the
// field and the fix.
func (a App) Validate() error {
	var errs []error
	if strings.TrimSpace(a.Name) == "" {
		errs = append(errs, errors.New("local: App.Name is empty; name the app (e.g. \"charity-event\")"))
	}
	if a.API == nil && len(a.Writers) == 0 && a.Site == nil {
		errs = append(errs, fmt.Errorf("local: app %q has no Site, API or Writers; give it something to run", a.Name))
	}
	if a.APIReservedConcurrency < 0 {
		errs = append(errs, fmt.Errorf("local: app %q: APIReservedConcurrency (%d) must be ≥ 1 (0 = %d)", a.Name, a.APIReservedConcurrency, DefaultReservedConcurrency))
	}
	if a.SiteRules != nil {
		if err := a.SiteRules.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("local: app %q: SiteRules: %w", a.Name, err))
		}
	}
	queues := map[string]bool{}
	for _, q := range a.Queues {
		if err := q.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("local: app %q: %w", a.Name, err))
		}
		if queues[q.Name] {
			errs = append(errs, fmt.Errorf("local: app %q: queue %q declared twice", a.Name, q.Name))
		}
		queues[q.Name] = true
	}
	for _, q := range a.Queues {
		if q.DeadLetterQueue != "" && !queues[q.DeadLetterQueue] {
			errs = append(errs, fmt.Errorf("local: app %q: queue %q: DeadLetterQueue %q is not in App.Queues; declare it", a.Name, q.Name, q.DeadLetterQueue))
		}
	}
	tables := map[string]bool{}
	for _, t := range a.Tables {
		if t.Name == "" || t.PK == "" {
			errs = append(errs, fmt.Errorf("local: app %q: TableSpec %+v needs Name and PK", a.Name, t))
		}
		if tables[t.Name] {
			errs = append(errs, fmt.Errorf("local: app %q: table %q declared twice", a.Name, t.Name))
		}
		tables[t.Name] = true
	}
	for i, w := range a.Writers {
		if w.Handler == nil {
			errs = append(errs, fmt.Errorf("local: app %q: Writers[%d] has no Handler", a.Name, i))
		}
		if !queues[w.Queue] {
			errs = append(errs, fmt.Errorf("local: app %q: Writers[%d].Queue %q is not in App.Queues; declare it", a.Name, i, w.Queue))
		}
		opts := queue.PollerOptions{BatchSize: w.BatchSize, BatchWindow: w.BatchWindow, MaxConcurrency: w.MaxConcurrency, VisibilityTimeout: w.VisibilityTimeout}
		if err := opts.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("local: app %q: Writers[%d]: %w", a.Name, i, err))
		}
	}
	return errors.Join(errs...)
}

func (a App) rules() edgerules.Config {
	if a.SiteRules != nil {
		return *a.SiteRules
	}
	return edgerules.Default()
}

func (a App) reserved() int {
	if a.APIReservedConcurrency > 0 {
		return a.APIReservedConcurrency
	}
	return DefaultReservedConcurrency
}

func (w Writer) name() string {
	if w.Name != "" {
		return w.Name
	}
	return w.Queue
}
