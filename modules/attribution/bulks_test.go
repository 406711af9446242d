package attribution

import (
	"slices"
	"strings"
	"testing"
)

func TestBulks(t *testing.T) {
	docs := func(n, size int) []Credit {
		out := make([]Credit, n)
		for i := range out {
			out[i] = Credit{ID: "c", Source: []byte(strings.Repeat("x", size-1))}
		}
		return out
	}
	cases := []struct {
		name string
		docs []Credit
		want []int // documents per bulk
	}{
		{"none", nil, []int{}},
		{"one", docs(1, 100), []int{1}},
		{"small: one bulk per writer", docs(5, 100), []int{2, 3}},
		{"at the limit", docs(20, maxBulkBytes/10), []int{10, 10}},
		{"past the limit: a multiple of the writers", docs(21, maxBulkBytes/10), []int{5, 5, 5, 6}},
		{"large", docs(90, maxBulkBytes/10), []int{9, 9, 9, 9, 9, 9, 9, 9, 9, 9}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := bulks(c.docs)
			sizes := make([]int, len(got))
			total := 0
			for i, b := range got {
				sizes[i] = len(b)
				total += len(b)
				if len(b) > 0 && &b[0] != &c.docs[total-len(b)] {
					t.Fatalf("bulk %d does not follow the one before", i)
				}
			}
			if total != len(c.docs) || !slices.Equal(sizes, c.want) {
				t.Fatalf("bulks of %v documents, want %v", sizes, c.want)
			}
		})
	}
}
