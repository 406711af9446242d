// Package salesforce pulls a Salesforce org's accounts, contacts, leads,
// opportunities with their contact roles and stages, campaigns and campaign members
// into the CRM mirror, and writes touchpoints back to it as records of a custom
// object upserted by the touchpoint id.
//
// Every object is read with SOQL through queryAll (so deleted and merged records
// come back too) ordered by (SystemModstamp, Id), and each stream's cursor is the
// pair of the last record committed, so a run resumes exactly after the last page it
// committed.
package salesforce

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"

	"github.com/srgplatform/srg/modules/sync/apiclient"
	"github.com/srgplatform/srg/modules/sync/connector"
)

// Settings is the connector's settings JSON.
type Settings struct {
	// LoginURL is where refresh tokens are exchanged
	// (https://login.salesforce.com, https://test.salesforce.com for sandboxes, or a
	// My Domain login host).
	LoginURL string `json:"login_url"`
	// APIVersion is the REST API version, "v59.0".
	APIVersion string `json:"api_version"`
	// InstanceURL overrides the instance_url of the token response; empty means use
	// what the token endpoint says.
	InstanceURL string `json:"instance_url"`
	// TouchpointObject is the custom object touchpoints are written to, and
	// TouchpointExternalID its external id field.
	TouchpointObject     string `json:"touchpoint_object"`
	TouchpointExternalID string `json:"touchpoint_external_id"`
}

// Credentials is the connector's credentials JSON: a connected app and a refresh
// token issued to it.
type Credentials struct {
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
	RefreshToken string `json:"refresh_token"`
}

// Defaults for settings left out.
const (
	DefaultLoginURL             = "https://login.salesforce.com"
	DefaultAPIVersion           = "v59.0"
	DefaultTouchpointObject     = "SRG_Touchpoint__c"
	DefaultTouchpointExternalID = "SRG_Touchpoint_Id__c"
)

var (
	reVersion     = regexp.MustCompile(`^v\d{2}\.0$`)
	reCustomField = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*__c$`)
)

// ParseSettings decodes and validates settings JSON, filling defaults; the error
// names every bad key.
func ParseSettings(raw json.RawMessage) (Settings, error) {
	var s Settings
	if len(bytes.TrimSpace(raw)) > 0 {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&s); err != nil {
			return s, fmt.Errorf("salesforce: settings: %w", err)
		}
	}
	if s.LoginURL == "" {
		s.LoginURL = DefaultLoginURL
	}
	if s.APIVersion == "" {
		s.APIVersion = DefaultAPIVersion
	}
	if s.TouchpointObject == "" {
		s.TouchpointObject = DefaultTouchpointObject
	}
	if s.TouchpointExternalID == "" {
		s.TouchpointExternalID = DefaultTouchpointExternalID
	}
	s.LoginURL = strings.TrimSuffix(s.LoginURL, "/")
	s.InstanceURL = strings.TrimSuffix(s.InstanceURL, "/")
	var errs []error
	if !absoluteURL(s.LoginURL) {
		errs = append(errs, fmt.Errorf("login_url %q is not an absolute http(s) URL", s.LoginURL))
	}
	if s.InstanceURL != "" && !absoluteURL(s.InstanceURL) {
		errs = append(errs, fmt.Errorf("instance_url %q is not an absolute http(s) URL", s.InstanceURL))
	}
	if !reVersion.MatchString(s.APIVersion) {
		errs = append(errs, fmt.Errorf("api_version %q is not of the form v59.0", s.APIVersion))
	}
	if !reCustomField.MatchString(s.TouchpointObject) {
		errs = append(errs, fmt.Errorf("touchpoint_object %q is not a custom object name (Name__c)", s.TouchpointObject))
	}
	if !reCustomField.MatchString(s.TouchpointExternalID) {
		errs = append(errs, fmt.Errorf("touchpoint_external_id %q is not a custom field name (Name__c)", s.TouchpointExternalID))
	}
	if len(errs) > 0 {
		return s, fmt.Errorf("salesforce: settings: %w", errors.Join(errs...))
	}
	return s, nil
}

// ParseCredentials decodes credentials JSON; all three keys are required.
func ParseCredentials(raw json.RawMessage) (Credentials, error) {
	var c Credentials
	if err := json.Unmarshal(raw, &c); err != nil {
		return c, fmt.Errorf("salesforce: credentials: %w", err)
	}
	var missing []string
	for _, kv := range [][2]string{{"client_id", c.ClientID}, {"client_secret", c.ClientSecret}, {"refresh_token", c.RefreshToken}} {
		if kv[1] == "" {
			missing = append(missing, kv[0])
		}
	}
	if len(missing) > 0 {
		return c, fmt.Errorf("salesforce: credentials: missing %s", strings.Join(missing, ", "))
	}
	return c, nil
}

func absoluteURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// Connector is a Salesforce org as a connector.Puller and connector.Writer.
type Connector struct {
	set  Settings
	cfg  connector.Config
	auth *apiclient.OAuth2
	log  *slog.Logger
	// sleep replaces the client's waits in tests.
	sleep func(context.Context, time.Duration) error

	mu     sync.Mutex
	client *apiclient.Client
}

var (
	_ connector.Puller = (*Connector)(nil)
	_ connector.Writer = (*Connector)(nil)
)

// New builds a connector from its configuration; it makes no request yet.
func New(cfg connector.Config) (*Connector, error) {
	set, err := ParseSettings(cfg.Settings)
	if err != nil {
		return nil, err
	}
	cred, err := ParseCredentials(cfg.Credentials)
	if err != nil {
		return nil, err
	}
	oc := &oauth2.Config{
		ClientID:     cred.ClientID,
		ClientSecret: cred.ClientSecret,
		// In the body, as Salesforce documents: auto-detection would send a refused
		// refresh token twice.
		Endpoint: oauth2.Endpoint{TokenURL: set.LoginURL + "/services/oauth2/token", AuthStyle: oauth2.AuthStyleInParams},
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Connector{set: set, cfg: cfg, auth: apiclient.NewOAuth2(oc, cred.RefreshToken, cfg.HTTP), log: log}, nil
}

// api returns the REST client, built on the first call: the API host is the
// instance_url of the first token response unless the settings override it.
func (c *Connector) api(ctx context.Context) (*apiclient.Client, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.client != nil {
		return c.client, nil
	}
	instance := c.set.InstanceURL
	if instance == "" {
		tok, err := c.auth.Token(ctx)
		if err != nil {
			return nil, fmt.Errorf("salesforce: %w", err)
		}
		s, _ := tok.Extra("instance_url").(string)
		instance = strings.TrimSuffix(s, "/")
		if !absoluteURL(instance) {
			return nil, fmt.Errorf("salesforce: the token response has no usable instance_url (%q)", s)
		}
	}
	cl, err := apiclient.New(apiclient.Options{
		Name:     "salesforce",
		BaseURL:  instance + "/services/data/" + c.set.APIVersion,
		HTTP:     c.cfg.HTTP,
		Auth:     c.auth,
		Classify: classify,
		Pace:     pace,
	})
	if err != nil {
		return nil, err
	}
	if c.sleep != nil {
		cl.SetSleep(c.sleep)
	}
	c.client = cl
	return cl, nil
}

// RefreshToken is the newest refresh token, for the framework to store if
// Salesforce rotated it.
func (c *Connector) RefreshToken() string { return c.auth.RefreshToken() }
