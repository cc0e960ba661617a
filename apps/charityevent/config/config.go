// Package config reads a charity-event campaign file (campaigns/*.yaml): who
// the campaign is, where it deploys, its calendar and its capacity target.
// It is CDK-free so the Lambda handlers and the local stack read the same
// file the CDK app deploys.
package config

import (
	"errors"
	"fmt"
	"net/mail"
	"os"
	"regexp"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/campaignkit/campaignkit/apps/charityevent/domain"
	"github.com/campaignkit/campaignkit/constructs/scaledown/calendar"
)

// Kind is the campaign kind this package reads.
const Kind = "charity-event"

// Campaign is one charity-event campaign.
type Campaign struct {
	// Name identifies the campaign in stack names and tags (lowercase, digits, dashes).
	Name string `yaml:"name"`
	// Kind must be "charity-event".
	Kind string `yaml:"kind"`
	// Stage is the deployment stage ("test", "prod", ...). Production stages
	// retain data and enable deletion protection.
	Stage string `yaml:"stage"`
	// Account is the AWS account id; empty means the CLI's current account.
	Account string `yaml:"account"`
	// Region is the AWS region of the main stack.
	Region string `yaml:"region"`
	// Domain is the optional custom domain of the site.
	Domain *Domain `yaml:"domain"`
	// AlarmEmail receives alarm notifications (optional).
	AlarmEmail string `yaml:"alarmEmail"`
	// CostCenter is written as a cost-allocation tag on every resource.
	CostCenter string `yaml:"costCenter"`
	// Capacity is the target the stack is sized for.
	Capacity Capacity `yaml:"capacity"`
	// Calendar is the campaign calendar in its time zone: phases with a
	// level for each target (TargetWeb, TargetWriter), an off-season
	// default and a warm-up lead time (see constructs/scaledown/calendar).
	Calendar calendar.Calendar `yaml:"calendar"`
	// Donations bounds what a donation may be.
	Donations Donations `yaml:"donations"`
	// Charities listeners can donate to.
	Charities []Charity `yaml:"charities"`
	// WAFRateLimit is the per-IP request limit per 5 minutes at the edge.
	WAFRateLimit int `yaml:"wafRateLimit"`
}

// Domain is a custom domain in a Route 53 hosted zone.
type Domain struct {
	Name       string `yaml:"name"`
	HostedZone string `yaml:"hostedZone"`
	ZoneID     string `yaml:"zoneId"`
}

// Capacity is the peak load the campaign must carry.
type Capacity struct {
	PeakConcurrentUsers int      `yaml:"peakConcurrentUsers"`
	ThinkTime           Duration `yaml:"thinkTime"`
	MeanDuration        Duration `yaml:"meanDuration"`
	P99Latency          Duration `yaml:"p99Latency"`
	// WriteShare is the fraction of requests that write (donations, sign-ups).
	WriteShare float64 `yaml:"writeShare"`
}

// RequestsPerSecond is users / think time (Little's law).
func (c Capacity) RequestsPerSecond() float64 {
	if c.ThinkTime.D <= 0 {
		return 0
	}
	return float64(c.PeakConcurrentUsers) / c.ThinkTime.D.Seconds()
}

// Calendar targets: the names campaign calendars use for what they scale.
const (
	// TargetWeb is the web tier's provisioned concurrency (min..max).
	TargetWeb = "web"
	// TargetWriter is the writer's event-source maximum concurrency (max).
	TargetWriter = "writer"
)

// Donations are the bounds of one donation.
type Donations struct {
	Currency string `yaml:"currency"`
	MinCents int64  `yaml:"minCents"`
	MaxCents int64  `yaml:"maxCents"`
}

// Charity is one charity listeners can support.
type Charity struct {
	ID   string `yaml:"id" json:"id"`
	Name string `yaml:"name" json:"name"`
	URL  string `yaml:"url" json:"url,omitempty"`
}

// Duration is a time.Duration written as "15s", "20ms" in YAML.
type Duration struct{ D time.Duration }

// UnmarshalYAML parses a Go duration string.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	var s string
	if err := n.Decode(&s); err != nil {
		return err
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("line %d: %q is not a duration like \"15s\": %w", n.Line, s, err)
	}
	d.D = v
	return nil
}

// MarshalYAML writes the duration as a string.
func (d Duration) MarshalYAML() (any, error) { return d.D.String(), nil }

var nameRE = regexp.MustCompile(`^[a-z][a-z0-9-]{1,40}$`)

// Load reads and validates a campaign file, applying defaults.
func Load(path string) (*Campaign, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read campaign: %w", err)
	}
	c, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("campaign %s: %w", path, err)
	}
	return c, nil
}

// Parse decodes and validates a campaign document (unknown fields are errors).
func Parse(b []byte) (*Campaign, error) {
	var c Campaign
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("parse: %w", err)
	}
	c.defaults()
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

func (c *Campaign) defaults() {
	if c.Stage == "" {
		c.Stage = "test"
	}
	if c.Donations.Currency == "" {
		c.Donations.Currency = "EUR"
	}
	if c.Donations.MinCents == 0 {
		c.Donations.MinCents = 100
	}
	if c.Donations.MaxCents == 0 {
		c.Donations.MaxCents = 1_000_000
	}
	if c.Capacity.MeanDuration.D == 0 {
		c.Capacity.MeanDuration.D = 20 * time.Millisecond
	}
	if c.Capacity.P99Latency.D == 0 {
		c.Capacity.P99Latency.D = 300 * time.Millisecond
	}
	if c.Capacity.WriteShare == 0 {
		c.Capacity.WriteShare = 0.1
	}
	if c.Calendar.WarmUp == 0 {
		c.Calendar.WarmUp = 30 * time.Minute
	}
	if c.WAFRateLimit == 0 {
		c.WAFRateLimit = 2000
	}
	if c.CostCenter == "" {
		c.CostCenter = c.Name
	}
}

// Settings returns the runtime subset of the campaign the handlers need
// (passed to Lambda as CAMPAIGN_SETTINGS).
func (c *Campaign) Settings() domain.Settings {
	s := domain.Settings{Campaign: c.Name, Stage: c.Stage, Currency: c.Donations.Currency,
		MinCents: c.Donations.MinCents, MaxCents: c.Donations.MaxCents}
	for _, ch := range c.Charities {
		s.Charities = append(s.Charities, domain.Charity{ID: ch.ID, Name: ch.Name, URL: ch.URL})
	}
	return s
}

// Production reports whether the stage keeps data (prod*).
func (c *Campaign) Production() bool { return strings.HasPrefix(c.Stage, "prod") }

// Charity returns the charity with id, if listed.
func (c *Campaign) Charity(id string) (Charity, bool) {
	for _, ch := range c.Charities {
		if ch.ID == id {
			return ch, true
		}
	}
	return Charity{}, false
}

// Validate reports every problem in the campaign, one per line.
func (c *Campaign) Validate() error {
	var errs []error
	add := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	if !nameRE.MatchString(c.Name) {
		add("name %q: use 2–41 lowercase letters, digits or dashes, starting with a letter", c.Name)
	}
	if c.Kind != Kind {
		add("kind %q: this app deploys kind %q", c.Kind, Kind)
	}
	if !nameRE.MatchString(c.Stage) {
		add("stage %q: use lowercase letters, digits or dashes (e.g. test, prod)", c.Stage)
	}
	if c.Region == "" {
		add("region: required (e.g. eu-west-1)")
	}
	if c.AlarmEmail != "" {
		if _, err := mail.ParseAddress(c.AlarmEmail); err != nil {
			add("alarmEmail %q: not an e-mail address", c.AlarmEmail)
		}
	}
	if c.Domain != nil && (c.Domain.Name == "" || c.Domain.HostedZone == "") {
		add("domain: name and hostedZone are both required")
	}
	if c.Capacity.PeakConcurrentUsers <= 0 {
		add("capacity.peakConcurrentUsers: must be > 0")
	}
	if c.Capacity.ThinkTime.D <= 0 {
		add("capacity.thinkTime: must be > 0 (seconds between a user's requests, e.g. 15s)")
	}
	if c.Capacity.WriteShare < 0 || c.Capacity.WriteShare > 1 {
		add("capacity.writeShare %.2f: must be within 0..1", c.Capacity.WriteShare)
	}
	if c.Donations.MinCents < 1 || c.Donations.MaxCents < c.Donations.MinCents {
		add("donations: need 1 ≤ minCents (%d) ≤ maxCents (%d)", c.Donations.MinCents, c.Donations.MaxCents)
	}
	if len(c.Donations.Currency) != 3 || strings.ToUpper(c.Donations.Currency) != c.Donations.Currency {
		add("donations.currency %q: an ISO 4217 code such as EUR", c.Donations.Currency)
	}
	if len(c.Charities) == 0 || len(c.Charities) > 99 {
		add("charities: list 1 to 99 (the live totals are read in one 100-key batch)")
	}
	seen := map[string]bool{}
	for i, ch := range c.Charities {
		if !nameRE.MatchString(ch.ID) {
			add("charities[%d].id %q: lowercase letters, digits, dashes", i, ch.ID)
		}
		if seen[ch.ID] {
			add("charities[%d].id %q: duplicate", i, ch.ID)
		}
		seen[ch.ID] = true
		if strings.TrimSpace(ch.Name) == "" {
			add("charities[%d].name: required", i)
		}
	}
	if _, err := time.LoadLocation(c.Calendar.TimeZone); err != nil || c.Calendar.TimeZone == "" {
		add("calendar.timeZone %q: not an IANA time zone (e.g. Europe/Brussels)", c.Calendar.TimeZone)
	}
	if len(c.Calendar.Phases) == 0 {
		add("calendar.phases: list at least one phase")
	}
	for _, t := range c.Calendar.Targets() {
		if t != TargetWeb && t != TargetWriter {
			add("calendar: unknown target %q; levels name %q (provisioned concurrency) or %q (writer concurrency)", t, TargetWeb, TargetWriter)
		}
	}
	return errors.Join(errs...)
}
