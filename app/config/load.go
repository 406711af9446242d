package config

import (
	"fmt"
	"os"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/go-viper/mapstructure/v2"
	"github.com/knadh/koanf/parsers/yaml"
	"github.com/knadh/koanf/providers/rawbytes"
	"github.com/knadh/koanf/v2"
)

// EnvPrefix starts every environment variable that overrides a key.
const EnvPrefix = "SRG_"

// EnvConfigPath names the config file when --config is not given.
const EnvConfigPath = "SRG_CONFIG"

// EnvUserPassword gives `srg user add` and `srg user passwd` the password; like
// EnvConfigPath it is not a config key.
const EnvUserPassword = "SRG_USER_PASSWORD"

// Problems lists everything wrong with a configuration, each naming its key.
type Problems []string

func (p Problems) Error() string {
	if len(p) == 1 {
		return "config: " + p[0]
	}
	return "config: " + strconv.Itoa(len(p)) + " problems:\n  " + strings.Join(p, "\n  ")
}

// Load reads the YAML file at path (none when path is empty), overlays the SRG_*
// variables of environ, and validates the result. Every problem is reported at once
// as Problems.
func Load(path string, environ []string) (Config, error) {
	var raw []byte
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return Config{}, fmt.Errorf("config: read %s: %w", path, err)
		}
		raw = b
	}
	return parse(raw, environ)
}

func parse(raw []byte, environ []string) (Config, error) {
	k := koanf.New(".")
	var problems Problems
	if len(raw) > 0 {
		if err := k.Load(rawbytes.Provider(raw), yaml.Parser()); err != nil {
			return Config{}, fmt.Errorf("config: parse YAML: %w", err)
		}
	}
	known := knownKeys()
	problems = append(problems, unknownKeys(k.Keys(), known)...)
	problems = append(problems, applyEnv(k, environ, known)...)

	cfg := Default()
	dc := &mapstructure.DecoderConfig{
		DecodeHook:  mapstructure.StringToTimeDurationHookFunc(),
		ErrorUnused: true,
		Result:      &cfg,
		TagName:     "koanf",
	}
	if err := k.UnmarshalWithConf("", &cfg, koanf.UnmarshalConf{DecoderConfig: dc}); err != nil {
		problems = append(problems, decodeProblems(err)...)
	}
	if len(problems) == 0 {
		problems = append(problems, cfg.Validate()...)
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		return cfg, slices.Compact(problems)
	}
	return cfg, nil
}

// keyInfo describes one leaf key of Config.
type keyInfo struct {
	typ reflect.Type
	// mapPrefix marks a map-valued key: anything below it is a user-chosen name.
	mapPrefix bool
	// list marks a list of structs: not overridable from the environment.
	list bool
}

func knownKeys() map[string]keyInfo {
	keys := map[string]keyInfo{}
	var walk func(prefix string, t reflect.Type)
	walk = func(prefix string, t reflect.Type) {
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			name := prefix + f.Tag.Get("koanf")
			switch {
			case f.Type.Kind() == reflect.Struct:
				walk(name+".", f.Type)
			case f.Type.Kind() == reflect.Map:
				keys[name] = keyInfo{typ: f.Type, mapPrefix: true}
			case f.Type.Kind() == reflect.Slice && f.Type.Elem().Kind() == reflect.Struct:
				keys[name] = keyInfo{typ: f.Type, list: true}
			default:
				keys[name] = keyInfo{typ: f.Type}
			}
		}
	}
	walk("", reflect.TypeOf(Config{}))
	return keys
}

func unknownKeys(present []string, known map[string]keyInfo) Problems {
	var problems Problems
	for _, key := range present {
		if _, ok := known[key]; ok {
			continue
		}
		if underMap(key, known) {
			continue
		}
		problems = append(problems, key+": unknown key")
	}
	return problems
}

func underMap(key string, known map[string]keyInfo) bool {
	for name, info := range known {
		if info.mapPrefix && strings.HasPrefix(key, name+".") {
			return true
		}
	}
	return false
}

// envName is the environment variable that overrides key: server.public_url is
// SRG_SERVER_PUBLIC_URL.
func envName(key string) string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
}

func applyEnv(k *koanf.Koanf, environ []string, known map[string]keyInfo) Problems {
	byEnv := map[string]string{}
	for key, info := range known {
		if !info.list && !info.mapPrefix {
			byEnv[envName(key)] = key
		}
	}
	var problems Problems
	for _, kv := range environ {
		name, value, ok := strings.Cut(kv, "=")
		if !ok || !strings.HasPrefix(name, EnvPrefix) || name == EnvConfigPath || name == EnvUserPassword {
			continue
		}
		key, ok := byEnv[name]
		if !ok {
			problems = append(problems, fmt.Sprintf("%s: environment variable names no config key", name))
			continue
		}
		v, err := envValue(value, known[key].typ)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s (from %s): %v", key, name, err))
			continue
		}
		if err := k.Set(key, v); err != nil {
			problems = append(problems, fmt.Sprintf("%s (from %s): %v", key, name, err))
		}
	}
	return problems
}

var durationType = reflect.TypeOf(time.Duration(0))

func envValue(s string, t reflect.Type) (any, error) {
	switch {
	case t == durationType:
		if _, err := time.ParseDuration(s); err != nil {
			return nil, fmt.Errorf("expected a duration such as 30s or 5m, got %q", s)
		}
		return s, nil
	case t.Kind() == reflect.Int:
		n, err := strconv.Atoi(s)
		if err != nil {
			return nil, fmt.Errorf("expected an integer, got %q", s)
		}
		return n, nil
	case t.Kind() == reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return nil, fmt.Errorf("expected true or false, got %q", s)
		}
		return b, nil
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.String:
		var out []any
		for _, part := range strings.Split(s, ",") {
			if part = strings.TrimSpace(part); part != "" {
				out = append(out, part)
			}
		}
		return out, nil
	default:
		return s, nil
	}
}

var (
	invalidKeysRE = regexp.MustCompile(`'([^']*)' has invalid keys: (.*)`)
	wrongTypeRE   = regexp.MustCompile(`^'([^']*)' (.*)$`)
	hookErrorRE   = regexp.MustCompile(`error decoding '([^']*)': (.*)`)
)

// decodeProblems turns mapstructure's joined error text into one problem per key.
func decodeProblems(err error) Problems {
	var problems Problems
	for _, line := range strings.Split(err.Error(), "\n") {
		line = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), "* "))
		if line == "" || strings.HasPrefix(line, "decoding failed") {
			continue
		}
		if m := invalidKeysRE.FindStringSubmatch(line); m != nil {
			for _, key := range strings.Split(m[2], ", ") {
				problems = append(problems, joinKey(m[1], key)+": unknown key")
			}
			continue
		}
		if m := wrongTypeRE.FindStringSubmatch(line); m != nil {
			problems = append(problems, m[1]+": wrong type: "+m[2])
			continue
		}
		if m := hookErrorRE.FindStringSubmatch(line); m != nil {
			problems = append(problems, m[1]+": "+m[2])
			continue
		}
		problems = append(problems, line)
	}
	if len(problems) == 0 {
		problems = append(problems, err.Error())
	}
	return problems
}

func joinKey(parent, key string) string {
	parent = strings.TrimPrefix(strings.TrimPrefix(parent, "config.Config"), ".")
	if parent == "" {
		return key
	}
	return parent + "." + key
}
