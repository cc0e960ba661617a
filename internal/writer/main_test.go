package writer_test

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/campaignkit/campaignkit/internal/store"
	"github.com/campaignkit/campaignkit/internal/testenv"
	"github.com/campaignkit/campaignkit/internal/writer"
)

var (
	moto *testenv.Moto
	pg   *testenv.Postgres
	pool *pgxpool.Pool
)

func TestMain(m *testing.M) {
	ctx := context.Background()
	var err error
	if moto, err = testenv.StartMoto(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "writer tests need moto_server:", err)
		os.Exit(1)
	}
	if pg, err = testenv.StartPostgres(ctx); err != nil {
		moto.Stop()
		fmt.Fprintln(os.Stderr, "writer tests need PostgreSQL:", err)
		os.Exit(1)
	}
	if pool, err = pgxpool.New(ctx, pg.URL); err != nil {
		moto.Stop()
		pg.Stop()
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	pool.Close()
	pg.Stop()
	moto.Stop()
	os.Exit(code)
}

var seq atomic.Int64

var unsafeName = regexp.MustCompile(`[^a-zA-Z0-9_.-]+`)

// uniqueName derives a table/schema name from the test name.
func uniqueName(t testing.TB) string {
	name := fmt.Sprintf("w%d_%s", seq.Add(1), unsafeName.ReplaceAllString(t.Name(), "_"))
	if len(name) > 60 {
		name = name[:60]
	}
	return name
}

// inspector reads back what a sink wrote.
type inspector interface {
	counter(t testing.TB, k writer.Key, attr string) int64
	has(t testing.TB, k writer.Key) bool
}

// sinkBackend is one sink under the sink contract suite.
type sinkBackend struct {
	name string
	// open returns a fresh sink; wrap (optional) wraps the DynamoDB port.
	open func(t testing.TB, wrap func(store.DB) store.DB, opts ...store.Option) (writer.Sink, inspector)
	// dynamo marks DynamoDB sinks (BatchWriteItem/UnprocessedItems apply).
	dynamo bool
	// workers bounds concurrent batches. moto's TransactWriteItems is not
	// isolated (it snapshots whole tables and restores them on
	// cancellation, clobbering concurrent writes), so it gets one.
	workers int
}

func sinkBackends() []sinkBackend {
	return []sinkBackend{
		{name: "dynamodb-embedded", dynamo: true, open: func(t testing.TB, wrap func(store.DB) store.DB, opts ...store.Option) (writer.Sink, inspector) {
			e := openStore(t, opts...)
			return dynamoSink(t, e, e, wrap, false)
		}},
		{name: "dynamodb-embedded-dedicated-markers", dynamo: true, open: func(t testing.TB, wrap func(store.DB) store.DB, opts ...store.Option) (writer.Sink, inspector) {
			e := openStore(t, opts...)
			return dynamoSink(t, e, e, wrap, true)
		}},
		{name: "dynamodb-moto", dynamo: true, workers: 1, open: func(t testing.TB, wrap func(store.DB) store.DB, _ ...store.Option) (writer.Sink, inspector) {
			cfg, err := moto.AWSConfig(context.Background(), "eu-west-1")
			if err != nil {
				t.Fatal(err)
			}
			c := dynamodb.NewFromConfig(cfg)
			return dynamoSink(t, c, c, wrap, false)
		}},
		{name: "postgres", open: func(t testing.TB, _ func(store.DB) store.DB, _ ...store.Option) (writer.Sink, inspector) {
			schema := uniqueName(t)
			s := writer.NewPostgresSink(pool, writer.PostgresConfig{Schema: schema})
			if err := s.Migrate(context.Background()); err != nil {
				t.Fatal(err)
			}
			// Migrating twice is harmless.
			if err := s.Migrate(context.Background()); err != nil {
				t.Fatal(err)
			}
			return s, pgInspector{schema}
		}},
	}
}

func openStore(t testing.TB, opts ...store.Option) *store.Embedded {
	e, err := store.OpenEmbedded(t.TempDir()+"/store.db", opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

func dynamoSink(t testing.TB, db store.DB, admin store.Admin, wrap func(store.DB) store.DB, dedicated bool) (writer.Sink, inspector) {
	table := uniqueName(t)
	if err := store.EnsureTable(context.Background(), admin, table, "pk", "sk"); err != nil {
		t.Fatal(err)
	}
	port := db
	if wrap != nil {
		port = wrap(db)
	}
	return writer.NewDynamoSink(port, writer.DynamoConfig{Table: table, DedicatedMarkers: dedicated, BaseDelay: time.Millisecond, MaxDelay: 10 * time.Millisecond}), dynamoInspector{db, table}
}

type dynamoInspector struct {
	db    store.DB
	table string
}

func (d dynamoInspector) get(t testing.TB, k writer.Key) map[string]types.AttributeValue {
	t.Helper()
	out, err := d.db.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: &d.table, ConsistentRead: aws.Bool(true),
		Key: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: k.PK}, "sk": &types.AttributeValueMemberS{Value: k.SK}}})
	if err != nil {
		t.Fatal(err)
	}
	return out.Item
}

func (d dynamoInspector) counter(t testing.TB, k writer.Key, attr string) int64 {
	t.Helper()
	it := d.get(t, k)
	v, ok := it[attr].(*types.AttributeValueMemberN)
	if !ok {
		return 0
	}
	n, err := strconv.ParseInt(v.Value, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func (d dynamoInspector) has(t testing.TB, k writer.Key) bool { return d.get(t, k) != nil }

type pgInspector struct{ schema string }

func (p pgInspector) counter(t testing.TB, k writer.Key, attr string) int64 {
	t.Helper()
	var v int64
	err := pool.QueryRow(context.Background(), `SELECT value FROM `+pgx.Identifier{p.schema, "counters"}.Sanitize()+
		` WHERE pk = $1 AND sk = $2 AND attr = $3`, k.PK, k.SK, attr).Scan(&v)
	if err == pgx.ErrNoRows {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func (p pgInspector) has(t testing.TB, k writer.Key) bool {
	t.Helper()
	var n int
	if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM `+pgx.Identifier{p.schema, "items"}.Sanitize()+
		` WHERE pk = $1 AND sk = $2`, k.PK, k.SK).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n == 1
}
