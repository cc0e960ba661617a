package main

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
)

// The happy path shares writer.PostgresSinkFromEnv with the combined
// writer, whose tests run it against PostgreSQL.
func TestSetupRejectsBadEnvironment(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	cases := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"no URL", map[string]string{}, "DATABASE_URL"},
		{"bad URL", map[string]string{"DATABASE_URL": "postgres://%zz"}, "DATABASE_URL"},
		{"bad pool size", map[string]string{"DATABASE_URL": "postgres://u@127.0.0.1:1/db", "DB_MAX_CONNS": "-1"}, "DB_MAX_CONNS"},
		{"IAM auth without region", map[string]string{"DATABASE_URL": "postgres://u@127.0.0.1:1/db", "DB_IAM_AUTH": "true"}, "AWS_REGION"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := setup(context.Background(), func(k string) string { return c.env[k] }, log)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want it to mention %s", err, c.want)
			}
		})
	}
}
