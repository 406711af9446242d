package app

import (
	"errors"
	"strings"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"
)

func TestBenchExportDestinations(t *testing.T) {
	tests := []struct {
		flag string
		want []string
		err  string
	}{
		{"", []string{"postgres", "parquet"}, ""},
		{"parquet", []string{"parquet"}, ""},
		{" parquet , postgres", []string{"parquet", "postgres"}, ""},
		{"s3", nil, `--destinations: unknown destination "s3", want postgres or parquet`},
		{"parquet,", nil, `--destinations: unknown destination ""`},
		{"parquet,parquet", nil, "--destinations: parquet named twice"},
	}
	for _, tt := range tests {
		t.Run(tt.flag, func(t *testing.T) {
			got, err := benchExportDestinations(tt.flag)
			if tt.err != "" {
				if !errors.Is(err, errUsage) || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want a usage error with %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := gocmp.Diff(tt.want, got); diff != "" {
				t.Errorf("destinations (-want +got):\n%s", diff)
			}
		})
	}
}
