package db_test

import (
	"context"
	"testing"

	"github.com/srgplatform/srg/app/apptest"
	"github.com/srgplatform/srg/app/db"
)

func TestStringArrayRoundTrip(t *testing.T) {
	gdb := apptest.DB(t, apptest.Config(t))
	for _, in := range [][]string{nil, {}, {"localhost"}, {"a.example", "b,c", "quote\"d", "ünï"}} {
		var out db.StringArray
		if err := gdb.WithContext(context.Background()).Raw(`SELECT ?::text[]`, db.StringArray(in)).Row().Scan(&out); err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		if len(out) != len(in) {
			t.Fatalf("round trip of %q gave %q", in, out)
		}
		for i := range in {
			if out[i] != in[i] {
				t.Fatalf("round trip of %q gave %q", in, out)
			}
		}
	}
}
