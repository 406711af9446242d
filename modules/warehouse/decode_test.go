package warehouse

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"
)

// TestDecodersMatchStructDecoding holds the in-place decoders to the rows that
// decoding each document into a struct gives, on documents with escapes, nulls,
// missing and unknown fields, offsets and repeated values.
func TestDecodersMatchStructDecoding(t *testing.T) {
	touchpoints := []string{
		`{"event_id":"e1","occurred_at":"2026-11-20T10:00:00Z","received_at":"2026-11-20T10:00:01.123456Z","updated_at":"2026-11-20T11:00:00.5+02:00",
			"type":"pageview","site_key":"k","visitor_id":"v1","session_id":"s1","session_start":true,"url":"https://a.test/caf\u00e9?q=\"x\"",
			"title":"A \\ B\n","channel":"Paid Search","channel_rule":"gclid","is_bot":false,"ip":"192.0.2.1","tenant":"acme","extra":{"nested":[1,2]}}`,
		`{"event_id":"e2","occurred_at":"2026-11-20T10:00:00Z","channel":"Paid Search","person_id":null,"session_start":null,"title":"","browser":"Chrome"}`,
		`{"event_id":"e3"}`,
		`{"event_id":"e4","updated_at":null,"occurred_at":"0001-01-01T00:00:00Z","channel":"Paid Search","browser":"Chrome","is_bot":true}`,
	}
	// Past internMax distinct values, a column of ids stops being interned; one of
	// few values goes on being.
	for i := range 3 * internMax {
		touchpoints = append(touchpoints, fmt.Sprintf(`{"event_id":"e%d","channel":"%s","visitor_id":"v%d"}`, i, []string{"Email", "Direct"}[i%2], i%7))
	}
	credits := []string{
		`{"opportunity_id":"o1","tenant":"acme","settings_hash":"h","kind":"pipeline","currency":"USD","opportunity_amount":1000,
			"opportunity_created_at":"2026-11-21T00:00:00Z","closed_at":null,"computed_at":"2026-11-22T00:00:00Z",
			"model_versions":{"linear":"1","first_touch":"2"},"touches":[
			{"credit_id":"o1/e1","touchpoint_id":"e1","person_id":"p\u00e9","account_id":"a1","currency":"USD","channel":"Email",
				"channel_rule":"utm_medium=email","campaign":"spring \"24\"","source":"newsletter","medium":"email","content":"c",
				"landing_page":"https://x.test/a?b=1\\2","touched_at":"2026-11-20T10:00:00Z",
				"credit":{"w_shaped":300,"linear":250.5,"first_touch":1000},"fractions":{"linear":0.2505,"first_touch":1,"w_shaped":0.3},"extra":{"n":[1]}},
			{"credit_id":"o1/e2","touchpoint_id":"e2","currency":"USD","channel":"Direct","touched_at":"2026-11-20T11:00:00Z",
				"credit":{"linear":749.5},"fractions":{"linear":0.7495}},
			{"credit_id":"o1/e3","touchpoint_id":"e3","channel":"Direct","credit":{}},
			{"credit_id":"o1/e4","touchpoint_id":"e4","person_id":null,"campaign":"","channel":"Email","touched_at":null,"credit":{"linear":0}}]}`,
		`{"opportunity_id":"o2","closed_at":"2026-11-22T00:00:00Z","computed_at":"2026-11-22T00:00:00Z",
			"touches":[{"credit_id":"o2/e1","credit":{"linear":5},"fractions":null}]}`,
		`{"opportunity_id":"o3","touches":[]}`,
		`{"opportunity_id":"o4","touches":null}`,
		`{"opportunity_id":"o5","computed_at":"2026-11-22T00:00:00Z","touches":[{"credit_id":"o5/e1","credit":{"linear":2}}]}`,
		// Dates as srg writes them: epoch milliseconds; year 1 (the zero time) is null.
		`{"opportunity_id":"o6","opportunity_created_at":0,"closed_at":1763769600000,"computed_at":-62135596800000,"kind":"revenue",
			"touches":[{"credit_id":"o6/e1","touched_at":1763632800123,"credit":{"linear":3}},{"credit_id":"o6/e2","credit":{"linear":1}}]}`,
		// Touches before the document's own fields.
		`{"touches":[{"credit_id":"o7/e1","credit":{"linear":3},"touchpoint_id":"e1"}],"opportunity_id":"o7","kind":"lead"}`,
	}
	// Both collectors of rows: boxed values for Postgres, Parquet values for files
	// (read back as the values they stand for).
	sinks := []struct {
		name string
		rows func(columns []Column) batchRows
	}{
		{"boxed", func(columns []Column) batchRows { return newAnyRows(columns) }},
		{"values", func(columns []Column) batchRows { return newValueRows(columns, newValuePool()) }},
	}
	for _, sk := range sinks {
		t.Run(sk.name, func(t *testing.T) {
			dec, rows := newTouchpointDecoder(), sk.rows(touchpointColumns)
			matchOracle(t, touchpoints, dec.row, rows, touchpointColumns, func(d *tpDoc) [][]any { return [][]any{d.row()} })
			if boxed, ok := rows.(*anyRows); ok {
				event, channel := boxed.interns[0], boxed.interns[dec.d.index["channel"]]
				if len(event.values) != internMax || len(channel.values) != 3 {
					t.Errorf("interned %d event ids and %d channels, want %d and 3", len(event.values), len(channel.values), internMax)
				}
			}
			columns := DatasetByName(Credits).Columns
			matchOracle(t, credits, newCreditDecoder().rows, sk.rows(columns), columns, func(d *creditDoc) [][]any { return d.rows(nil) })
		})
	}
}

// matchOracle decodes each document and compares its rows with the oracle's, the
// document decoded into D.
func matchOracle[D any](t *testing.T, docs []string, decode decodeFunc, rows batchRows, columns []Column, oracle func(*D) [][]any) {
	t.Helper()
	for _, doc := range docs {
		var d D
		if err := json.Unmarshal([]byte(doc), &d); err != nil {
			t.Fatal(err)
		}
		if err := decode([]byte(doc), rows); err != nil {
			t.Fatalf("%s: %v", doc, err)
		}
		if diff := gocmp.Diff(oracle(&d), taken(rows, columns)); diff != "" {
			t.Errorf("%s (-struct +decoder):\n%s", doc, diff)
		}
	}
}

// taken takes the rows collected as boxed values.
func taken(rows batchRows, columns []Column) [][]any {
	var b Batch
	rows.take(&b)
	if b.Values == nil {
		return b.Rows
	}
	var out [][]any
	for r := range b.Values.n {
		row := make([]any, len(columns))
		for i, c := range columns {
			row[i] = valueAsAny(c, b.Values.cols[i][r])
		}
		out = append(out, row)
	}
	return out
}

func TestDecodersRejectMalformedDocuments(t *testing.T) {
	tests := []struct {
		name, doc, want string
		credit          bool
	}{
		{"not JSON", `{"event_id":`, "warehouse: touchpoint:", false},
		{"not an object", `["e1"]`, "warehouse: touchpoint:", false},
		{"a number for a string", `{"event_id":7}`, "event_id", false},
		{"a string for a boolean", `{"event_id":"e1","is_bot":"yes"}`, "is_bot", false},
		{"a bad time", `{"event_id":"e1","occurred_at":"yesterday"}`, "occurred_at", false},
		{"a fractional epoch time", `{"opportunity_id":"o","touches":[{"credit_id":"c","touched_at":1763632800.5,"credit":{"linear":5}}]}`, "touches[0]: touched_at", true},
		{"an epoch time past int64", `{"opportunity_id":"o","closed_at":1e30,"touches":[{"credit_id":"c","credit":{"linear":5}}]}`, "closed_at", true},
		{"a boolean time", `{"opportunity_id":"o","computed_at":true,"touches":[{"credit_id":"c","credit":{"linear":5}}]}`, "computed_at", true},
		{"touches not an array", `{"opportunity_id":"o","touches":{"credit_id":"c"}}`, "touches:", true},
		{"a touch not an object", `{"opportunity_id":"o","touches":[{"credit_id":"c","credit":{"linear":5}},"c2"]}`, "touches[1]:", true},
		{"a number for a touch's string", `{"opportunity_id":"o","touches":[{"credit_id":"c","channel":7,"credit":{"linear":5}}]}`, "touches[0]: channel", true},
		{"credit not an object", `{"opportunity_id":"o","touches":[{"credit_id":"c","credit":[1]}]}`, "touches[0]: credit", true},
		{"a string amount", `{"opportunity_id":"o","touches":[{"credit_id":"c","credit":{"linear":"5"}}]}`, "touches[0]: credit.linear", true},
		{"a string fraction", `{"opportunity_id":"o","touches":[{"credit_id":"c","credit":{"linear":5},"fractions":{"linear":"1"}}]}`, "touches[0]: fractions.linear", true},
		{"a number version", `{"opportunity_id":"o","model_versions":{"linear":1},"touches":[{"credit_id":"c","credit":{"linear":5}}]}`, "model_versions.linear", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			if tt.credit {
				err = newCreditDecoder().rows([]byte(tt.doc), newAnyRows(DatasetByName(Credits).Columns))
			} else {
				err = newTouchpointDecoder().row([]byte(tt.doc), newAnyRows(touchpointColumns))
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one naming %q", err, tt.want)
			}
		})
	}
}
