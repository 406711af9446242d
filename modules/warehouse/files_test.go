package warehouse

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"syscall"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"

	"github.com/srgplatform/srg/app/bench"
)

// benchCredits lists the generated tenant's opportunities as changed.
type benchCredits struct {
	memTables
	g *bench.ExportTenant
}

func (c *benchCredits) ChangedCredits(_ context.Context, _ int64, afterAt time.Time, afterID string, until time.Time, limit int) ([]CreditChange, error) {
	var out []CreditChange
	c.g.ChangedOpportunities(afterAt, afterID, until, limit, func(id string, at time.Time) {
		out = append(out, CreditChange{OpportunityID: id, ChangedAt: at})
	})
	return out, nil
}

var generatedModels = []string{"linear", "position_based"}

func generated(touchpoints int) *bench.ExportTenant {
	return &bench.ExportTenant{Models: generatedModels, Start: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), Touchpoints: touchpoints}
}

// exportGenerated exports a dataset of the generated tenant to t as a run does
// (source, decoding, the writer on its own goroutine).
func exportGenerated(tb testing.TB, name string, g *bench.ExportTenant, t *fileTarget) Written {
	src := sources{index: g, tables: &benchCredits{g: g}}
	load, err := t.Begin(context.Background(), RunInfo{ID: 1, Tenant: "bench", StartedAt: g.Start})
	if err != nil {
		tb.Fatal(err)
	}
	sc := &scope{tenant: "bench", until: g.Start.Add(time.Duration(g.Touchpoints) * time.Millisecond), values: newValuePool()}
	written, _, _, err := deliver(context.Background(), load, DatasetByName(name), src.of(name), sc)
	if err != nil {
		tb.Fatal(err)
	}
	return written
}

// Many batches of decoded values (their buffers recycled) across files and row
// groups read back as the documents' rows, in order.
func TestFilesOfDecodedValuesReadBack(t *testing.T) {
	g := generated(6001)
	var want = map[string][][]any{}
	err := g.ChangedTouchpoints(context.Background(), "bench", time.Time{}, "", g.Start.Add(time.Hour), func(raw json.RawMessage, _ time.Time) error {
		var d tpDoc
		err := json.Unmarshal(raw, &d)
		want[Touchpoints] = append(want[Touchpoints], d.row())
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	g.ChangedOpportunities(time.Time{}, "", g.Start.Add(time.Hour), g.Opportunities(), func(id string, _ time.Time) { ids = append(ids, id) })
	err = g.CreditsOf(context.Background(), "bench", ids, func(raw json.RawMessage) error {
		var d creditDoc
		err := json.Unmarshal(raw, &d)
		want[Credits] = d.rows(want[Credits])
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{Touchpoints, Credits} {
		t.Run(name, func(t *testing.T) {
			b := dirBucket{root: t.TempDir()}
			written := exportGenerated(t, name, g, &fileTarget{b: b, fileRows: 5000, groupRows: 1500})
			var got [][]any
			groups := 0
			for _, key := range written.Files {
				raw, err := b.get(context.Background(), key)
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, parquetRows(t, raw, DatasetByName(name).Columns)...)
				f, err := parquet.OpenFile(bytes.NewReader(raw), int64(len(raw)))
				if err != nil {
					t.Fatal(err)
				}
				groups += len(f.RowGroups())
				for _, c := range f.Metadata().RowGroups[0].Columns {
					name := c.MetaData.PathInSchema[0]
					dict := slices.Contains(c.MetaData.Encoding, format.RLEDictionary)
					if want := slices.Contains(dictionaryColumns, name); dict != want {
						t.Errorf("%s: column %s encodings %v, want dictionary: %v", key, name, c.MetaData.Encoding, want)
					}
				}
			}
			if diff := gocmp.Diff(want[name], got); diff != "" {
				t.Errorf("rows read back (-documents +files):\n%s", diff)
			}
			ceil := func(a, b int) int { return (a + b - 1) / b }
			rows := len(want[name])
			if files, wantGroups := len(written.Files), rows/5000*ceil(5000, 1500)+ceil(rows%5000, 1500); files != ceil(rows, 5000) || groups != wantGroups {
				t.Errorf("%d rows in %d files of %d row groups, want 5000 rows a file, 1500 a group", rows, files, groups)
			}
		})
	}
}

// BenchmarkFileExport exports b.N generated touchpoints, or b.N credit rows, to
// Parquet files in a local directory: ns/op and allocs/op are per row.
func BenchmarkFileExport(b *testing.B) {
	for _, name := range []string{Touchpoints, Credits} {
		b.Run(name, func(b *testing.B) {
			g := generated(b.N)
			if name == Credits {
				// A touch per touchpoint and a row per touch and model; whole
				// opportunities.
				g.Touchpoints = max(10, (b.N/len(generatedModels)+9)/10*10)
			}
			b.ReportAllocs()
			cpu := cpuTime()
			b.ResetTimer()
			written := exportGenerated(b, name, g, &fileTarget{b: dirBucket{root: b.TempDir()}, fileRows: 1_000_000})
			b.StopTimer()
			// On a shared machine the CPU time per row says more than the wall time.
			b.ReportMetric(float64(cpuTime()-cpu)/float64(written.Rows), "cpu-ns/row")
			if want := int64(b.N); name == Touchpoints && written.Rows != want || name == Credits && written.Rows < want {
				b.Fatalf("wrote %d rows, want %d", written.Rows, want)
			}
			b.ReportMetric(float64(written.Bytes)/float64(written.Rows), "bytes/row")
		})
	}
}

// cpuTime is the process's user and system CPU time in nanoseconds.
func cpuTime() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
