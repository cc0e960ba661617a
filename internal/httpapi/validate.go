package httpapi

import (
	"cmp"
	"fmt"
	"net/http"
	"net/mail"
	"slices"
	"strings"
	"unicode/utf8"
)

// Validator collects field errors so that a handler reports every problem
// of a request at once. The zero value is ready to use:
//
//	var v httpapi.Validator
//	v.Required("name", in.Name)
//	httpapi.Between(&v, "amount", in.Amount, 1, 10_000)
//	if err := v.Err(); err != nil {
//		httpapi.Error(w, r, log, err) // 422 with an errors array
//		return
//	}
type Validator struct {
	errs []FieldError
}

// Add records that field is invalid, with a detail saying how to fix it.
func (v *Validator) Add(field, detail string) {
	v.errs = append(v.errs, FieldError{Field: field, Detail: detail})
}

// Check records detail for field when ok is false and returns ok.
func (v *Validator) Check(ok bool, field, detail string) bool {
	if !ok {
		v.Add(field, detail)
	}
	return ok
}

// Required checks that value is not blank.
func (v *Validator) Required(field, value string) bool {
	return v.Check(strings.TrimSpace(value) != "", field, "is required")
}

// Length checks that value has between min and max characters (runes).
func (v *Validator) Length(field, value string, min, max int) bool {
	n := utf8.RuneCountInString(value)
	return v.Check(n >= min && n <= max, field, fmt.Sprintf("must be %d to %d characters long", min, max))
}

// OneOf checks that value is one of allowed.
func (v *Validator) OneOf(field, value string, allowed ...string) bool {
	return v.Check(slices.Contains(allowed, value), field, "must be one of "+strings.Join(allowed, ", "))
}

// Email checks that value is a bare e-mail address (no display name).
func (v *Validator) Email(field, value string) bool {
	a, err := mail.ParseAddress(value)
	return v.Check(err == nil && a.Address == value, field, "must be an e-mail address like name@example.org")
}

// Between checks that min ≤ value ≤ max.
func Between[T cmp.Ordered](v *Validator, field string, value, min, max T) bool {
	return v.Check(value >= min && value <= max, field, fmt.Sprintf("must be between %v and %v", min, max))
}

// Valid reports whether no error was recorded.
func (v *Validator) Valid() bool { return len(v.errs) == 0 }

// Errors returns the recorded field errors.
func (v *Validator) Errors() []FieldError { return slices.Clone(v.errs) }

// Err returns nil when the request is valid, else one 422 *Problem listing
// every field error.
func (v *Validator) Err() error {
	if v.Valid() {
		return nil
	}
	p := NewProblem(http.StatusUnprocessableEntity, TypeValidation, fmt.Sprintf("%d field(s) are invalid; see errors", len(v.errs)))
	p.Errors = v.Errors()
	return p
}
