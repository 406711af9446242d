package config

import (
	"strings"
	"testing"
	"time"
)

func TestWarehouseSettings(t *testing.T) {
	tests := []struct {
		name    string
		yaml    string
		env     []string
		wantErr string
	}{
		{"defaults", minimal, nil, ""},
		{"all set", minimal + "warehouse:\n  default_schedule: \"0 3 * * *\"\n  settle: 5m\n  local_dir: /var/lib/srg/exports\n  file_rows: 500000\n", nil, ""},
		{"bad schedule", minimal + "warehouse:\n  default_schedule: hourly\n", nil, "warehouse.default_schedule"},
		{"negative settle", minimal, []string{"SRG_WAREHOUSE_SETTLE=-1m"}, "warehouse.settle: must be between"},
		{"settle not a duration", minimal + "warehouse:\n  settle: a while\n", nil, "warehouse.settle"},
		{"relative local dir", minimal + "warehouse:\n  local_dir: exports\n", nil, "warehouse.local_dir: must be an absolute path"},
		{"tiny files", minimal, []string{"SRG_WAREHOUSE_FILE_ROWS=10"}, "warehouse.file_rows: must be between"},
		{"file rows not a number", minimal + "warehouse:\n  file_rows: many\n", nil, "warehouse.file_rows: wrong type"},
		{"unknown key", minimal + "warehouse:\n  local_directory: /x\n", nil, "warehouse.local_directory: unknown key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := parse([]byte(tt.yaml), tt.env)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				if cfg.Warehouse.Settle <= 0 || cfg.Warehouse.Settle > 5*time.Minute {
					t.Fatalf("settle = %s", cfg.Warehouse.Settle)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error %v does not name %q", err, tt.wantErr)
			}
		})
	}
}
