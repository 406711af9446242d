package config

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
)

// Redacted renders the effective configuration as sorted `key: value` lines, with every
// secret shown only as set or unset.
func (c Config) Redacted() string {
	var lines []string
	var walk func(prefix string, v reflect.Value)
	walk = func(prefix string, v reflect.Value) {
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			key := prefix + f.Tag.Get("koanf")
			fv := v.Field(i)
			switch {
			case f.Tag.Get("secret") == "true":
				state := "(unset)"
				if !fv.IsZero() {
					state = "(set, hidden)"
				}
				lines = append(lines, key+": "+state)
			case fv.Kind() == reflect.Struct:
				walk(key+".", fv)
			case fv.Kind() == reflect.Slice && f.Type.Elem().Kind() == reflect.Struct:
				for j := 0; j < fv.Len(); j++ {
					walk(fmt.Sprintf("%s[%d].", key, j), fv.Index(j))
				}
			default:
				lines = append(lines, fmt.Sprintf("%s: %v", key, fv.Interface()))
			}
		}
	}
	walk("", reflect.ValueOf(c))
	sort.Strings(lines)
	return strings.Join(lines, "\n") + "\n"
}
