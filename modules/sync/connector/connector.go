// Package connector is the contract between the sync framework and each source it
// pulls from: what a connector is given (credentials, settings, an HTTP client, a
// run with cursors), what it hands back (pages of mirror records), and the errors
// that change how the framework treats it.
package connector

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"time"
)

// Kind names a source; it is the `kind` of a connector and the `source` or `platform`
// of the rows it writes.
type Kind string

// The sources srg can pull from.
const (
	HubSpot    Kind = "hubspot"
	Salesforce Kind = "salesforce"
	GoogleAds  Kind = "google_ads"
	LinkedIn   Kind = "linkedin_ads"
	Meta       Kind = "meta_ads"
	CSV        Kind = "csv"
)

// ErrReauth means the source refused the credentials for good (revoked, expired
// refresh token, uninstalled app): the connector is marked as needing
// re-authorisation and is not run again until new credentials are given.
var ErrReauth = errors.New("credentials refused: the connector needs re-authorisation")

// Config is what a connector is built from.
type Config struct {
	// Credentials is the decrypted credentials JSON given when the source was
	// connected; the connector decodes its own shape from it.
	Credentials json.RawMessage
	// Settings is the connector's non-secret settings JSON (account ids, base URLs,
	// trailing window); the connector decodes and validates its own shape.
	Settings json.RawMessage
	// HTTP is the transport every request goes through (tests point it at fakes only
	// through base URLs in Settings; the client itself is the production one).
	HTTP *http.Client
	Log  *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Clock returns c.Now or time.Now.
func (c Config) Clock() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// Puller pulls every object changed since its cursors into the mirror.
type Puller interface {
	// Pull reads each stream from r.Cursor(stream) on and hands every page to
	// r.Commit with the cursor that resumes after it. It returns ErrReauth (wrapped)
	// when the credentials are refused for good.
	Pull(ctx context.Context, r Run) error
}

// Writer writes touchpoints into the CRM, idempotently by touchpoint id.
type Writer interface {
	// MaxBatch is the largest batch Write accepts.
	MaxBatch() int
	// Write creates or updates each touchpoint in the CRM. It returns the outcome of
	// every touchpoint, in order; a non-nil error means the whole batch failed and
	// may be retried.
	Write(ctx context.Context, tps []Touchpoint) ([]WriteResult, error)
}

// Run is one run of one connector, given by the framework.
type Run interface {
	// Cursor is where the stream stopped last time; "" when it never ran.
	Cursor(stream string) string
	// Commit upserts the page into the mirror and stores cursor as the stream's new
	// cursor, in one transaction. An empty page may be committed to move the cursor.
	Commit(ctx context.Context, stream, cursor string, page Page) error
	// Log is tagged with the tenant and connector.
	Log() *slog.Logger
}

// Page is a batch of mirror records read from a source. Records carry no tenant or
// source: the run knows both.
type Page struct {
	Accounts        []Account
	Contacts        []Contact
	ContactAccounts []ContactAccount
	Opportunities   []Opportunity
	ContactRoles    []ContactRole
	Stages          []Stage
	Campaigns       []Campaign
	CampaignMembers []CampaignMember
	Spend           []SpendDay
	// Deletions mark records deleted (or merged into another) without removing them,
	// so history that points at them still resolves.
	Deletions []Deletion
}

// Len is the number of records in the page.
func (p Page) Len() int {
	return len(p.Accounts) + len(p.Contacts) + len(p.ContactAccounts) + len(p.Opportunities) +
		len(p.ContactRoles) + len(p.Stages) + len(p.Campaigns) + len(p.CampaignMembers) +
		len(p.Spend) + len(p.Deletions)
}

// Object names a mirror record type in deletions, counts and run logs.
type Object string

// The mirror record types.
const (
	ObjAccount        Object = "account"
	ObjContact        Object = "contact"
	ObjLead           Object = "lead"
	ObjContactAccount Object = "contact_account"
	ObjOpportunity    Object = "opportunity"
	ObjContactRole    Object = "contact_role"
	ObjStage          Object = "stage"
	ObjCampaign       Object = "campaign"
	ObjCampaignMember Object = "campaign_member"
	ObjSpend          Object = "spend"
)

// Account is a CRM company or account.
type Account struct {
	ExternalID string
	Name       string
	// Domain is the company's web domain, lower case, without scheme or www.
	Domain     string
	ModifiedAt time.Time
}

// Contact is a CRM contact or, with Lead set, a lead.
type Contact struct {
	ExternalID        string
	Lead              bool
	Email             string
	FirstName         string
	LastName          string
	Company           string
	AccountExternalID string
	// Converted leads name what they became.
	Converted              bool
	ConvertedContactID     string
	ConvertedAccountID     string
	ConvertedOpportunityID string
	CreatedAt              time.Time
	ModifiedAt             time.Time
}

// ContactAccount associates a contact with an account besides its primary one.
type ContactAccount struct {
	ContactExternalID string
	AccountExternalID string
}

// Opportunity is a CRM opportunity or deal.
type Opportunity struct {
	ExternalID        string
	Name              string
	AccountExternalID string
	// Amount is a decimal string ("1234.5"); "" when the CRM has none.
	Amount             string
	Currency           string
	Pipeline           string
	Stage              string
	IsWon              bool
	IsClosed           bool
	CreatedAt          time.Time
	CloseDate          time.Time
	CampaignExternalID string
	ModifiedAt         time.Time
}

// ContactRole ties a contact to an opportunity.
type ContactRole struct {
	OpportunityExternalID string
	ContactExternalID     string
	Role                  string
	IsPrimary             bool
	// Deleted removes the tie (the role was deleted or the association removed).
	Deleted bool
}

// Stage is one stage of a deal pipeline.
type Stage struct {
	Pipeline     string
	PipelineName string
	Stage        string
	StageName    string
	Position     int
	IsWon        bool
	IsClosed     bool
	// Probability is a decimal string in [0,1]; "" when unknown.
	Probability string
}

// Campaign is a CRM campaign.
type Campaign struct {
	ExternalID string
	Name       string
	Type       string
	Status     string
	ModifiedAt time.Time
}

// CampaignMember is a lead or contact's membership of a CRM campaign.
type CampaignMember struct {
	ExternalID         string
	CampaignExternalID string
	LeadExternalID     string
	ContactExternalID  string
	Status             string
	HasResponded       bool
	FirstRespondedDate time.Time
	ModifiedAt         time.Time
}

// SpendDay is one campaign's spend, clicks and impressions on one day, in the ad
// account's currency.
type SpendDay struct {
	AccountID    string
	CampaignID   string
	CampaignName string
	// Day is midnight UTC of the date the platform reports.
	Day time.Time
	// Spend is a decimal string in the account currency ("12.34").
	Spend       string
	Currency    string
	Clicks      int64
	Impressions int64
}

// Deletion marks a record deleted at the source; MergedInto names the survivor of a
// merge.
type Deletion struct {
	Object     Object
	ExternalID string
	MergedInto string
}

// Touchpoint is one tracked interaction of an identified person, ready to write to
// a CRM.
type Touchpoint struct {
	// ID is the event id: stable, so a rewrite updates the same CRM record.
	ID          string
	OccurredAt  time.Time
	Type        string
	Name        string
	URL         string
	Title       string
	Referrer    string
	Channel     string
	UTMSource   string
	UTMMedium   string
	UTMCampaign string
	UTMContent  string
	UTMTerm     string
	FormName    string
	Email       string
	// The CRM records the person is: contact and/or lead ids, and the open or won
	// opportunities the person has a role in.
	ContactID      string
	LeadID         string
	OpportunityIDs []string
}

// WriteResult is the outcome of writing one touchpoint.
type WriteResult struct {
	ID         string
	ExternalID string
	Created    bool
	// Err is the CRM's reason for refusing this touchpoint; it is not retried.
	Err string
}
