package hubspot

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/srgplatform/srg/modules/sync/apiclient"
)

// object is a CRM record as the v3 API returns it: every property a string or null.
type object struct {
	ID         string             `json:"id"`
	Properties map[string]*string `json:"properties"`
	CreatedAt  string             `json:"createdAt"`
	UpdatedAt  string             `json:"updatedAt"`
	Archived   bool               `json:"archived"`
	ArchivedAt string             `json:"archivedAt"`
}

func (o object) get(name string) string {
	if v := o.Properties[name]; v != nil {
		return strings.TrimSpace(*v)
	}
	return ""
}

// has says whether the property came back with a value (null or absent is no).
func (o object) has(name string) bool { return o.Properties[name] != nil }

// timeOf is a datetime property, falling back to a top-level timestamp.
func (o object) timeOf(name, fallback string) time.Time {
	if t, ok := parseTime(o.get(name)); ok {
		return t
	}
	t, _ := parseTime(fallback)
	return t
}

type paging struct {
	Next *struct {
		After string `json:"after"`
	} `json:"next"`
}

func (p *paging) after() string {
	if p == nil || p.Next == nil {
		return ""
	}
	return p.Next.After
}

// batchError is one error of a batch response (HTTP 207).
type batchError struct {
	Status      string              `json:"status"`
	Category    string              `json:"category"`
	SubCategory string              `json:"subCategory"`
	Message     string              `json:"message"`
	Context     map[string][]string `json:"context"`
}

// parseTime reads HubSpot's datetimes: ISO 8601, epoch milliseconds, or a date.
func parseTime(v string) (time.Time, bool) {
	if v == "" {
		return time.Time{}, false
	}
	if ms, err := strconv.ParseInt(v, 10, 64); err == nil {
		return time.UnixMilli(ms).UTC(), true
	}
	for _, layout := range []string{time.RFC3339Nano, time.DateOnly} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// stamp is a cursor's text for a time: RFC 3339 with milliseconds, HubSpot's
// precision.
func stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z07:00") }

var plainDecimal = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?$`)

// decimal normalises a number property for a numeric column: "" when it is not a
// number.
func decimal(v string) string {
	v = strings.TrimSpace(v)
	if plainDecimal.MatchString(v) {
		return v
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return ""
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// domain reduces a company domain or website to its host, lower case, without www.
func domain(v string) string {
	v = strings.ToLower(strings.TrimSpace(v))
	if v == "" {
		return ""
	}
	if !strings.Contains(v, "://") {
		v = "http://" + v
	}
	u, err := url.Parse(v)
	if err != nil {
		return ""
	}
	return strings.TrimPrefix(u.Hostname(), "www.")
}

// assoc is one associated record with its association types.
type assoc struct {
	ToObjectID       int64 `json:"toObjectId"`
	AssociationTypes []struct {
		Category string  `json:"category"`
		TypeID   int     `json:"typeId"`
		Label    *string `json:"label"`
	} `json:"associationTypes"`
}

func (a assoc) id() string { return strconv.FormatInt(a.ToObjectID, 10) }

// is says whether the association has the HubSpot-defined type id.
func (a assoc) is(typeID int) bool {
	for _, t := range a.AssociationTypes {
		if t.Category == "HUBSPOT_DEFINED" && t.TypeID == typeID {
			return true
		}
	}
	return false
}

// label is the first label the portal defined (a deal contact's role).
func (a assoc) label() string {
	for _, t := range a.AssociationTypes {
		if t.Category == "USER_DEFINED" && t.Label != nil {
			return *t.Label
		}
	}
	return ""
}

// associations reads the from records' associations to the to type: one batch
// read for the page, and the per-record list endpoint for any record with more
// than a batch returns.
func (c *Connector) associations(ctx context.Context, from, to string, ids []string) (map[string][]assoc, error) {
	out := map[string][]assoc{}
	if len(ids) == 0 {
		return out, nil
	}
	type input struct {
		ID string `json:"id"`
	}
	body := struct {
		Inputs []input `json:"inputs"`
	}{}
	for _, id := range ids {
		body.Inputs = append(body.Inputs, input{ID: id})
	}
	var resp struct {
		Results []struct {
			From struct {
				ID string `json:"id"`
			} `json:"from"`
			To     []assoc `json:"to"`
			Paging *paging `json:"paging"`
		} `json:"results"`
		Errors []batchError `json:"errors"`
	}
	path := fmt.Sprintf("/crm/v4/associations/%s/%s/batch/read", from, to)
	if err := c.api.JSON(ctx, apiclient.Request{Method: http.MethodPost, Path: path, Body: body}, &resp); err != nil {
		return nil, fmt.Errorf("read %s→%s associations: %w", from, to, err)
	}
	for _, e := range resp.Errors {
		// Records without associations come back as errors; anything else means
		// the answer is incomplete.
		if e.SubCategory != "crm.associations.NO_ASSOCIATIONS_FOUND" {
			return nil, fmt.Errorf("read %s→%s associations: %s (%s)", from, to, e.Message, e.Category)
		}
	}
	for _, r := range resp.Results {
		out[r.From.ID] = append(out[r.From.ID], r.To...)
		for after := r.Paging.after(); after != ""; {
			var more struct {
				Results []assoc `json:"results"`
				Paging  *paging `json:"paging"`
			}
			p := fmt.Sprintf("/crm/v4/objects/%s/%s/associations/%s", from, url.PathEscape(r.From.ID), to)
			q := url.Values{"limit": {"500"}, "after": {after}}
			if err := c.api.JSON(ctx, apiclient.Request{Method: http.MethodGet, Path: p, Query: q}, &more); err != nil {
				return nil, fmt.Errorf("read %s %s's %s associations: %w", from, r.From.ID, to, err)
			}
			out[r.From.ID] = append(out[r.From.ID], more.Results...)
			after = more.Paging.after()
		}
	}
	return out, nil
}
