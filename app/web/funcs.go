package web

import (
	"encoding/json"
	"fmt"
	"html/template"
	"math"
	"reflect"
	"strings"
	"time"

	"golang.org/x/text/currency"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// Funcs are the template functions every page may use besides asset: numbers and
// amounts formatted for people, with golang.org/x/text so that each currency gets its
// symbol and its number of decimals.
func Funcs() template.FuncMap {
	return template.FuncMap{
		"money":    Money,
		"number":   Number,
		"percent":  Percent,
		"ratio":    Ratio,
		"datetime": DateTime,
		"date":     func(t time.Time) string { return t.UTC().Format(time.DateOnly) },
		"label":    Label,
		"deref":    Deref,
		"json":     JSON,
	}
}

// JSON encodes v for a data-* attribute (html/template escapes it there).
func JSON(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}

// Deref returns what a pointer points to (nil for a nil pointer), so templates can
// format optional values.
func Deref(v any) any {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer {
		return v
	}
	if rv.IsNil() {
		return nil
	}
	return rv.Elem().Interface()
}

// Label turns a name such as "w_shaped" into words for people ("W shaped").
func Label(name string) string {
	s := strings.ReplaceAll(name, "_", " ")
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

var printer = message.NewPrinter(language.English)

// Money formats an amount in the ISO 4217 currency code ("$ 1,234.50"); an unknown
// code is shown before the plain number.
func Money(code string, v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "–"
	}
	unit, err := currency.ParseISO(code)
	if err != nil {
		return strings.TrimSpace(code + " " + printer.Sprintf("%.2f", v))
	}
	return printer.Sprint(currency.Symbol(unit.Amount(v)))
}

// Number formats a count or a quantity (any integer or float) with thousands
// separators and at most two decimals.
func Number(n any) string {
	var v float64
	switch x := n.(type) {
	case float64:
		v = x
	case int:
		v = float64(x)
	case int64:
		v = float64(x)
	case int32:
		v = float64(x)
	case uint64:
		v = float64(x)
	default:
		return fmt.Sprint(n)
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "–"
	}
	if v == math.Trunc(v) {
		return printer.Sprintf("%.0f", v)
	}
	return printer.Sprintf("%.2f", v)
}

// Percent formats a fraction (0.25) as a percentage ("25.0%").
func Percent(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "–"
	}
	return printer.Sprintf("%.1f%%", v*100)
}

// Ratio formats a multiple such as a return on ad spend ("3.25×"); no value ("–")
// when the denominator was zero.
func Ratio(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "–"
	}
	return printer.Sprintf("%.2f×", v)
}

// DateTime formats a time in UTC to the minute; the zero time is "–".
func DateTime(t time.Time) string {
	if t.IsZero() {
		return "–"
	}
	return t.UTC().Format("2006-01-02 15:04")
}
