package warehouse

import (
	"bytes"
	"fmt"
	"slices"
	"time"
	"unsafe"

	"github.com/valyala/fastjson"
)

// docDecoder turns Elasticsearch documents into export rows. Decoding into a struct
// and boxing its fields allocates two objects per field; fastjson parses in place
// and hands each field's value, typed, to a rowSink, which builds the rows the
// target takes: boxed values for Postgres (anyRows), Parquet values column by
// column for files (valueRows).
//
// Values follow Column: a string is null when absent, null or empty; a timestamp
// null when absent, null or zero; a boolean false and a double 0 when absent or null.
type docDecoder struct {
	p       fastjson.Parser
	columns []Column
	index   map[string]int
	// order is the previous document's fields: documents of one index list their
	// fields in the same order, so the field at a position is usually the same.
	order []field
	// times is each timestamp column's last text and time: a column often repeats
	// its value from one document to the next (computed_at, created_at).
	times []lastTime
}

// field is a document's field at a position and its column (-1: none).
type field struct {
	key string
	col int
}

type lastTime struct {
	text []byte
	t    time.Time
}

// rowSink receives a decoder's rows: reset starts a row with every column at its
// zero, again starts one as a copy of the row emitted last, the typed setters set
// a column, emit ends the row. A string's bytes are
// valid until the next parse only: a sink copies what it keeps.
type rowSink interface {
	reset()
	again()
	null(col int)
	str(col int, b []byte)
	int(col int, v int64)
	float(col int, v float64)
	bool(col int, v bool)
	// time is never given the zero time.
	time(col int, t time.Time)
	emit()
}

func newDocDecoder(columns []Column) *docDecoder {
	d := &docDecoder{columns: columns, index: make(map[string]int, len(columns)), times: make([]lastTime, len(columns))}
	for i, c := range columns {
		d.index[c.Name] = i
	}
	return d
}

// zero sets column col to its value when the document lacks it.
func zero(columns []Column, col int, s rowSink) {
	switch columns[col].Type {
	case Bool:
		s.bool(col, false)
	case Float:
		s.float(col, 0)
	default:
		s.null(col)
	}
}

// parse parses raw and sets the sink's row (reset first) from its top-level fields;
// other calls fn, if not nil, with each field that is not a column. The values fn
// gets are valid until the next parse. It does not emit the row.
func (d *docDecoder) parse(raw []byte, s rowSink, other func(key []byte, v *fastjson.Value) error) error {
	v, err := d.p.ParseBytes(raw)
	if err != nil {
		return err
	}
	o, err := v.Object()
	if err != nil {
		return err
	}
	s.reset()
	return d.fields(o, s, other)
}

// fields sets the sink's row from an object's fields, as parse does, leaving the
// other columns as they are.
func (d *docDecoder) fields(o *fastjson.Object, s rowSink, other func(key []byte, v *fastjson.Value) error) error {
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
		if err := d.value(col, v, s); err != nil {
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

// value converts a field's value to column col's type and sets it.
func (d *docDecoder) value(col int, v *fastjson.Value, s rowSink) error {
	if v.Type() == fastjson.TypeNull {
		zero(d.columns, col, s)
		return nil
	}
	switch d.columns[col].Type {
	case Bool:
		b, err := v.Bool()
		s.bool(col, b)
		return err
	case Float:
		f, err := v.Float64()
		s.float(col, f)
		return err
	case Int:
		n, err := v.Int64()
		s.int(col, n)
		return err
	case Timestamp:
		var t time.Time
		if v.Type() == fastjson.TypeNumber {
			// Epoch milliseconds, as srg writes the credits' dates.
			ms, err := v.Int64()
			if err != nil {
				return err
			}
			t = time.UnixMilli(ms).UTC()
		} else {
			b, err := v.StringBytes()
			if err != nil {
				return err
			}
			if t, err = d.time(col, b); err != nil {
				return err
			}
		}
		if t.IsZero() {
			s.null(col)
		} else {
			s.time(col, t)
		}
		return nil
	}
	b, err := v.StringBytes()
	if err != nil {
		return err
	}
	setStr(s, col, b)
	return nil
}

// setStr sets a string column: null when b is empty.
func setStr(s rowSink, col int, b []byte) {
	if len(b) == 0 {
		s.null(col)
	} else {
		s.str(col, b)
	}
}

// time parses an RFC 3339 time (UTC), reusing the column's last one when the text
// is the same.
func (d *docDecoder) time(col int, b []byte) (time.Time, error) {
	last := &d.times[col]
	if last.text != nil && bytes.Equal(last.text, b) {
		return last.t, nil
	}
	// The text is parsed in place; an error's message holds a copy of it.
	t, err := time.Parse(time.RFC3339Nano, unsafe.String(unsafe.SliceData(b), len(b)))
	if err != nil {
		_, err = time.Parse(time.RFC3339Nano, string(b))
		return time.Time{}, err
	}
	t = t.UTC()
	last.text, last.t = append(last.text[:0], b...), t
	return t, nil
}

// touchpointDecoder reads touchpoint documents as touchpointColumns rows.
type touchpointDecoder struct {
	d *docDecoder
}

func newTouchpointDecoder() *touchpointDecoder {
	return &touchpointDecoder{d: newDocDecoder(touchpointColumns)}
}

// row decodes a touchpoint document and emits its row.
func (t *touchpointDecoder) row(raw []byte, s rowSink) error {
	if err := t.d.parse(raw, s, nil); err != nil {
		return fmt.Errorf("warehouse: touchpoint: %w", err)
	}
	s.emit()
	return nil
}

// modelValue is one model's entry in a per-model object of a credit document.
type modelValue struct {
	model []byte
	v     *fastjson.Value
}

// creditRootColumns are the credits columns read from the document's own fields;
// model, model_version, fraction and amount come from the per-model objects, the
// others from a touch.
var creditRootColumns = []string{"settings_hash", "opportunity_id", "kind", "opportunity_created_at", "closed_at",
	"computed_at", "currency", "opportunity_amount"}

// creditDecoder reads credit documents (one per opportunity, its touches nested,
// each touch with every model's amount and fraction in objects keyed by model) as
// rows of the credits dataset, one per touch and model.
type creditDecoder struct {
	d, touch                         *docDecoder
	touchColumns                     []int
	model, version, fraction, amount int
	touches                          []*fastjson.Value
	credit, fractions, versions      []modelValue
	// rootField and touchField are the decoders' other, made once.
	rootField, touchField func(key []byte, v *fastjson.Value) error
}

func newCreditDecoder() *creditDecoder {
	ds := DatasetByName(Credits)
	c := &creditDecoder{d: newDocDecoder(ds.Columns), touch: newDocDecoder(ds.Columns)}
	c.model, c.version, c.fraction, c.amount = c.d.index["model"], c.d.index["model_version"], c.d.index["fraction"], c.d.index["amount"]
	for _, name := range []string{"model", "model_version", "fraction", "amount"} {
		delete(c.d.index, name)
		delete(c.touch.index, name)
	}
	for _, name := range creditRootColumns {
		delete(c.touch.index, name)
	}
	for name, col := range c.touch.index {
		delete(c.d.index, name)
		c.touchColumns = append(c.touchColumns, col)
	}
	slices.Sort(c.touchColumns)
	c.rootField, c.touchField = c.readRootField, c.readTouchField
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

// readRootField keeps the document's fields that are not columns of their own.
func (c *creditDecoder) readRootField(key []byte, v *fastjson.Value) error {
	if v.Type() == fastjson.TypeNull {
		return nil
	}
	var err error
	switch string(key) {
	case "touches":
		c.touches, err = v.Array()
	case "model_versions":
		c.versions, err = entries(c.versions, v)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", key, err)
	}
	return nil
}

// readTouchField keeps a touch's per-model objects. Its currency, a copy of the
// document's for the aggregations inside the touches, is not read.
func (c *creditDecoder) readTouchField(key []byte, v *fastjson.Value) error {
	if v.Type() == fastjson.TypeNull {
		return nil
	}
	var err error
	switch string(key) {
	case "credit":
		c.credit, err = entries(c.credit, v)
	case "fractions":
		c.fractions, err = entries(c.fractions, v)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", key, err)
	}
	return nil
}

// rows decodes a credit document and emits its rows: for each touch, in the
// document's order, one per model of the touch's credit object, in model order.
func (c *creditDecoder) rows(raw []byte, s rowSink) error {
	c.touches, c.versions = nil, c.versions[:0]
	if err := c.d.parse(raw, s, c.rootField); err != nil {
		return fmt.Errorf("warehouse: credit: %w", err)
	}
	emitted := false
	for i, t := range c.touches {
		if emitted {
			s.again()
		}
		for _, col := range c.touchColumns {
			zero(c.d.columns, col, s)
		}
		c.credit, c.fractions = c.credit[:0], c.fractions[:0]
		o, err := t.Object()
		if err == nil {
			err = c.touch.fields(o, s, c.touchField)
		}
		if err != nil {
			return fmt.Errorf("warehouse: credit: touches[%d]: %w", i, err)
		}
		// Each model's row is the document's and the touch's columns with the
		// model's four set.
		for j, e := range c.credit {
			if j > 0 {
				s.again()
			}
			setStr(s, c.model, e.model)
			if err := c.d.value(c.amount, e.v, s); err != nil {
				return fmt.Errorf("warehouse: credit: touches[%d]: credit.%s: %w", i, e.model, err)
			}
			if err := c.modelValue(s, c.fraction, c.fractions, e.model, i, "fractions"); err != nil {
				return err
			}
			if err := c.modelValue(s, c.version, c.versions, e.model, -1, "model_versions"); err != nil {
				return err
			}
			s.emit()
			emitted = true
		}
	}
	return nil
}

// modelValue sets column col from the model's entry of a per-model object (of
// touch i, or of the document when i < 0), or to its zero when the object lacks
// the model.
func (c *creditDecoder) modelValue(s rowSink, col int, es []modelValue, model []byte, i int, object string) error {
	v := find(es, model)
	if v == nil {
		zero(c.d.columns, col, s)
		return nil
	}
	if err := c.d.value(col, v, s); err != nil {
		if i >= 0 {
			return fmt.Errorf("warehouse: credit: touches[%d]: %s.%s: %w", i, object, model, err)
		}
		return fmt.Errorf("warehouse: credit: %s.%s: %w", object, model, err)
	}
	return nil
}
