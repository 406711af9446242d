package warehouse

import (
	"context"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/srgplatform/srg/app/apptest"
)

// TestPostgresCopiesUntilAKeyRepeats writes batches whose keys are new, then one
// that repeats a key written before in the same run, then more: the rows copied
// straight into the table before the repeat stay, the repeat updates its row, and
// nothing is duplicated or lost.
func TestPostgresCopiesUntilAKeyRepeats(t *testing.T) {
	ctx := context.Background()
	url := apptest.Config(t).Database.URL
	ds := &Dataset{Name: "things", Version: 1, Key: []string{"id"}, DeleteBy: []string{"id"},
		Columns: []Column{{Name: "id", Type: Int}, {Name: "v", Type: String}}}
	target := &pgTarget{url: url, schema: "srg", flushRows: 2}
	steps := []struct {
		batch  Batch
		direct bool
	}{
		{Batch{Rows: [][]any{{int64(1), "a"}, {int64(2), "b"}}}, true},
		{Batch{Rows: [][]any{{int64(3), "c"}, {int64(1), "a2"}}}, false},
		{Batch{Rows: [][]any{{int64(4), "d"}, {int64(5), "e"}}}, false},
		{Batch{Deletes: [][]any{{int64(2)}}, Rows: [][]any{{int64(6), "f"}}}, false},
	}
	load, err := target.Begin(ctx, RunInfo{ID: 1, Tenant: "acme", StartedAt: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	w, err := load.Open(ctx, ds)
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range steps {
		if err := w.Write(ctx, &s.batch); err != nil {
			t.Fatalf("batch %d: %v", i, err)
		}
		if direct := w.(*pgWriter).direct; direct != s.direct {
			t.Errorf("after batch %d copying straight into the table = %v, want %v", i, direct, s.direct)
		}
	}
	written, err := w.Close(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := load.Commit(ctx, &Manifest{RunID: 1, Tenant: "acme"}); err != nil {
		t.Fatal(err)
	}
	if written.Rows != 7 || written.Deletes != 1 {
		t.Errorf("written %+v, want 7 rows and 1 delete", written)
	}
	want := [][]any{{int64(1), "a2"}, {int64(3), "c"}, {int64(4), "d"}, {int64(5), "e"}, {int64(6), "f"}}
	if diff := gocmp.Diff(want, destRows(t, url, "things", ds.Columns)); diff != "" {
		t.Errorf("table (-want +got):\n%s", diff)
	}
}
