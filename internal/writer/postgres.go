package writer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// PostgresConfig configures a PostgresSink.
type PostgresConfig struct {
	// Schema holds the sink's tables (records, items, counters). Default "campaignkit".
	Schema string
	// PKName and SKName are the item attributes that key the items table. Default "pk", "sk".
	PKName, SKName string
	// MaxAttempts bounds the tries of a batch transaction on serialization
	// failures, deadlocks and connection errors. Default 5.
	MaxAttempts int
}

// PostgresSink writes records to PostgreSQL in one transaction per batch:
// the idempotency keys are inserted into <schema>.records with ON CONFLICT
// DO NOTHING RETURNING, and only the records actually inserted have their
// items upserted into <schema>.items (pk, sk, data jsonb) and their counter
// deltas added into <schema>.counters (pk, sk, attr, value bigint) with
// INSERT … ON CONFLICT DO UPDATE SET value = counters.value + EXCLUDED.value.
// A replay commits nothing new. If a batch transaction fails for a reason
// other than contention, records are retried one transaction each so a bad
// record fails alone.
type PostgresSink struct {
	pool *pgxpool.Pool
	cfg  PostgresConfig
}

// NewPostgresSink returns a sink on pool. Call Migrate once before use.
func NewPostgresSink(pool *pgxpool.Pool, cfg PostgresConfig) *PostgresSink {
	if cfg.Schema == "" {
		cfg.Schema = "campaignkit"
	}
	if cfg.PKName == "" {
		cfg.PKName = "pk"
	}
	if cfg.SKName == "" {
		cfg.SKName = "sk"
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 5
	}
	return &PostgresSink{pool: pool, cfg: cfg}
}

func (s *PostgresSink) table(name string) string {
	return pgx.Identifier{s.cfg.Schema, name}.Sanitize()
}

// Migrate creates the sink's schema and tables when missing.
func (s *PostgresSink) Migrate(ctx context.Context) error {
	stmts := []string{
		`CREATE SCHEMA IF NOT EXISTS ` + pgx.Identifier{s.cfg.Schema}.Sanitize(),
		`CREATE TABLE IF NOT EXISTS ` + s.table("records") + ` (
			key text PRIMARY KEY,
			written_at timestamptz NOT NULL DEFAULT now())`,
		`CREATE TABLE IF NOT EXISTS ` + s.table("items") + ` (
			pk text NOT NULL,
			sk text NOT NULL,
			data jsonb NOT NULL,
			PRIMARY KEY (pk, sk))`,
		`CREATE TABLE IF NOT EXISTS ` + s.table("counters") + ` (
			pk text NOT NULL,
			sk text NOT NULL,
			attr text NOT NULL,
			value bigint NOT NULL,
			PRIMARY KEY (pk, sk, attr))`,
	}
	for _, q := range stmts {
		if _, err := s.pool.Exec(ctx, q); err != nil {
			// Concurrent cold starts may race on CREATE … IF NOT EXISTS.
			var pe *pgconn.PgError
			if errors.As(err, &pe) && (pe.Code == "23505" || pe.Code == "42P07") {
				continue
			}
			return fmt.Errorf("migrate writer schema: %w", err)
		}
	}
	return nil
}

type pgRecord struct {
	idx   int
	key   string
	items map[Key][]byte
}

// Write applies recs; see PostgresSink for the guarantees.
func (s *PostgresSink) Write(ctx context.Context, recs []Record) []Result {
	res := make([]Result, len(recs))
	var ok []pgRecord
	for i, r := range recs {
		pr, err := s.prepare(r)
		if err != nil {
			res[i] = Result{Outcome: Failed, Err: err}
			continue
		}
		pr.idx = i
		ok = append(ok, pr)
	}
	if len(ok) == 0 {
		return res
	}
	err := s.writeWithRetry(ctx, recs, ok, res)
	if err == nil || len(ok) == 1 {
		if err != nil {
			res[ok[0].idx] = Result{Outcome: Failed, Err: err}
		}
		return res
	}
	if ctx.Err() != nil {
		for _, pr := range ok {
			res[pr.idx] = Result{Outcome: Failed, Err: err}
		}
		return res
	}
	// Isolate the record that breaks the batch.
	for _, pr := range ok {
		if err := s.writeWithRetry(ctx, recs, []pgRecord{pr}, res); err != nil {
			res[pr.idx] = Result{Outcome: Failed, Err: err}
		}
	}
	return res
}

func (s *PostgresSink) prepare(r Record) (pgRecord, error) {
	if err := r.Validate(s.cfg.PKName, s.cfg.SKName); err != nil {
		return pgRecord{}, err
	}
	pr := pgRecord{key: r.IdempotencyKey, items: map[Key][]byte{}}
	for i, it := range r.Puts {
		k, _ := ItemKey(it, s.cfg.PKName, s.cfg.SKName)
		m, err := ItemToJSON(it)
		if err != nil {
			return pgRecord{}, fmt.Errorf("record %s: put %d: %w", r.IdempotencyKey, i, err)
		}
		b, err := json.Marshal(m)
		if err != nil {
			return pgRecord{}, fmt.Errorf("record %s: put %d: %w", r.IdempotencyKey, i, err)
		}
		pr.items[k] = b
	}
	return pr, nil
}

// contention tells errors a retry of the whole transaction can fix.
func contention(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "40001", "40P01", "55P03", "57P01", "53300":
			return true
		}
		return false
	}
	return pgconn.SafeToRetry(err) || errors.Is(err, pgx.ErrTxClosed)
}

func (s *PostgresSink) writeWithRetry(ctx context.Context, recs []Record, batch []pgRecord, res []Result) error {
	var err error
	for attempt := 0; attempt < s.cfg.MaxAttempts; attempt++ {
		if attempt > 0 {
			d := time.Duration(rand.Int64N(int64(20*time.Millisecond<<attempt))) + time.Millisecond
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(d):
			}
		}
		var inserted map[string]bool
		inserted, err = s.writeTx(ctx, recs, batch)
		if err == nil {
			for _, pr := range batch {
				if inserted[pr.key] {
					res[pr.idx] = Result{Outcome: Written}
				} else {
					res[pr.idx] = Result{Outcome: Duplicate}
				}
			}
			return nil
		}
		if !contention(err) {
			break
		}
	}
	return err
}

type counterKey struct {
	Key
	attr string
}

func (s *PostgresSink) writeTx(ctx context.Context, recs []Record, batch []pgRecord) (map[string]bool, error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // no-op after commit
	keys := make([]string, len(batch))
	for i, pr := range batch {
		keys[i] = pr.key
	}
	sort.Strings(keys)
	rows, err := tx.Query(ctx, `INSERT INTO `+s.table("records")+` (key)
		SELECT unnest($1::text[]) ORDER BY 1 ON CONFLICT DO NOTHING RETURNING key`, keys)
	if err != nil {
		return nil, fmt.Errorf("insert records: %w", err)
	}
	inserted := map[string]bool{}
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			rows.Close()
			return nil, fmt.Errorf("insert records: %w", err)
		}
		inserted[k] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("insert records: %w", err)
	}
	items := map[Key][]byte{}
	sums := map[counterKey]int64{}
	for _, pr := range batch {
		if !inserted[pr.key] {
			continue
		}
		for k, b := range pr.items {
			items[k] = b
		}
		for _, a := range recs[pr.idx].Adds {
			sums[counterKey{a.Key, a.Attr}] += a.Delta
		}
	}
	if len(items) > 0 {
		ks := make([]Key, 0, len(items))
		for k := range items {
			ks = append(ks, k)
		}
		sort.Slice(ks, func(a, b int) bool { return ks[a].PK < ks[b].PK || ks[a].PK == ks[b].PK && ks[a].SK < ks[b].SK })
		pks, sks, data := make([]string, len(ks)), make([]string, len(ks)), make([]string, len(ks))
		for i, k := range ks {
			pks[i], sks[i], data[i] = k.PK, k.SK, string(items[k])
		}
		if _, err := tx.Exec(ctx, `INSERT INTO `+s.table("items")+` (pk, sk, data)
			SELECT * FROM unnest($1::text[], $2::text[], $3::jsonb[])
			ON CONFLICT (pk, sk) DO UPDATE SET data = EXCLUDED.data`, pks, sks, data); err != nil {
			return nil, fmt.Errorf("upsert items: %w", err)
		}
	}
	if len(sums) > 0 {
		cs := make([]counterKey, 0, len(sums))
		for k := range sums {
			cs = append(cs, k)
		}
		// A fixed lock order keeps concurrent batches from deadlocking.
		sort.Slice(cs, func(a, b int) bool {
			x, y := cs[a], cs[b]
			if x.PK != y.PK {
				return x.PK < y.PK
			}
			if x.SK != y.SK {
				return x.SK < y.SK
			}
			return x.attr < y.attr
		})
		pks, sks, attrs, vals := make([]string, len(cs)), make([]string, len(cs)), make([]string, len(cs)), make([]int64, len(cs))
		for i, c := range cs {
			pks[i], sks[i], attrs[i], vals[i] = c.PK, c.SK, c.attr, sums[c]
		}
		if _, err := tx.Exec(ctx, `INSERT INTO `+s.table("counters")+` AS c (pk, sk, attr, value)
			SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[])
			ON CONFLICT (pk, sk, attr) DO UPDATE SET value = c.value + EXCLUDED.value`, pks, sks, attrs, vals); err != nil {
			return nil, fmt.Errorf("add counters: %w", err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, fmt.Errorf("commit: %w", err)
	}
	return inserted, nil
}
