package reports

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestESDateReadsBothForms(t *testing.T) {
	want := time.Date(2026, 3, 1, 10, 0, 0, 123e6, time.UTC)
	tests := []struct {
		name, raw string
		want      time.Time
		err       string
	}{
		{"epoch milliseconds", `1772359200123`, want, ""},
		{"RFC 3339", `"2026-03-01T10:00:00.123Z"`, want, ""},
		{"RFC 3339 with an offset", `"2026-03-01T12:00:00.123+02:00"`, want, ""},
		{"fractional milliseconds", `1772359200123.5`, time.Time{}, "neither epoch milliseconds nor"},
		{"not a date", `"yesterday"`, time.Time{}, "cannot parse"},
		{"a boolean", `true`, time.Time{}, "neither epoch milliseconds nor"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var d esDate
			err := json.Unmarshal([]byte(tt.raw), &d)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want one containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := time.Time(d); !got.Equal(tt.want) || got.Location() != time.UTC {
				t.Fatalf("got %v, want %v in UTC", got, tt.want)
			}
		})
	}
}
