package obs_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"math"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/campaignkit/campaignkit/internal/obs"
)

func TestLoggerCarriesRequestIDAndColdStart(t *testing.T) {
	// GIVEN a fresh execution environment and a JSON logger
	obs.ResetColdStart()
	var buf bytes.Buffer
	log := obs.NewLogger(&buf, nil)

	// WHEN three invocations log, one of them twice through the same context
	first := obs.WithRequestID(obs.StartInvocation(context.Background()), "req-1")
	log.InfoContext(first, "hello")
	log.InfoContext(obs.StartInvocation(first), "again") // re-marking keeps the flag
	second := obs.StartInvocation(obs.WithRequestID(context.Background(), "req-2"))
	log.With("k", "v").InfoContext(second, "warm")
	log.Info("no context")

	// THEN only the first invocation is cold, and ids follow their contexts
	type line struct {
		Msg       string `json:"msg"`
		RequestID string `json:"request_id"`
		ColdStart *bool  `json:"cold_start"`
		K         string `json:"k"`
	}
	var got []line
	dec := json.NewDecoder(&buf)
	for {
		var l line
		if err := dec.Decode(&l); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		got = append(got, l)
	}
	yes, no := true, false
	want := []line{
		{Msg: "hello", RequestID: "req-1", ColdStart: &yes},
		{Msg: "again", RequestID: "req-1", ColdStart: &yes},
		{Msg: "warm", RequestID: "req-2", ColdStart: &no, K: "v"},
		{Msg: "no context"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("log lines:\n got %+v\nwant %+v", got, want)
	}
}

func TestColdStartUnmarkedContext(t *testing.T) {
	if obs.ColdStart(context.Background()) {
		t.Fatal("an unmarked context must not be cold")
	}
	if obs.RequestID(context.Background()) != "" {
		t.Fatal("an unmarked context has no request id")
	}
}

// emf is the subset of the EMF specification the tests check.
type emf struct {
	AWS struct {
		Timestamp         int64 `json:"Timestamp"`
		CloudWatchMetrics []struct {
			Namespace  string     `json:"Namespace"`
			Dimensions [][]string `json:"Dimensions"`
			Metrics    []struct {
				Name string `json:"Name"`
				Unit string `json:"Unit"`
			} `json:"Metrics"`
		} `json:"CloudWatchMetrics"`
	} `json:"_aws"`
}

func TestMetricsEMF(t *testing.T) {
	at := time.Date(2026, 11, 22, 1, 0, 0, 0, time.UTC)
	ctx := obs.WithRequestID(context.Background(), "req-\"7\"")
	tests := []struct {
		name      string
		dims      []obs.Dimension
		emit      func(m *obs.Metrics)
		wantDims  [][]string
		wantNames []string
		wantUnits []string
		wantVals  map[string]any
	}{
		{
			name:      "count with one dimension",
			dims:      []obs.Dimension{{"Service", "charity-api"}},
			emit:      func(m *obs.Metrics) { m.Count(ctx, "DonationAccepted", 1) },
			wantDims:  [][]string{{"Service"}},
			wantNames: []string{"DonationAccepted"},
			wantUnits: []string{"Count"},
			wantVals:  map[string]any{"Service": "charity-api", "DonationAccepted": 1.0, "request_id": "req-\"7\""},
		},
		{
			name: "several metrics, no dimension, float and NaN",
			emit: func(m *obs.Metrics) {
				m.Emit(ctx, obs.Metric{Name: "Amount", Value: 12.5, Unit: obs.UnitNone},
					obs.Metric{Name: "Latency", Value: 3, Unit: obs.UnitMilliseconds},
					obs.Metric{Name: "Bad", Value: math.NaN()})
			},
			wantDims:  [][]string{{}},
			wantNames: []string{"Amount", "Latency", "Bad"},
			wantUnits: []string{"None", "Milliseconds", "None"},
			wantVals:  map[string]any{"Amount": 12.5, "Latency": 3.0, "Bad": 0.0},
		},
		{
			name: "With adds dimensions, escaped names",
			dims: []obs.Dimension{{"Service", "a\nb"}},
			emit: func(m *obs.Metrics) {
				m.With(obs.Dimension{"Route", "POST /api/x"}).Put(context.Background(), "Größe", 2, obs.UnitBytes)
			},
			wantDims:  [][]string{{"Service", "Route"}},
			wantNames: []string{"Größe"},
			wantUnits: []string{"Bytes"},
			wantVals:  map[string]any{"Service": "a\nb", "Route": "POST /api/x", "Größe": 2.0},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			m := obs.NewMetrics(&buf, "Campaign/Test", tc.dims...)
			obs.SetClock(m, at)
			tc.emit(m)
			out := buf.String()
			if strings.Count(out, "\n") != 1 || !strings.HasSuffix(out, "\n") {
				t.Fatalf("want exactly one line, got %q", out)
			}
			var doc emf
			if err := json.Unmarshal([]byte(out), &doc); err != nil {
				t.Fatalf("not JSON: %v\n%s", err, out)
			}
			var flat map[string]any
			_ = json.Unmarshal([]byte(out), &flat)
			if doc.AWS.Timestamp != at.UnixMilli() {
				t.Errorf("Timestamp = %d, want %d", doc.AWS.Timestamp, at.UnixMilli())
			}
			cw := doc.AWS.CloudWatchMetrics
			if len(cw) != 1 || cw[0].Namespace != "Campaign/Test" {
				t.Fatalf("CloudWatchMetrics = %+v", cw)
			}
			if !reflect.DeepEqual(cw[0].Dimensions, tc.wantDims) {
				t.Errorf("Dimensions = %v, want %v", cw[0].Dimensions, tc.wantDims)
			}
			var names, units []string
			for _, d := range cw[0].Metrics {
				names, units = append(names, d.Name), append(units, d.Unit)
			}
			if !reflect.DeepEqual(names, tc.wantNames) || !reflect.DeepEqual(units, tc.wantUnits) {
				t.Errorf("Metrics = %v %v, want %v %v", names, units, tc.wantNames, tc.wantUnits)
			}
			for k, v := range tc.wantVals {
				if !reflect.DeepEqual(flat[k], v) {
					t.Errorf("member %q = %#v, want %#v", k, flat[k], v)
				}
			}
		})
	}
}

func BenchmarkMetricsCount(b *testing.B) {
	m := obs.NewMetrics(io.Discard, "Campaign/Bench", obs.Dimension{"Service", "api"})
	ctx := obs.WithRequestID(context.Background(), "0123456789abcdef")
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			m.Count(ctx, "DonationAccepted", 1)
		}
	})
}

func BenchmarkLoggerInfo(b *testing.B) {
	log := obs.NewLogger(io.Discard, slog.LevelInfo)
	ctx := obs.StartInvocation(obs.WithRequestID(context.Background(), "0123456789abcdef"))
	b.ReportAllocs()
	for b.Loop() {
		log.InfoContext(ctx, "request", "status", 200)
	}
}

func ExampleMetrics() {
	m := obs.NewMetrics(os.Stdout, "Campaign/Charity", obs.Dimension{Name: "Service", Value: "api"})
	obs.SetClock(m, time.UnixMilli(1700000000000))
	m.Count(context.Background(), "DonationAccepted", 1)
	// Output:
	// {"_aws":{"Timestamp":1700000000000,"CloudWatchMetrics":[{"Namespace":"Campaign/Charity","Dimensions":[["Service"]],"Metrics":[{"Name":"DonationAccepted","Unit":"Count"}]}]},"Service":"api","DonationAccepted":1}
}
