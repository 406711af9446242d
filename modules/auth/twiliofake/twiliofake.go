// Package twiliofake is a local stand-in for the parts of Twilio's REST API that SRG
// uses, for tests and local runs: the Messages API (POST
// /2010-04-01/Accounts/{AccountSid}/Messages.json) and Verify v2 (POST
// /v2/Services/{ServiceSid}/Verifications and /VerificationCheck). It follows Twilio's
// published shapes: form-encoded POST bodies, HTTP Basic auth with AccountSid:AuthToken,
// JSON resources, and errors as {code, message, more_info, status}. It records every
// code it delivers so a test can read the text message a person would get.
package twiliofake

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	"mime"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"
)

// Credentials and service of the fake account; any other gets Twilio's errors.
const (
	AccountSID       = "AC00000000000000000000000000000001"
	AuthToken        = "0123456789abcdef0123456789abcdef"
	VerifyServiceSID = "VA00000000000000000000000000000001"
	// From is the fake account's sending number.
	From = "+15005550006"
)

// Limits Twilio Verify applies (its documented defaults).
const (
	VerifyCodeTTL      = 10 * time.Minute
	VerifyMaxChecks    = 5
	VerifyMaxSends     = 5
	verifySendWindow   = 10 * time.Minute
	verifyCodeDigits   = 6
	messageDateLayout  = time.RFC1123Z
	moreInfoURL        = "https://www.twilio.com/docs/errors/"
	formContentType    = "application/x-www-form-urlencoded"
	messagesPathPrefix = "/2010-04-01/Accounts/"
)

var (
	e164     = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)
	sixDigit = regexp.MustCompile(`\b[0-9]{6}\b`)
)

// Message is a text message the fake accepted.
type Message struct {
	SID, To, From, Body string
	At                  time.Time
}

// Server is the fake; serve it with httptest.NewServer and point
// auth.twilio.base_url at its URL.
type Server struct {
	// Now is the fake's clock (time.Now when nil).
	Now func() time.Time

	mu            sync.Mutex
	messages      []Message
	codes         map[string][]string
	verifications map[string]*verification
	requests      int
	failNext      *Error
}

type verification struct {
	sid     string
	to      string
	code    string
	created time.Time
	sends   []time.Time
	checks  int
}

// Error is a Twilio REST error body.
type Error struct {
	Code     int    `json:"code"`
	Message  string `json:"message"`
	MoreInfo string `json:"more_info"`
	Status   int    `json:"status"`
}

// New returns an empty fake.
func New() *Server {
	return &Server{codes: map[string][]string{}, verifications: map[string]*verification{}}
}

func (s *Server) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Codes returns the codes delivered to phone, oldest first, by either API.
func (s *Server) Codes(phone string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.codes[phone]...)
}

// LastCode returns the newest code delivered to phone.
func (s *Server) LastCode(phone string) (string, bool) {
	c := s.Codes(phone)
	if len(c) == 0 {
		return "", false
	}
	return c[len(c)-1], true
}

// Messages returns the text messages accepted by the Messages API.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.messages...)
}

// Requests counts the authenticated requests served.
func (s *Server) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

// FailNext makes the next request fail with this Twilio error (an outage or refusal).
func (s *Server) FailNext(status, code int, message string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failNext = &Error{Code: code, Message: message, MoreInfo: fmt.Sprintf("%s%d", moreInfoURL, code), Status: status}
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		writeError(w, http.StatusMethodNotAllowed, 20004, "Method not allowed")
		return
	}
	user, pass, ok := r.BasicAuth()
	if !ok || user != AccountSID || pass != AuthToken {
		writeError(w, http.StatusUnauthorized, 20003, "Authenticate")
		return
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != formContentType {
		writeError(w, http.StatusBadRequest, 20001, "Content-Type must be "+formContentType)
		return
	}
	if err := r.ParseForm(); err != nil {
		writeError(w, http.StatusBadRequest, 20001, "Invalid form body")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests++
	if f := s.failNext; f != nil {
		s.failNext = nil
		writeJSON(w, f.Status, f)
		return
	}
	path := r.URL.Path
	switch {
	case strings.HasPrefix(path, messagesPathPrefix) && strings.HasSuffix(path, "/Messages.json"):
		account := strings.TrimSuffix(strings.TrimPrefix(path, messagesPathPrefix), "/Messages.json")
		s.createMessage(w, r, account)
	case path == "/v2/Services/"+VerifyServiceSID+"/Verifications":
		s.createVerification(w, r)
	case path == "/v2/Services/"+VerifyServiceSID+"/VerificationCheck":
		s.checkVerification(w, r)
	default:
		notFound(w, path)
	}
}

func (s *Server) createMessage(w http.ResponseWriter, r *http.Request, account string) {
	if account != AccountSID {
		notFound(w, r.URL.Path)
		return
	}
	to, from, svc, body := r.PostForm.Get("To"), r.PostForm.Get("From"), r.PostForm.Get("MessagingServiceSid"), r.PostForm.Get("Body")
	switch {
	case to == "":
		writeError(w, http.StatusBadRequest, 21604, "A 'To' phone number is required.")
		return
	case !e164.MatchString(to):
		writeError(w, http.StatusBadRequest, 21211, fmt.Sprintf("Invalid 'To' Phone Number: %s", to))
		return
	case from == "" && svc == "":
		writeError(w, http.StatusBadRequest, 21603, "A 'From' or 'MessagingServiceSid' parameter is required to send a message")
		return
	case from != "" && from != From:
		writeError(w, http.StatusBadRequest, 21606, fmt.Sprintf("The From phone number %s is not a valid, SMS-capable inbound phone number or short code for your account.", from))
		return
	case body == "":
		writeError(w, http.StatusBadRequest, 21602, "Message body is required.")
		return
	}
	now := s.now().UTC()
	sid := "SM" + randomHex(16)
	s.messages = append(s.messages, Message{SID: sid, To: to, From: from, Body: body, At: now})
	if code := sixDigit.FindString(body); code != "" {
		s.codes[to] = append(s.codes[to], code)
	}
	date := now.Format(messageDateLayout)
	writeJSON(w, http.StatusCreated, map[string]any{
		"sid": sid, "account_sid": AccountSID, "to": to, "from": nullable(from), "messaging_service_sid": nullable(svc),
		"body": body, "status": "queued", "num_segments": "1", "num_media": "0", "direction": "outbound-api",
		"api_version": "2010-04-01", "price": nil, "price_unit": "USD", "error_code": nil, "error_message": nil,
		"date_created": date, "date_updated": date, "date_sent": nil,
		"uri": fmt.Sprintf("/2010-04-01/Accounts/%s/Messages/%s.json", AccountSID, sid),
	})
}

func (s *Server) createVerification(w http.ResponseWriter, r *http.Request) {
	to, channel := r.PostForm.Get("To"), r.PostForm.Get("Channel")
	switch {
	case to == "" || !e164.MatchString(to):
		writeError(w, http.StatusBadRequest, 60200, "Invalid parameter `To`: "+to)
		return
	case channel != "sms":
		writeError(w, http.StatusBadRequest, 60200, "Invalid parameter `Channel`: "+channel)
		return
	}
	now := s.now().UTC()
	v := s.pending(to, now)
	// A pending verification is sent again with its code; one that reached the maximum
	// of checks (status max_attempts_reached) is replaced by a new one.
	if v == nil || v.checks >= VerifyMaxChecks {
		v = &verification{sid: "VE" + randomHex(16), to: to, code: randomCode(), created: now}
		s.verifications[to] = v
	}
	var recent int
	for _, at := range v.sends {
		if now.Sub(at) < verifySendWindow {
			recent++
		}
	}
	if recent >= VerifyMaxSends {
		writeError(w, http.StatusTooManyRequests, 60203, "Max send attempts reached")
		return
	}
	v.sends = append(v.sends, now)
	s.codes[to] = append(s.codes[to], v.code)
	writeJSON(w, http.StatusCreated, s.verificationJSON(v, "pending", false, now))
}

func (s *Server) checkVerification(w http.ResponseWriter, r *http.Request) {
	to, code := r.PostForm.Get("To"), r.PostForm.Get("Code")
	switch {
	case to == "" && r.PostForm.Get("VerificationSid") == "":
		writeError(w, http.StatusBadRequest, 60200, "Invalid parameter: To or VerificationSid is required")
		return
	case code == "":
		writeError(w, http.StatusBadRequest, 60200, "Invalid parameter `Code`")
		return
	}
	now := s.now().UTC()
	v := s.pending(to, now)
	if v == nil {
		notFound(w, r.URL.Path)
		return
	}
	if v.checks >= VerifyMaxChecks {
		writeError(w, http.StatusTooManyRequests, 60202, "Max check attempts reached")
		return
	}
	v.checks++
	if code != v.code {
		writeJSON(w, http.StatusOK, s.verificationJSON(v, "pending", false, now))
		return
	}
	delete(s.verifications, to)
	writeJSON(w, http.StatusOK, s.verificationJSON(v, "approved", true, now))
}

// pending returns the live verification of to, forgetting an expired one.
func (s *Server) pending(to string, now time.Time) *verification {
	v := s.verifications[to]
	if v != nil && now.Sub(v.created) >= VerifyCodeTTL {
		delete(s.verifications, to)
		return nil
	}
	return v
}

func (s *Server) verificationJSON(v *verification, status string, valid bool, now time.Time) map[string]any {
	attempts := make([]map[string]any, len(v.sends))
	for i, at := range v.sends {
		attempts[i] = map[string]any{"time": at.Format(time.RFC3339), "channel": "SMS", "attempt_sid": "VL" + randomHex(16)}
	}
	return map[string]any{
		"sid": v.sid, "service_sid": VerifyServiceSID, "account_sid": AccountSID, "to": v.to, "channel": "sms",
		"status": status, "valid": valid, "amount": nil, "payee": nil, "lookup": map[string]any{}, "sna": nil,
		"send_code_attempts": attempts,
		"date_created":       v.created.Format(time.RFC3339), "date_updated": now.Format(time.RFC3339),
		"url": fmt.Sprintf("https://verify.twilio.com/v2/Services/%s/Verifications/%s", VerifyServiceSID, v.sid),
	}
}

func notFound(w http.ResponseWriter, path string) {
	writeError(w, http.StatusNotFound, 20404, "The requested resource "+path+" was not found")
}

func writeError(w http.ResponseWriter, status, code int, message string) {
	writeJSON(w, status, Error{Code: code, Message: message, MoreInfo: fmt.Sprintf("%s%d", moreInfoURL, code), Status: status})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func randomCode() string {
	n, _ := rand.Int(rand.Reader, big.NewInt(1_000_000))
	return fmt.Sprintf("%0*d", verifyCodeDigits, n.Int64())
}
