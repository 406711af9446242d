package csvimport_test

import (
	"bytes"
	"fmt"
	"runtime"
	"testing"

	"github.com/srgplatform/srg/modules/sync/csvimport"
)

// contactsFile is a file of n contacts with values of typical lengths.
func contactsFile(n int) []byte {
	var b bytes.Buffer
	b.WriteString("id,email,first_name,last_name,company,account_id,created_date\n")
	for i := range n {
		fmt.Fprintf(&b, "003Dn00000%08d,firstname.lastname%d@company%d.example,Firstname,Lastname,Company %d Inc,001Dn00000%08d,2024-05-%02d\n",
			i, i, i%5000, i%5000, i%5000, i%28+1)
	}
	return b.Bytes()
}

// TestParseMemory holds a file at the row limit as one page in a few times its size.
// Under the race detector, which makes it slow, it reads a quarter of the rows: the
// cost per row is the same.
func TestParseMemory(t *testing.T) {
	rows := csvimport.DefaultLimits.MaxRows
	if raceEnabled {
		rows /= 4
	}
	body := contactsFile(rows)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	res, err := csvimport.Parse(csvimport.Contacts, bytes.NewReader(body), csvimport.Limits{})
	runtime.GC()
	runtime.ReadMemStats(&after)
	if err != nil || len(res.Errors) > 0 {
		t.Fatalf("err %v, errors %v", err, res.Errors)
	}
	if len(res.Page.Contacts) != rows {
		t.Fatalf("%d contacts", len(res.Page.Contacts))
	}
	held := float64(after.HeapAlloc) - float64(before.HeapAlloc)
	allocated := float64(after.TotalAlloc - before.TotalAlloc)
	size := float64(len(body))
	t.Logf("file %.1f MB, held %.1f MB (%.1fx), allocated %.1f MB (%.1fx)", size/1e6, held/1e6, held/size, allocated/1e6, allocated/size)
	if held > 3*size {
		t.Errorf("page holds %.1fx the file size", held/size)
	}
	if allocated > 7*size {
		t.Errorf("parsing allocated %.1fx the file size", allocated/size)
	}
	runtime.KeepAlive(res)
	runtime.KeepAlive(body)
}

func BenchmarkParseContacts(b *testing.B) {
	body := contactsFile(10000)
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := csvimport.Parse(csvimport.Contacts, bytes.NewReader(body), csvimport.Limits{}); err != nil {
			b.Fatal(err)
		}
	}
}
