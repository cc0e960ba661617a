package queue_test

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/campaignkit/campaignkit/internal/testenv"
)

// moto is the moto_server shared by this package's tests.
var moto *testenv.Moto

func TestMain(m *testing.M) {
	if path := os.Getenv(killChildEnv); path != "" {
		os.Exit(killChild(path)) // re-executed by TestKill9LosesNoAcknowledgedMessage
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
