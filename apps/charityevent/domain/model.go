// Package domain is the charity event's business logic, free of AWS events
// and of the CDK: donation pledges, sign-ups, live totals, the presenters'
// song-request list and payment confirmations. The Lambda mains and the
// local stack wire it to a queue and a DynamoDB-shaped store.
package domain

import (
	"crypto/sha256"
	"encoding/base32"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// SettingsEnv is the environment variable carrying Settings as JSON on Lambda.
const SettingsEnv = "CAMPAIGN_SETTINGS"

// Message kinds written through the queue.
const (
	KindDonation     = "donation"
	KindRegistration = "registration"
	KindPayment      = "payment"
)

// Settings is the runtime subset of a campaign the handlers need.
type Settings struct {
	Campaign  string    `json:"campaign"`
	Stage     string    `json:"stage"`
	Currency  string    `json:"currency"`
	MinCents  int64     `json:"minCents"`
	MaxCents  int64     `json:"maxCents"`
	Charities []Charity `json:"charities"`
}

// Charity is one charity listeners can support.
type Charity struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	URL  string `json:"url,omitempty"`
}

// SettingsFromEnv reads Settings from $CAMPAIGN_SETTINGS (set by the CDK app).
func SettingsFromEnv() (Settings, error) {
	raw := os.Getenv(SettingsEnv)
	if raw == "" {
		return Settings{}, fmt.Errorf("%s is not set", SettingsEnv)
	}
	var s Settings
	if err := json.Unmarshal([]byte(raw), &s); err != nil {
		return Settings{}, fmt.Errorf("parse %s: %w", SettingsEnv, err)
	}
	if len(s.Charities) == 0 || s.MinCents < 1 || s.MaxCents < s.MinCents {
		return Settings{}, fmt.Errorf("%s: incomplete settings", SettingsEnv)
	}
	return s, nil
}

// JSON returns the settings encoded for SettingsEnv.
func (s Settings) JSON() string {
	b, _ := json.Marshal(s)
	return string(b)
}

func (s Settings) charity(id string) (Charity, bool) {
	for _, c := range s.Charities {
		if c.ID == id {
			return c, true
		}
	}
	return Charity{}, false
}

// DonationRequest is the body of POST /api/donations.
type DonationRequest struct {
	CharityID      string       `json:"charityId"`
	AmountCents    int64        `json:"amountCents"`
	Currency       string       `json:"currency"`
	IdempotencyKey string       `json:"idempotencyKey"`
	DonorName      string       `json:"donorName,omitempty"`
	Song           *SongRequest `json:"song,omitempty"`
}

// SongRequest is an optional song a donor asks the presenters to play.
type SongRequest struct {
	Title      string `json:"title"`
	Artist     string `json:"artist,omitempty"`
	Message    string `json:"message,omitempty"`
	Dedication string `json:"dedication,omitempty"`
}

// Donation is an accepted pledge as it travels through the queue.
type Donation struct {
	ID          string       `json:"id"`
	CharityID   string       `json:"charityId"`
	AmountCents int64        `json:"amountCents"`
	Currency    string       `json:"currency"`
	DonorName   string       `json:"donorName,omitempty"`
	Song        *SongRequest `json:"song,omitempty"`
	AcceptedAt  time.Time    `json:"acceptedAt"`
}

// RegistrationRequest is the body of POST /api/registrations.
type RegistrationRequest struct {
	Name          string `json:"name"`
	Email         string `json:"email"`
	FundraiserURL string `json:"fundraiserUrl,omitempty"`
}

// Registration is an accepted sign-up as it travels through the queue.
type Registration struct {
	ID            string    `json:"id"`
	Name          string    `json:"name"`
	Email         string    `json:"email"`
	FundraiserURL string    `json:"fundraiserUrl,omitempty"`
	AcceptedAt    time.Time `json:"acceptedAt"`
}

// Payment is a confirmed charge reported by the payment provider.
type Payment struct {
	EventID     string    `json:"eventId"`
	DonationID  string    `json:"donationId"`
	CharityID   string    `json:"charityId"`
	AmountCents int64     `json:"amountCents"`
	Currency    string    `json:"currency"`
	PaidAt      time.Time `json:"paidAt"`
}

// FieldError is one invalid field of a request.
type FieldError struct {
	Field  string `json:"field"`
	Detail string `json:"detail"`
}

// ValidationError lists every invalid field of a request.
type ValidationError []FieldError

func (v ValidationError) Error() string {
	parts := make([]string, len(v))
	for i, f := range v {
		parts[i] = f.Field + ": " + f.Detail
	}
	return "invalid request: " + strings.Join(parts, "; ")
}

var keyRE = regexp.MustCompile(`^[A-Za-z0-9_-]{8,128}$`)

// checkText validates a free-text field: trimmed length within bounds, valid
// UTF-8 and no control characters.
func checkText(errs *ValidationError, field, v string, min, max int) {
	n := utf8.RuneCountInString(strings.TrimSpace(v))
	switch {
	case !utf8.ValidString(v):
		*errs = append(*errs, FieldError{field, "must be valid UTF-8"})
	case n < min:
		if min == 1 {
			*errs = append(*errs, FieldError{field, "is required"})
		} else {
			*errs = append(*errs, FieldError{field, fmt.Sprintf("must be at least %d characters", min)})
		}
	case n > max:
		*errs = append(*errs, FieldError{field, fmt.Sprintf("must be at most %d characters", max)})
	default:
		for _, r := range v {
			if unicode.IsControl(r) && r != '\n' {
				*errs = append(*errs, FieldError{field, "must not contain control characters"})
				break
			}
		}
	}
}

// Validate checks a donation against the campaign's settings.
func (s Settings) ValidateDonation(d *DonationRequest) error {
	var errs ValidationError
	if d.CharityID == "" {
		errs = append(errs, FieldError{"charityId", "is required"})
	} else if _, ok := s.charity(d.CharityID); !ok {
		errs = append(errs, FieldError{"charityId", fmt.Sprintf("unknown charity %q; see GET /api/charities", d.CharityID)})
	}
	if d.AmountCents < s.MinCents || d.AmountCents > s.MaxCents {
		errs = append(errs, FieldError{"amountCents", fmt.Sprintf("must be between %d and %d (cents of %s)", s.MinCents, s.MaxCents, s.Currency)})
	}
	if d.Currency != s.Currency {
		errs = append(errs, FieldError{"currency", fmt.Sprintf("must be %q", s.Currency)})
	}
	if !keyRE.MatchString(d.IdempotencyKey) {
		errs = append(errs, FieldError{"idempotencyKey", "must be 8–128 characters of A–Z, a–z, 0–9, '-' or '_' (a UUID is ideal)"})
	}
	if d.DonorName != "" {
		checkText(&errs, "donorName", d.DonorName, 1, 80)
	}
	if d.Song != nil {
		checkText(&errs, "song.title", d.Song.Title, 1, 120)
		if d.Song.Artist != "" {
			checkText(&errs, "song.artist", d.Song.Artist, 1, 120)
		}
		if d.Song.Message != "" {
			checkText(&errs, "song.message", d.Song.Message, 1, 280)
		}
		if d.Song.Dedication != "" {
			checkText(&errs, "song.dedication", d.Song.Dedication, 1, 120)
		}
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

var emailRE = regexp.MustCompile(`^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$`)

// ValidateRegistration checks a sign-up.
func ValidateRegistration(r *RegistrationRequest) error {
	var errs ValidationError
	checkText(&errs, "name", r.Name, 1, 100)
	if len(r.Email) > 254 || !emailRE.MatchString(r.Email) {
		errs = append(errs, FieldError{"email", "must be an e-mail address"})
	}
	if r.FundraiserURL != "" {
		if len(r.FundraiserURL) > 300 || !(strings.HasPrefix(r.FundraiserURL, "https://") || strings.HasPrefix(r.FundraiserURL, "http://")) {
			errs = append(errs, FieldError{"fundraiserUrl", "must be an http(s) URL of at most 300 characters"})
		}
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

var idEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// stableID derives a short id from a namespace and a client key, so a replay
// with the same idempotency key gets the same id back.
func stableID(prefix, campaign, key string) string {
	sum := sha256.Sum256([]byte(campaign + "\x00" + prefix + "\x00" + key))
	return prefix + "_" + strings.ToLower(idEncoding.EncodeToString(sum[:13]))
}

// DonationID is the id of the donation with the given idempotency key.
func DonationID(campaign, key string) string { return stableID("d", campaign, key) }

// RegistrationID is the id of the participant with this e-mail address
// (case-insensitive): signing up twice is one registration.
func RegistrationID(campaign, email string) string {
	return stableID("p", campaign, strings.ToLower(strings.TrimSpace(email)))
}
