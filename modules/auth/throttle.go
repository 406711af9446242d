package auth

import (
	"context"
	"fmt"
	"math"
	"time"

	"gorm.io/gorm"
)

// Limits are the sign-in rules. The code rules are the (valid 10 minutes, 5
// wrong tries, a resend after 30 s, 5 codes an hour); the throttles bound guessing
// per account and per client address.
type Limits struct {
	CodeTTL         time.Duration
	CodeAttempts    int
	ResendAfter     time.Duration
	SendsPerHour    int
	ChallengeMaxAge time.Duration

	// Window is the period the throttles count failures in.
	Window                     time.Duration
	PasswordFailuresPerAccount int
	PasswordFailuresPerIP      int
	CodeFailuresPerAccount     int
	CodeFailuresPerIP          int
}

// sendWindow is the period SendsPerHour counts in.
const sendWindow = time.Hour

// touchEvery is how stale a session's last_seen_at or a token's last_used_at may get
// before a request updates it, so that not every request writes.
const touchEvery = time.Minute

// attemptRetention is how long auth_attempts rows are kept: longer than every window.
const attemptRetention = 24 * time.Hour

// DefaultLimits are the limits srg runs with.
func DefaultLimits() Limits {
	return Limits{
		CodeTTL:                    10 * time.Minute,
		CodeAttempts:               5,
		ResendAfter:                30 * time.Second,
		SendsPerHour:               5,
		ChallengeMaxAge:            time.Hour,
		Window:                     15 * time.Minute,
		PasswordFailuresPerAccount: 5,
		PasswordFailuresPerIP:      20,
		CodeFailuresPerAccount:     10,
		CodeFailuresPerIP:          20,
	}
}

// ThrottledError is a request refused for going over a limit (429).
type ThrottledError struct {
	Message    string
	RetryAfter time.Duration
}

func (e *ThrottledError) Error() string { return e.Message }

// RetryAfterSeconds is the Retry-After header value.
func (e *ThrottledError) RetryAfterSeconds() int {
	return max(1, int(math.Ceil(e.RetryAfter.Seconds())))
}

func throttled(retry time.Duration, format string, args ...any) error {
	return &ThrottledError{Message: fmt.Sprintf(format, args...) + " Try again in " + humanDuration(retry) + ".", RetryAfter: retry}
}

// humanDuration says how long to wait, rounded up to seconds or minutes.
func humanDuration(d time.Duration) string {
	if d <= time.Minute {
		s := max(1, int(math.Ceil(d.Seconds())))
		if s == 1 {
			return "1 second"
		}
		return fmt.Sprintf("%d seconds", s)
	}
	m := int(math.Ceil(d.Minutes()))
	if m == 1 {
		return "1 minute"
	}
	return fmt.Sprintf("%d minutes", m)
}

// limit is one throttle: at most max rows of kind for one account or address.
type limit struct {
	kind, column, value string
	max                 int
	window              time.Duration
	message             string
}

// checkLimits returns a ThrottledError for the first limit already reached.
func checkLimits(ctx context.Context, tx *gorm.DB, now time.Time, limits ...limit) error {
	for _, l := range limits {
		if l.max <= 0 {
			continue
		}
		n, oldest, err := attemptsSince(ctx, tx, l.kind, l.column, l.value, now.Add(-l.window))
		if err != nil {
			return err
		}
		if n >= l.max {
			return throttled(oldest.Add(l.window).Sub(now), "%s", l.message)
		}
	}
	return nil
}

func (s *Service) passwordLimits(account, ip string) []limit {
	l := s.limits
	return []limit{
		{attemptPasswordFailed, "account", account, l.PasswordFailuresPerAccount, l.Window, "Too many failed sign-ins for this account."},
		{attemptPasswordFailed, "remote_ip", ip, l.PasswordFailuresPerIP, l.Window, "Too many failed sign-ins from your network."},
	}
}

func (s *Service) codeLimits(account, ip string) []limit {
	l := s.limits
	return []limit{
		{attemptCodeFailed, "account", account, l.CodeFailuresPerAccount, l.Window, "Too many wrong codes for this account."},
		{attemptCodeFailed, "remote_ip", ip, l.CodeFailuresPerIP, l.Window, "Too many wrong codes from your network."},
	}
}

func (s *Service) sendLimits(account string) []limit {
	l := s.limits
	return []limit{
		{attemptCodeSent, "account", account, l.SendsPerHour, sendWindow, fmt.Sprintf("%d codes were sent to this account in the last hour.", l.SendsPerHour)},
	}
}
