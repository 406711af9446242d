package csvimport_test

import (
	"bytes"
	"testing"

	"github.com/srgplatform/srg/modules/sync/csvimport"
)

func FuzzParse(f *testing.F) {
	seeds := []string{
		"id,email\nc1,ann@acme.example\n",
		"\xEF\xBB\xBFid;name;domain\r\na1;Acme;https://www.acme.example/\r\n",
		"id,amount,currency,is_won,is_closed,close_date\no1,12.5,usd,yes,no,2024-01-01\n",
		"id,name\na1,\"Acme\nEurope\"\na1,x\"y\n,\n",
		"id\tdomain\na1\tbücher.example\n",
		"id,name\na1\na2,b,c\n\"",
		"PK\x03\x04",
	}
	for i, s := range seeds {
		f.Add(uint8(i), []byte(s))
	}
	kinds := []csvimport.Kind{csvimport.Contacts, csvimport.Accounts, csvimport.Opportunities}
	f.Fuzz(func(t *testing.T, k uint8, body []byte) {
		limits := csvimport.Limits{MaxErrors: 5, MaxRows: 1000}
		res, err := csvimport.Parse(kinds[int(k)%len(kinds)], bytes.NewReader(body), limits)
		n := res.Page.Len()
		switch {
		case err != nil && (n != 0 || len(res.Errors) != 0):
			t.Fatalf("error %v with a result: %d records, %d errors", err, n, len(res.Errors))
		case len(res.Errors) > 0 && n != 0:
			t.Fatalf("%d errors and %d records", len(res.Errors), n)
		case err == nil && len(res.Errors) == 0 && n != res.Rows:
			t.Fatalf("%d records for %d rows", n, res.Rows)
		case len(res.Errors) > limits.MaxErrors:
			t.Fatalf("%d errors, limit %d", len(res.Errors), limits.MaxErrors)
		}
		for _, e := range res.Errors {
			if e.Line < 1 || e.Message == "" {
				t.Fatalf("bad row error %+v", e)
			}
		}
	})
}
