package config

import (
	"reflect"
	"time"
)

// Keys lists every key a single value can set (what a BISECT_<KEY>
// environment variable binds), derived from the mapstructure tags so that
// a new field is settable without a second list: scalars and lists of
// strings. Maps and lists of structs (runner.env, oracle.steps …) are set
// in the file only.
func Keys() []string {
	return keys(reflect.TypeFor[Config](), "")
}

func keys(t reflect.Type, prefix string) []string {
	var out []string
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("mapstructure")
		if tag == ",squash" {
			// A section's part owned by a plugin package: its keys are
			// the section's own.
			out = append(out, keys(f.Type, prefix)...)
			continue
		}
		if tag == "" || tag == "-" {
			continue
		}
		key := prefix + tag
		switch ft := f.Type; {
		case ft.Kind() == reflect.Struct && ft != reflect.TypeFor[time.Duration]():
			out = append(out, keys(ft, key+".")...)
		case ft.Kind() == reflect.Map:
		case ft.Kind() == reflect.Slice && ft.Elem().Kind() != reflect.String:
		case ft.Kind() == reflect.Interface:
		default:
			out = append(out, key)
		}
	}
	return out
}
