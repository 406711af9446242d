package csvimport_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/srgplatform/srg/app/errs"
	"github.com/srgplatform/srg/modules/sync/connector"
	"github.com/srgplatform/srg/modules/sync/csvimport"
)

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func TestParseValid(t *testing.T) {
	tests := []struct {
		name    string
		kind    csvimport.Kind
		body    string
		want    connector.Page
		ignored []string
		rows    int
	}{{
		name: "contacts with aliases and an unknown column",
		kind: csvimport.Contacts,
		body: "External ID,E-Mail,FirstName,Last Name,Company Name,Account ID,Phone,Created At\n" +
			"c1, ann@acme.example ,Ann,Lee,Acme,a1,555,2024-03-01\n" +
			"c2,bob@globex.example,,,,,,2024-03-02T10:00:00+02:00\n",
		want: connector.Page{Contacts: []connector.Contact{
			{ExternalID: "c1", Email: "ann@acme.example", FirstName: "Ann", LastName: "Lee", Company: "Acme", AccountExternalID: "a1", CreatedAt: date(2024, 3, 1)},
			{ExternalID: "c2", Email: "bob@globex.example", CreatedAt: time.Date(2024, 3, 2, 8, 0, 0, 0, time.UTC)},
		}},
		ignored: []string{"Phone"},
		rows:    2,
	}, {
		name: "byte order mark, semicolons, CRLF",
		kind: csvimport.Contacts,
		body: "\xEF\xBB\xBFid;email;company\r\nc1;ann@acme.example;\"Acme; Inc\"\r\n",
		want: connector.Page{Contacts: []connector.Contact{{ExternalID: "c1", Email: "ann@acme.example", Company: "Acme; Inc"}}},
		rows: 1,
	}, {
		name: "tabs",
		kind: csvimport.Accounts,
		body: "id\tname\na1\tAcme, Inc\n",
		want: connector.Page{Accounts: []connector.Account{{ExternalID: "a1", Name: "Acme, Inc"}}},
		rows: 1,
	}, {
		name: "quoted line breaks, blank lines and empty rows, a trailing empty value",
		kind: csvimport.Accounts,
		body: "id,name,\n\n\"a1\",\"Acme\nEurope\",\n,,\n a2 ,Globex,,\n\n",
		want: connector.Page{Accounts: []connector.Account{{ExternalID: "a1", Name: "Acme\nEurope"}, {ExternalID: "a2", Name: "Globex"}}},
		rows: 2,
	}, {
		name: "domains are normalised",
		kind: csvimport.Accounts,
		body: "ID,Website\na1,https://www.Example.com/about?x=1\na2,WWW.acme.io\na3,globex.co.uk:8080/\na4,\na5,http://bücher.example.\n",
		want: connector.Page{Accounts: []connector.Account{
			{ExternalID: "a1", Domain: "example.com"}, {ExternalID: "a2", Domain: "acme.io"},
			{ExternalID: "a3", Domain: "globex.co.uk"}, {ExternalID: "a4"}, {ExternalID: "a5", Domain: "bücher.example"},
		}},
		rows: 5,
	}, {
		name: "opportunities",
		kind: csvimport.Opportunities,
		body: "id,name,account_id,amount,currency,pipeline,stage,is_won,is_closed,created_date,close_date,campaign_id\n" +
			"o1,Big deal,a1,-1234.50,eur,default,Won,yes,,2024-01-02T03:04:05Z,2024-05-31T23:30:00-05:00,701\n" +
			"o2,Lost,a2,0.0001,USD,,Lost,No,TRUE,,2024-06-01,\n" +
			"o3,Open,,9999999999999999.9999,,,Open,0,0,,,\n" +
			"o4,,,,,,,,,,,\n",
		want: connector.Page{Opportunities: []connector.Opportunity{
			{ExternalID: "o1", Name: "Big deal", AccountExternalID: "a1", Amount: "-1234.50", Currency: "EUR", Pipeline: "default", Stage: "Won",
				IsWon: true, IsClosed: true, CreatedAt: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC), CloseDate: date(2024, 5, 31), CampaignExternalID: "701"},
			{ExternalID: "o2", Name: "Lost", AccountExternalID: "a2", Amount: "0.0001", Currency: "USD", Stage: "Lost", IsClosed: true, CloseDate: date(2024, 6, 1)},
			{ExternalID: "o3", Name: "Open", Amount: "9999999999999999.9999", Stage: "Open"},
			{ExternalID: "o4"},
		}},
		rows: 4,
	}, {
		name: "header only",
		kind: csvimport.Opportunities,
		body: "id,amount\n",
		rows: 0,
	}, {
		name: "header after blank lines",
		kind: csvimport.Accounts,
		body: "\n\nid\na1\n",
		want: connector.Page{Accounts: []connector.Account{{ExternalID: "a1"}}},
		rows: 1,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := csvimport.Parse(tt.kind, strings.NewReader(tt.body), csvimport.Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Errors) > 0 {
				t.Fatalf("errors: %v", res.Errors)
			}
			if diff := cmp.Diff(tt.want, res.Page, cmpopts.EquateEmpty(), cmpopts.EquateApproxTime(0)); diff != "" {
				t.Errorf("page (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.ignored, res.Ignored, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("ignored (-want +got):\n%s", diff)
			}
			if res.Rows != tt.rows {
				t.Errorf("rows = %d, want %d", res.Rows, tt.rows)
			}
		})
	}
}

func TestParseRowErrors(t *testing.T) {
	tests := []struct {
		name   string
		kind   csvimport.Kind
		body   string
		limits csvimport.Limits
		want   []csvimport.RowError
		trunc  bool
	}{{
		name: "missing required column",
		kind: csvimport.Contacts,
		body: "id,name\nc1,Ann\n",
		want: []csvimport.RowError{{Line: 1, Column: "email", Message: "required column is missing"}},
	}, {
		name: "no header",
		kind: csvimport.Contacts,
		body: "c1,ann@acme.example\nc2,bob@acme.example\n",
		want: []csvimport.RowError{{Line: 1, Message: "the first line names no known column: it must be a header such as id,email,first_name,last_name,company,account_id"}},
	}, {
		name: "two headers for one column",
		kind: csvimport.Contacts,
		body: "id,email,Email Address\nc1,a@b.example,a@b.example\n",
		want: []csvimport.RowError{{Line: 1, Column: "Email Address", Message: `"email" and "Email Address" are both the email column: keep one`}},
	}, {
		name: "bad header quoting",
		kind: csvimport.Accounts,
		body: "id,\"name\n",
		want: []csvimport.RowError{{Line: 1, Message: `a quoted value is not closed, or text follows its closing "`}},
	}, {
		name: "invalid emails",
		kind: csvimport.Contacts,
		body: "id,email\nc1,ann\nc2,Ann <ann@acme.example>\nc3,ann@localhost\nc4,ann@@acme.example\nc5,ann@acme.example\n",
		want: []csvimport.RowError{
			{Line: 2, Column: "email", Message: "not a valid email address"},
			{Line: 3, Column: "email", Message: "not a valid email address"},
			{Line: 4, Column: "email", Message: "not a valid email address"},
			{Line: 5, Column: "email", Message: "not a valid email address"},
		},
	}, {
		name: "required values",
		kind: csvimport.Contacts,
		body: "Contact ID,Email\n,ann@acme.example\nc2,  \n",
		want: []csvimport.RowError{
			{Line: 2, Column: "Contact ID", Message: "a value is required"},
			{Line: 3, Column: "Email", Message: "a value is required"},
		},
	}, {
		name: "duplicate id",
		kind: csvimport.Accounts,
		body: "id,name\na1,Acme\na2,Globex\n a1 ,Acme again\n",
		want: []csvimport.RowError{{Line: 4, Column: "id", Message: `duplicate id "a1" (first on line 2)`}},
	}, {
		name: "long id",
		kind: csvimport.Accounts,
		body: "id\n" + strings.Repeat("x", 256) + "\n",
		want: []csvimport.RowError{{Line: 2, Column: "id", Message: "longer than 255 characters"}},
	}, {
		name: "wrong field counts",
		kind: csvimport.Accounts,
		body: "id,name,domain\na1,Acme\na2,Globex,globex.example,extra\na3,Initech,initech.example,,\n",
		want: []csvimport.RowError{
			{Line: 2, Message: "the line has 2 values but the header has 3 columns"},
			{Line: 3, Message: "the line has 4 values but the header has 3 columns"},
		},
	}, {
		name: "quotes",
		kind: csvimport.Accounts,
		body: "id,name\na1,Acme \"The\" Company\na2,Globex\na3,\"Initech\nInc\n",
		want: []csvimport.RowError{
			{Line: 2, Message: `a " appears inside a value that is not quoted: quote the whole value and double each " inside it`},
			{Line: 4, Message: `a quoted value is not closed, or text follows its closing "`},
		},
	}, {
		name: "error on a value after a quoted line break",
		kind: csvimport.Accounts,
		body: "id,name,domain\na1,\"Acme\nEurope\",not a domain\n",
		want: []csvimport.RowError{{Line: 3, Column: "domain", Message: "not a web domain or URL (e.g. example.com)"}},
	}, {
		name: "not UTF-8",
		kind: csvimport.Contacts,
		body: "id,email,first_name\nc1,jose@acme.example,Jos\xe9\n",
		want: []csvimport.RowError{{Line: 2, Column: "first_name", Message: `not valid UTF-8 text: save the file as "CSV UTF-8"`}},
	}, {
		name: "bad domains",
		kind: csvimport.Accounts,
		body: "id,domain\na1,acme\na2,mailto:ann@acme.example\na3,192.168.0.1\na4,ftp://acme.example\na5,ac me.example\na6,-acme.example\n",
		want: []csvimport.RowError{
			{Line: 2, Column: "domain", Message: "not a web domain or URL (e.g. example.com)"},
			{Line: 3, Column: "domain", Message: "not a web domain or URL (e.g. example.com)"},
			{Line: 4, Column: "domain", Message: "not a web domain or URL (e.g. example.com)"},
			{Line: 5, Column: "domain", Message: "not a web domain or URL (e.g. example.com)"},
			{Line: 6, Column: "domain", Message: "not a web domain or URL (e.g. example.com)"},
			{Line: 7, Column: "domain", Message: "not a web domain or URL (e.g. example.com)"},
		},
	}, {
		name: "bad opportunity values",
		kind: csvimport.Opportunities,
		body: "id,amount,currency,is_won,close_date\n" +
			"o1,\"1,234.50\",US,maybe,31/05/2024\n" +
			"o2,$100,XYZ,,\n" +
			"o3,1e5,,,\n" +
			"o4,12.34567,,,\n" +
			"o5,12345678901234567,,,\n" +
			"o6,.5,,,\n" +
			"o7,\"12,5\",,,\n",
		limits: csvimport.Limits{MaxErrors: 1000},
		want: []csvimport.RowError{
			{Line: 2, Column: "amount", Message: "not a plain number: use digits with an optional '.' and decimals, no thousand separators or currency symbols (e.g. 1234.50)"},
			{Line: 2, Column: "currency", Message: "not an ISO 4217 currency code (e.g. USD, EUR)"},
			{Line: 2, Column: "is_won", Message: "not a yes/no value: use true, false, yes, no, 1 or 0"},
			{Line: 2, Column: "close_date", Message: "not a date: use YYYY-MM-DD or an RFC 3339 timestamp such as 2024-05-31T14:00:00Z"},
			{Line: 3, Column: "amount", Message: "not a plain number: use digits with an optional '.' and decimals, no thousand separators or currency symbols (e.g. 1234.50)"},
			{Line: 3, Column: "currency", Message: "not an ISO 4217 currency code (e.g. USD, EUR)"},
			{Line: 4, Column: "amount", Message: "not a plain number: use digits with an optional '.' and decimals, no thousand separators or currency symbols (e.g. 1234.50)"},
			{Line: 5, Column: "amount", Message: "too precise: at most 4 decimals"},
			{Line: 6, Column: "amount", Message: "too large: at most 16 digits before the decimal point"},
			{Line: 7, Column: "amount", Message: "not a plain number: use digits with an optional '.' and decimals, no thousand separators or currency symbols (e.g. 1234.50)"},
			{Line: 8, Column: "amount", Message: "not a plain number: use digits with an optional '.' and decimals, no thousand separators or currency symbols (e.g. 1234.50)"},
		},
	}, {
		name: "won but not closed",
		kind: csvimport.Opportunities,
		body: "id,Won,Closed\no1,1,1\no2,true,false\n",
		want: []csvimport.RowError{{Line: 3, Column: "Closed", Message: "a won opportunity must be closed: is_won is true but is_closed is false"}},
	}, {
		name:   "too many errors",
		kind:   csvimport.Accounts,
		body:   "id,domain\na1,x\na2,y\na3,z\n",
		limits: csvimport.Limits{MaxErrors: 2},
		want: []csvimport.RowError{
			{Line: 2, Column: "domain", Message: "not a web domain or URL (e.g. example.com)"},
			{Line: 3, Column: "domain", Message: "not a web domain or URL (e.g. example.com)"},
		},
		trunc: true,
	}, {
		name:   "exactly as many errors as allowed",
		kind:   csvimport.Accounts,
		body:   "id,domain\na1,x\na2,y\na3,z.example\n",
		limits: csvimport.Limits{MaxErrors: 2},
		want: []csvimport.RowError{
			{Line: 2, Column: "domain", Message: "not a web domain or URL (e.g. example.com)"},
			{Line: 3, Column: "domain", Message: "not a web domain or URL (e.g. example.com)"},
		},
	}, {
		name: "a NUL past the sniffed start",
		kind: csvimport.Accounts,
		body: "id,name\n" + manyRows(20000) + "z,x\x00y\n",
		want: []csvimport.RowError{{Line: 20002, Column: "name", Message: "contains a NUL character"}},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := csvimport.Parse(tt.kind, strings.NewReader(tt.body), tt.limits)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, res.Errors); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
			if res.Truncated != tt.trunc {
				t.Errorf("truncated = %v, want %v", res.Truncated, tt.trunc)
			}
			if n := res.Page.Len(); n != 0 {
				t.Errorf("page has %d records despite errors", n)
			}
		})
	}
}

// manyRows is n valid account rows with ids r1...rn.
func manyRows(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "r%d,Name\n", i+1)
	}
	return b.String()
}

func TestParseFileErrors(t *testing.T) {
	tests := []struct {
		name   string
		kind   csvimport.Kind
		body   string
		limits csvimport.Limits
		want   string
	}{
		{"empty", csvimport.Contacts, "", csvimport.Limits{}, "the file is empty: its first line must name the columns, e.g. id,email,first_name,last_name,company,account_id"},
		{"only a byte order mark and blank lines", csvimport.Accounts, "\xEF\xBB\xBF\r\n\n", csvimport.Limits{}, "the file is empty: its first line must name the columns, e.g. id,name,domain"},
		{"excel workbook", csvimport.Accounts, "PK\x03\x04\x14\x00\x06\x00", csvimport.Limits{}, `the file is a zip archive or Excel workbook, not a CSV file: export or save it as "CSV UTF-8"`},
		{"old excel workbook", csvimport.Accounts, "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", csvimport.Limits{}, `the file is an Excel 97-2003 workbook, not a CSV file: export or save it as "CSV UTF-8"`},
		{"utf-16", csvimport.Accounts, "\xFF\xFEi\x00d\x00\n\x00", csvimport.Limits{}, `the file is UTF-16 text, not a CSV file: export or save it as "CSV UTF-8"`},
		{"binary", csvimport.Accounts, "id\x00\x01\x02", csvimport.Limits{}, `the file is binary, not a CSV file: export or save it as "CSV UTF-8"`},
		{"latin-1 header", csvimport.Accounts, "id,soci\xe9t\xe9\na1,b\n", csvimport.Limits{}, `the file is not UTF-8 text, not a CSV file: export or save it as "CSV UTF-8"`},
		{"too large", csvimport.Accounts, "id\na1\na2\n", csvimport.Limits{MaxBytes: 8}, "the file is larger than 8 bytes: split it into several files"},
		{"too large past the first buffer", csvimport.Accounts, "id,name\n" + manyRows(20000), csvimport.Limits{MaxBytes: 100 << 10}, "the file is larger than 102400 bytes: split it into several files"},
		{"too many rows", csvimport.Accounts, "id\na1\na2\na3\n", csvimport.Limits{MaxRows: 2}, "the file has more than 2 rows: split it into several files"},
		{"unknown kind", csvimport.Kind("leads"), "id\n", csvimport.Limits{}, `unknown import kind "leads": use contacts, accounts or opportunities`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := csvimport.Parse(tt.kind, strings.NewReader(tt.body), tt.limits)
			if err == nil {
				t.Fatalf("no error; result %+v", res)
			}
			if errs.KindOf(err) != errs.KindInvalid {
				t.Errorf("kind = %s, want invalid (%v)", errs.KindOf(err), err)
			}
			if got := errs.MessageOf(err); got != tt.want {
				t.Errorf("message:\n got %s\nwant %s", got, tt.want)
			}
			if res.Page.Len() != 0 || len(res.Errors) != 0 {
				t.Errorf("result not empty: %+v", res)
			}
		})
	}
}

func TestParseExactlyAtLimits(t *testing.T) {
	body := "id\na1\na2\n"
	res, err := csvimport.Parse(csvimport.Accounts, strings.NewReader(body), csvimport.Limits{MaxBytes: int64(len(body)), MaxRows: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Page.Accounts) != 2 {
		t.Errorf("accounts = %+v", res.Page.Accounts)
	}
}

func TestParseReadFailure(t *testing.T) {
	boom := errors.New("connection reset")
	_, err := csvimport.Parse(csvimport.Accounts, iotest.ErrReader(boom), csvimport.Limits{})
	if !errors.Is(err, boom) || errs.KindOf(err) != errs.KindInternal {
		t.Fatalf("err = %v, want the read error as an internal error", err)
	}
	body := iotestHalf("id,name\n"+manyRows(30000), boom)
	_, err = csvimport.Parse(csvimport.Accounts, body, csvimport.Limits{})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want the read error mid-file", err)
	}
}

func iotestHalf(s string, err error) *failAfter {
	return &failAfter{r: strings.NewReader(s[:len(s)/2]), err: err}
}

type failAfter struct {
	r   *strings.Reader
	err error
}

func (f *failAfter) Read(b []byte) (int, error) {
	n, _ := f.r.Read(b)
	if n == 0 {
		return 0, f.err
	}
	return n, nil
}

func TestParseKindAndColumns(t *testing.T) {
	for _, s := range []string{"contacts", " Accounts ", "OPPORTUNITIES"} {
		if _, err := csvimport.ParseKind(s); err != nil {
			t.Errorf("ParseKind(%q): %v", s, err)
		}
	}
	if _, err := csvimport.ParseKind("deals"); errs.FieldOf(err) != "kind" {
		t.Errorf("ParseKind(deals) = %v, want an invalid kind", err)
	}
	var names []string
	for _, c := range csvimport.Columns(csvimport.Accounts) {
		names = append(names, c.Name)
	}
	if diff := cmp.Diff([]string{"id", "name", "domain"}, names); diff != "" {
		t.Errorf("account columns (-want +got):\n%s", diff)
	}
}
