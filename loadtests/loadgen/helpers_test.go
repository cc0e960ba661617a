package loadgen_test

import (
	"encoding/json"
	"strings"
)

// fmtJSON renders a captured definition (an Fn::Join of strings and
// tokens) as one string for substring checks.
func fmtJSON(v any) string {
	b, _ := json.Marshal(v)
	s := string(b)
	s = strings.ReplaceAll(s, `\"`, `"`)
	return s
}
