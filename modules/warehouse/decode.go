package warehouse

import (
	"bytes"
	"fmt"
	"slices"
	"time"

	"github.com/valyala/fastjson"
)

// docDecoder turns Elasticsearch documents into export rows. Decoding into a struct
// and boxing its fields allocates two objects per field; fastjson parses in place,
// and the values a column repeats (channels, browsers, campaigns, models) are made
// and boxed once, which halves the cost of reading a document.
//
// Values follow Column: a string is nil when absent, null or empty; a timestamp
// nil when absent, null or zero; a boolean false and a double 0 when absent or null.
type docDecoder struct {
	p       fastjson.Parser
	columns []Column
	index   map[string]int
	interns []intern
	// order is the previous document's fields: documents of one index list their
	// fields in the same order, so the field at a position is usually the same.
	order []field
}

// field is a document's field at a position and its column (-1: none).
type field struct {
	key string
	col int
}

// intern holds the boxed values of a column. A column whose distinct values fill
// it and miss more often than they hit (ids, URLs) stops being looked up.
type intern struct {
	values       map[string]any
	hits, misses int
}

// internMax is how many distinct values of a column are kept boxed; a column with
// more (ids, URLs) is boxed value by value past that.
const internMax = 2048

func newDocDecoder(columns []Column) *docDecoder {
	d := &docDecoder{columns: columns, index: make(map[string]int, len(columns)), interns: make([]intern, len(columns))}
	for i, c := range columns {
		d.index[c.Name] = i
		d.interns[i].values = map[string]any{}
	}
	return d
}

// zero is a column's value when the document lacks it.
func (d *docDecoder) zero(col int) any {
	switch d.columns[col].Type {
	case Bool:
		return false
	case Float:
		return 0.0
	}
	return nil
}

// parse parses raw and fills row (one value per column) from its top-level fields;
// other calls fn, if not nil, with each field that is not a column. The values fn
// gets are valid until the next parse.
func (d *docDecoder) parse(raw []byte, row []any, other func(key []byte, v *fastjson.Value) error) error {
	v, err := d.p.ParseBytes(raw)
	if err != nil {
		return err
	}
	o, err := v.Object()
	if err != nil {
		return err
	}
	for i := range row {
		row[i] = d.zero(i)
	}
	var first error
	n := 0
	o.Visit(func(key []byte, v *fastjson.Value) {
		if first != nil {
			return
		}
		col := d.column(n, key)
		n++
		if col < 0 {
			if other != nil {
				first = other(key, v)
			}
			return
		}
		if row[col], err = d.value(col, v); err != nil {
			first = fmt.Errorf("%s: %w", key, err)
		}
	})
	return first
}

// column is the column of the document's n-th field, key.
func (d *docDecoder) column(n int, key []byte) int {
	if n < len(d.order) && d.order[n].key == string(key) {
		return d.order[n].col
	}
	col, ok := d.index[string(key)]
	if !ok {
		col = -1
	}
	f := field{key: string(key), col: col}
	if n < len(d.order) {
		d.order[n] = f
	} else {
		d.order = append(d.order, f)
	}
	return col
}

// value converts a field's value to column col's type.
func (d *docDecoder) value(col int, v *fastjson.Value) (any, error) {
	if v.Type() == fastjson.TypeNull {
		return d.zero(col), nil
	}
	switch d.columns[col].Type {
	case Bool:
		return v.Bool()
	case Float:
		return v.Float64()
	case Int:
		return v.Int64()
	case Timestamp:
		b, err := v.StringBytes()
		if err != nil {
			return nil, err
		}
		t, err := time.Parse(time.RFC3339Nano, string(b))
		if err != nil {
			return nil, err
		}
		if t.IsZero() {
			return nil, nil
		}
		return t.UTC(), nil
	}
	b, err := v.StringBytes()
	if err != nil {
		return nil, err
	}
	return d.str(col, b), nil
}

// str is b as column col's value: nil when empty, the boxed string otherwise.
func (d *docDecoder) str(col int, b []byte) any {
	if len(b) == 0 {
		return nil
	}
	in := &d.interns[col]
	full := len(in.values) >= internMax
	if full && in.misses > in.hits {
		return string(b)
	}
	if s, ok := in.values[string(b)]; ok {
		in.hits++
		return s
	}
	in.misses++
	var s any = string(b)
	if !full {
		in.values[string(b)] = s
	}
	return s
}

// touchpointDecoder reads touchpoint documents as touchpointColumns rows.
type touchpointDecoder struct {
	d *docDecoder
}

func newTouchpointDecoder() *touchpointDecoder {
	return &touchpointDecoder{d: newDocDecoder(touchpointColumns)}
}

// row decodes a touchpoint document into a new row.
func (t *touchpointDecoder) row(raw []byte) ([]any, error) {
	row := make([]any, len(t.d.columns))
	if err := t.d.parse(raw, row, nil); err != nil {
		return nil, fmt.Errorf("warehouse: touchpoint: %w", err)
	}
	return row, nil
}

// modelValue is one model's entry in a credit document's per-model objects.
type modelValue struct {
	model []byte
	v     *fastjson.Value
}

// creditDecoder reads credit documents (one per opportunity and touchpoint, with
// each model's amount, fraction and version in objects keyed by model) as rows of
// the credits dataset, one per model.
type creditDecoder struct {
	d                                *docDecoder
	base                             []any
	model, version, fraction, amount int
	credit, fractions, versions      []modelValue
}

func newCreditDecoder() *creditDecoder {
	ds := DatasetByName(Credits)
	c := &creditDecoder{d: newDocDecoder(ds.Columns), base: make([]any, len(ds.Columns))}
	c.model, c.version, c.fraction, c.amount = c.d.index["model"], c.d.index["model_version"], c.d.index["fraction"], c.d.index["amount"]
	// These columns come from the per-model objects, never from a top-level field.
	for _, name := range []string{"model", "model_version", "fraction", "amount"} {
		delete(c.d.index, name)
	}
	return c
}

// entries collects an object's fields, sorted by key.
func entries(dst []modelValue, v *fastjson.Value) ([]modelValue, error) {
	o, err := v.Object()
	if err != nil {
		return dst, err
	}
	o.Visit(func(key []byte, v *fastjson.Value) { dst = append(dst, modelValue{key, v}) })
	slices.SortFunc(dst, func(a, b modelValue) int { return bytes.Compare(a.model, b.model) })
	return dst, nil
}

func find(es []modelValue, model []byte) *fastjson.Value {
	i, ok := slices.BinarySearchFunc(es, model, func(e modelValue, m []byte) int { return bytes.Compare(e.model, m) })
	if !ok {
		return nil
	}
	return es[i].v
}

// rows appends the document's rows, one per model of its credit object, in model
// order.
func (c *creditDecoder) rows(out [][]any, raw []byte) ([][]any, error) {
	c.credit, c.fractions, c.versions = c.credit[:0], c.fractions[:0], c.versions[:0]
	err := c.d.parse(raw, c.base, func(key []byte, v *fastjson.Value) error {
		if v.Type() == fastjson.TypeNull {
			return nil
		}
		var err error
		switch string(key) {
		case "credit":
			c.credit, err = entries(c.credit, v)
		case "fractions":
			c.fractions, err = entries(c.fractions, v)
		case "model_versions":
			c.versions, err = entries(c.versions, v)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
		return nil
	})
	if err != nil {
		return out, fmt.Errorf("warehouse: credit: %w", err)
	}
	for _, e := range c.credit {
		row := slices.Clone(c.base)
		row[c.model] = c.d.str(c.model, e.model)
		if row[c.amount], err = c.d.value(c.amount, e.v); err != nil {
			return out, fmt.Errorf("warehouse: credit: credit.%s: %w", e.model, err)
		}
		if v := find(c.fractions, e.model); v != nil {
			if row[c.fraction], err = c.d.value(c.fraction, v); err != nil {
				return out, fmt.Errorf("warehouse: credit: fractions.%s: %w", e.model, err)
			}
		}
		if v := find(c.versions, e.model); v != nil {
			if row[c.version], err = c.d.value(c.version, v); err != nil {
				return out, fmt.Errorf("warehouse: credit: model_versions.%s: %w", e.model, err)
			}
		}
		out = append(out, row)
	}
	return out, nil
}
