package scenario_test

import (
	"testing"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/campaignkit/campaignkit/loadtests/scenario"
)

// BenchmarkCharityTargeter is the cost of one templated request of the
// charity-event mix (weighted pick, path and body templates, reconcile tag).
func BenchmarkCharityTargeter(b *testing.B) {
	s, err := scenario.Load(charity)
	if err != nil {
		b.Fatal(err)
	}
	tr, err := s.Targeter("http://127.0.0.1:1", true)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		var t vegeta.Target
		for pb.Next() {
			if err := tr(&t); err != nil {
				b.Fatal(err)
			}
		}
	})
}
