package store_test

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/campaignkit/campaignkit/internal/store"
	"github.com/campaignkit/campaignkit/internal/testenv"
)

var moto *testenv.Moto

func TestMain(m *testing.M) {
	if path := os.Getenv(childEnv); path != "" {
		os.Exit(runKillChild(path))
	}
	var err error
	moto, err = testenv.StartMoto(context.Background())
	if err != nil {
		fmt.Fprintln(os.Stderr, "store tests need moto_server:", err)
		os.Exit(1)
	}
	code := m.Run()
	moto.Stop()
	os.Exit(code)
}

// backend is one implementation of the port under the contract suite.
type backend struct {
	name string
	open func(t testing.TB) (store.DB, store.Admin)
}

func backends() []backend {
	return []backend{
		{"embedded", func(t testing.TB) (store.DB, store.Admin) {
			e := openEmbedded(t, t.TempDir()+"/store.db")
			return e, e
		}},
		{"moto", func(t testing.TB) (store.DB, store.Admin) {
			c := motoClient(t)
			return c, c
		}},
	}
}

func openEmbedded(t testing.TB, path string, opts ...store.Option) *store.Embedded {
	t.Helper()
	e, err := store.OpenEmbedded(path, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

func motoClient(t testing.TB) *dynamodb.Client {
	t.Helper()
	cfg, err := moto.AWSConfig(context.Background(), "eu-west-1")
	if err != nil {
		t.Fatal(err)
	}
	return dynamodb.NewFromConfig(cfg)
}

var (
	tableSeq   atomic.Int64
	unsafeName = regexp.MustCompile(`[^a-zA-Z0-9_.-]+`)
)

// newTable creates a fresh pk/sk table and returns its name.
func newTable(t testing.TB, admin store.Admin) string {
	t.Helper()
	name := fmt.Sprintf("t%d-%s", tableSeq.Add(1), unsafeName.ReplaceAllString(t.Name(), "-"))
	if len(name) > 200 {
		name = name[:200]
	}
	if err := store.EnsureTable(context.Background(), admin, name, "pk", "sk"); err != nil {
		t.Fatal(err)
	}
	return name
}
