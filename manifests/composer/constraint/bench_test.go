package constraint

import "testing"

// BenchmarkParseCheck measures what coupling costs per lock entry: parsing a
// typical require constraint and checking one version against it.
func BenchmarkParseCheck(b *testing.B) {
	constraints := []string{"^7.4", ">=1.0 <2.0 || ^3", "~1.2.3", "1.0.x-dev as 1.0.0", "^0.5@dev"}
	for b.Loop() {
		for _, s := range constraints {
			c, err := Parse(s)
			if err != nil {
				b.Fatal(err)
			}
			c.Check("v7.4.9")
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(constraints)), "ns/constraint")
}
