package config

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"regexp"
	"strings"
	"time"
)

var (
	twilioAccountPattern = regexp.MustCompile(`^AC[0-9a-fA-F]{32}$`)
	twilioTokenPattern   = regexp.MustCompile(`^[0-9A-Za-z]{16,64}$`)
	twilioVerifyPattern  = regexp.MustCompile(`^VA[0-9a-fA-F]{32}$`)
	twilioMessagingSvc   = regexp.MustCompile(`^MG[0-9a-fA-F]{32}$`)
	envNamePattern       = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// Argon2 parameter bounds: below the minimum memory a hash is cheap to attack, above
// the maximum one sign-in could exhaust the server.
const (
	argon2MinMemory = 8 * 1024
	argon2MaxMemory = 1024 * 1024
)

// validateAuth checks auth.* and server.tls.*.
func (c Config) validateAuth() Problems {
	var p Problems
	add := func(key, format string, args ...any) {
		p = append(p, key+": "+fmt.Sprintf(format, args...))
	}
	a := c.Auth.Argon2
	if a.Memory < argon2MinMemory || a.Memory > argon2MaxMemory {
		add("auth.argon2.memory", "must be between %d and %d KiB, got %d", argon2MinMemory, argon2MaxMemory, a.Memory)
	}
	if a.Iterations < 1 || a.Iterations > 20 {
		add("auth.argon2.iterations", "must be between 1 and 20, got %d", a.Iterations)
	}
	if a.Parallelism < 1 || a.Parallelism > 64 {
		add("auth.argon2.parallelism", "must be between 1 and 64, got %d", a.Parallelism)
	}
	s := c.Auth.Session
	if s.IdleTimeout < time.Minute {
		add("auth.session.idle_timeout", "must be at least 1m")
	}
	if s.AbsoluteTimeout < time.Minute {
		add("auth.session.absolute_timeout", "must be at least 1m")
	} else if s.IdleTimeout > s.AbsoluteTimeout {
		add("auth.session.idle_timeout", "must not exceed auth.session.absolute_timeout")
	}

	tw := c.Auth.Twilio
	switch {
	case tw.Configured():
		if !twilioAccountPattern.MatchString(tw.AccountSID) {
			add("auth.twilio.account_sid", "must be a Twilio Account SID (AC followed by 32 hex digits)")
		}
		if !twilioTokenPattern.MatchString(tw.AuthToken) {
			add("auth.twilio.auth_token", "required: the account's auth token (or set SRG_AUTH_TWILIO_AUTH_TOKEN)")
		}
		if tw.VerifyServiceSID == "" && tw.From == "" {
			add("auth.twilio", "set verify_service_sid (Twilio Verify) or from (Messages API)")
		}
	case tw.VerifyServiceSID != "" || tw.From != "" || tw.BaseURL != "":
		add("auth.twilio.account_sid", "required when other auth.twilio keys are set")
	case c.Production():
		add("auth.twilio", "production mode needs Twilio for login codes: set account_sid, auth_token and verify_service_sid or from")
	}
	if tw.VerifyServiceSID != "" && !twilioVerifyPattern.MatchString(tw.VerifyServiceSID) {
		add("auth.twilio.verify_service_sid", "must be a Verify Service SID (VA followed by 32 hex digits)")
	}
	if tw.From != "" && !e164Pattern.MatchString(tw.From) && !twilioMessagingSvc.MatchString(tw.From) {
		add("auth.twilio.from", "must be a phone number in E.164 form (quoted) or a Messaging Service SID (MG...)")
	}
	if tw.BaseURL != "" {
		if u, err := url.Parse(tw.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") {
			add("auth.twilio.base_url", "must be an absolute http(s) URL without a path, got %q", tw.BaseURL)
		}
	}
	if tw.Timeout < time.Second {
		add("auth.twilio.timeout", "must be at least 1s")
	}

	t := c.Server.TLS
	if t.Enabled() {
		for key, path := range map[string]string{"server.tls.cert_file": t.CertFile, "server.tls.key_file": t.KeyFile} {
			if path == "" {
				add(key, "required when server.tls.cert_file or key_file is set")
			} else if info, err := os.Stat(path); err != nil || info.IsDir() {
				add(key, "%q is not a readable file", path)
			}
		}
		if !strings.HasPrefix(c.Server.PublicURL, "https://") {
			add("server.public_url", "must be an https:// URL when srg terminates TLS")
		}
	}
	if t.RedirectAddr != "" {
		if !t.Enabled() {
			add("server.tls.redirect_addr", "needs server.tls.cert_file and key_file")
		}
		if _, _, err := net.SplitHostPort(t.RedirectAddr); err != nil {
			add("server.tls.redirect_addr", "must be host:port, got %q", t.RedirectAddr)
		}
	}
	return p
}

// validPasswordEnv checks the name of a variable that holds a declared user's password.
func validPasswordEnv(name string) string {
	switch {
	case !envNamePattern.MatchString(name):
		return "must be an environment variable name"
	case strings.HasPrefix(name, EnvPrefix):
		return "must not start with " + EnvPrefix + " (those name config keys)"
	}
	return ""
}
