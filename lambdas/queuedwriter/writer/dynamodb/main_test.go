package main

import (
	"io"
	"log/slog"
	"strings"
	"testing"
)

func TestSetup(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	base := map[string]string{"AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b"}
	cases := []struct {
		name  string
		extra map[string]string
		want  string // error text, "" = ok
	}{
		{"table set", map[string]string{"TABLE_NAME": "t"}, ""},
		{"no table", map[string]string{}, "TABLE_NAME"},
		{"no region", map[string]string{"TABLE_NAME": "t", "AWS_REGION": ""}, "AWS_REGION"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			env := map[string]string{}
			for k, v := range base {
				env[k] = v
			}
			for k, v := range c.extra {
				env[k] = v
			}
			w, err := setup(func(k string) string { return env[k] }, log)
			if c.want == "" && (err != nil || w == nil) {
				t.Fatalf("setup: %v", err)
			}
			if c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
				t.Errorf("err = %v, want it to mention %s", err, c.want)
			}
		})
	}
}
