package local_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"testing"

	"github.com/campaignkit/campaignkit/internal/local"
	_ "github.com/campaignkit/campaignkit/internal/local/demoapp" // registers "demo"
	"github.com/campaignkit/campaignkit/internal/testenv"
)

// childDataEnv makes the test binary act as a `campaignkit local demo`
// process on that data dir (TestKill9MidBurst re-executes itself).
const childDataEnv = "LOCAL_TEST_CHILD_DATA"

// moto is the moto_server shared by the --aws mode tests.
var moto *testenv.Moto

func TestMain(m *testing.M) {
	if dir := os.Getenv(childDataEnv); dir != "" {
		os.Exit(child(dir))
	}
	var err error
	moto, err = testenv.StartMoto(context.Background())
	if err != nil {
		fmt.Fprintln(os.Stderr, "start moto:", err)
		os.Exit(1)
	}
	code := m.Run()
	moto.Stop()
	os.Exit(code)
}

func child(dir string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := local.Run(ctx, "demo", local.Options{Addr: "127.0.0.1:0", DataDir: dir, Out: os.Stdout,
		Logger: slog.New(slog.NewJSONHandler(os.Stderr, nil))})
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 1
	}
	return 0
}

// quiet are Options that keep test output readable.
func quiet(t *testing.T, dir string) local.Options {
	return local.Options{Addr: "127.0.0.1:0", DataDir: dir, Out: io.Discard,
		Logger: slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(string(p))
	return len(p), nil
}
