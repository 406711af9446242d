package csvimport

import (
	"strings"
	"time"

	"github.com/srgplatform/srg/modules/sync/connector"
)

// Column is one column an import kind understands.
type Column struct {
	// Name is the canonical header; Aliases are other headers taken for it. Headers
	// are compared after lower-casing, trimming and turning spaces and hyphens into
	// underscores, so "First Name" and "first-name" both match first_name.
	Name    string
	Aliases []string
	// Required columns must be in the header and have a value on every row.
	Required bool
	// set stores a trimmed, non-empty value in rec; it returns a message for the user
	// when the value is unusable.
	set func(rec *record, v string) string
}

// record is the row being built, whatever the kind; finish turns it into the kind's
// mirror record.
type record struct {
	account connector.Account
	contact connector.Contact
	opp     connector.Opportunity
	// closedSet says the is_closed column had a value, so is_won does not imply it.
	closedSet bool
}

// spec is how one kind is read.
type spec struct {
	columns []Column
	// example is a header shown when the first line names no known column.
	example string
	// finish checks what spans columns and appends the record to the page; it returns
	// the column (as named in the spec) and message of a problem, if any.
	finish func(rec *record, out *piles) (column, msg string)
}

func specFor(k Kind) (spec, bool) {
	switch k {
	case Contacts:
		return contactSpec, true
	case Accounts:
		return accountSpec, true
	case Opportunities:
		return opportunitySpec, true
	}
	return spec{}, false
}

var contactSpec = spec{
	example: "id,email,first_name,last_name,company,account_id",
	columns: []Column{
		{Name: "id", Aliases: []string{"external_id", "contact_id"}, Required: true,
			set: func(r *record, v string) string { return setID(&r.contact.ExternalID, v) }},
		{Name: "email", Aliases: []string{"email_address", "e_mail"}, Required: true,
			set: func(r *record, v string) string {
				if !validEmail(v) {
					return "not a valid email address"
				}
				r.contact.Email = v
				return ""
			}},
		{Name: "first_name", Aliases: []string{"firstname", "given_name"},
			set: func(r *record, v string) string { r.contact.FirstName = v; return "" }},
		{Name: "last_name", Aliases: []string{"lastname", "surname", "family_name"},
			set: func(r *record, v string) string { r.contact.LastName = v; return "" }},
		{Name: "company", Aliases: []string{"company_name"},
			set: func(r *record, v string) string { r.contact.Company = v; return "" }},
		{Name: "account_id", Aliases: []string{"account_external_id", "company_id"},
			set: func(r *record, v string) string { r.contact.AccountExternalID = v; return "" }},
		{Name: "created_date", Aliases: []string{"created_at", "create_date"},
			set: func(r *record, v string) string { return setTime(&r.contact.CreatedAt, v, false) }},
	},
	finish: func(r *record, out *piles) (string, string) {
		out.contacts.add(r.contact)
		return "", ""
	},
}

var accountSpec = spec{
	example: "id,name,domain",
	columns: []Column{
		{Name: "id", Aliases: []string{"external_id", "account_id", "company_id"}, Required: true,
			set: func(r *record, v string) string { return setID(&r.account.ExternalID, v) }},
		{Name: "name", Aliases: []string{"account_name", "company_name", "company"},
			set: func(r *record, v string) string { r.account.Name = v; return "" }},
		{Name: "domain", Aliases: []string{"website", "web_domain", "url", "web_site"},
			set: func(r *record, v string) string {
				d, ok := normaliseDomain(v)
				if !ok {
					return "not a web domain or URL (e.g. example.com)"
				}
				r.account.Domain = d
				return ""
			}},
	},
	finish: func(r *record, out *piles) (string, string) {
		out.accounts.add(r.account)
		return "", ""
	},
}

var opportunitySpec = spec{
	example: "id,name,account_id,amount,currency,stage,is_won,is_closed,close_date",
	columns: []Column{
		{Name: "id", Aliases: []string{"external_id", "opportunity_id", "deal_id"}, Required: true,
			set: func(r *record, v string) string { return setID(&r.opp.ExternalID, v) }},
		{Name: "name", Aliases: []string{"opportunity_name", "deal_name"},
			set: func(r *record, v string) string { r.opp.Name = v; return "" }},
		{Name: "account_id", Aliases: []string{"account_external_id", "company_id"},
			set: func(r *record, v string) string { r.opp.AccountExternalID = v; return "" }},
		{Name: "amount", Aliases: []string{"value", "deal_amount"},
			set: func(r *record, v string) string {
				if msg := checkAmount(v); msg != "" {
					return msg
				}
				r.opp.Amount = v
				return ""
			}},
		{Name: "currency", Aliases: []string{"currency_code", "currency_iso_code"},
			set: func(r *record, v string) string {
				c, ok := parseCurrency(v)
				if !ok {
					return "not an ISO 4217 currency code (e.g. USD, EUR)"
				}
				r.opp.Currency = c
				return ""
			}},
		{Name: "pipeline", Aliases: []string{"pipeline_name"},
			set: func(r *record, v string) string { r.opp.Pipeline = v; return "" }},
		{Name: "stage", Aliases: []string{"stage_name", "deal_stage"},
			set: func(r *record, v string) string { r.opp.Stage = v; return "" }},
		{Name: "is_won", Aliases: []string{"won"},
			set: func(r *record, v string) string { return setBool(&r.opp.IsWon, v) }},
		{Name: "is_closed", Aliases: []string{"closed"},
			set: func(r *record, v string) string {
				r.closedSet = true
				return setBool(&r.opp.IsClosed, v)
			}},
		{Name: "created_date", Aliases: []string{"created_at", "create_date"},
			set: func(r *record, v string) string { return setTime(&r.opp.CreatedAt, v, false) }},
		{Name: "close_date", Aliases: []string{"closed_date", "closedate"},
			set: func(r *record, v string) string { return setTime(&r.opp.CloseDate, v, true) }},
		{Name: "campaign_id", Aliases: []string{"campaign_external_id", "primary_campaign_id"},
			set: func(r *record, v string) string { r.opp.CampaignExternalID = v; return "" }},
	},
	finish: func(r *record, out *piles) (string, string) {
		if r.opp.IsWon && !r.opp.IsClosed {
			if r.closedSet {
				return "is_closed", "a won opportunity must be closed: is_won is true but is_closed is false"
			}
			// A file that only says won means closed too; CRMs treat won as a closed state.
			r.opp.IsClosed = true
		}
		out.opps.add(r.opp)
		return "", ""
	},
}

// maxID is the longest external id accepted, in bytes; CRM ids are far shorter, so a
// longer one is almost always a shifted column.
const maxID = 255

func setID(dst *string, v string) string {
	if len(v) > maxID {
		return "longer than 255 characters"
	}
	*dst = v
	return ""
}

func setBool(dst *bool, v string) string {
	switch strings.ToLower(v) {
	case "true", "yes", "1":
		*dst = true
	case "false", "no", "0":
		*dst = false
	default:
		return "not a yes/no value: use true, false, yes, no, 1 or 0"
	}
	return ""
}

// setTime reads a date (midnight UTC) or an RFC 3339 timestamp; dateOnly keeps only
// the calendar date as written, whatever the offset, for columns that are dates.
func setTime(dst *time.Time, v string, dateOnly bool) string {
	t, ok := parseTime(v)
	if !ok {
		return "not a date: use YYYY-MM-DD or an RFC 3339 timestamp such as 2024-05-31T14:00:00Z"
	}
	if dateOnly {
		t = time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	}
	*dst = t
	return ""
}

// header maps each field of the header row to its column; a nil entry is a field
// that is ignored.
type header struct {
	cols []*Column
	// names are the headers as written, for RowError.Column.
	names []string
}

// normaliseHeader makes "First Name", "first-name" and " FIRST_NAME " alike.
func normaliseHeader(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' {
			return '_'
		}
		return r
	}, s)
}
