package identity

import "testing"

func TestEmailDomain(t *testing.T) {
	tests := []struct {
		email, domain string
		ok            bool
	}{
		{"ann@acme.example", "acme.example", true},
		{"Ann.Smith@Sub.ACME.example", "sub.acme.example", true},
		{"nobody", "", false},
		{"a@localhost", "", false},
		{"Ann <ann@acme.example>", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		got, err := EmailDomain(tt.email)
		if (err == nil) != tt.ok || got != tt.domain {
			t.Errorf("EmailDomain(%q) = %q, %v", tt.email, got, err)
		}
	}
}

func TestFreeMail(t *testing.T) {
	f := loadFreeMail()
	if len(f) < 1000 {
		t.Fatalf("free-mail list has only %d domains", len(f))
	}
	for _, d := range []string{"gmail.com", "outlook.com", "yahoo.com", "hotmail.com", "icloud.com", "proton.me", "mail.gmail.com"} {
		if !f.has(d) {
			t.Errorf("%s should be free mail", d)
		}
	}
	for _, d := range []string{"acme.example", "salesforce.com", "com", "gmail.com.acme.example"} {
		if f.has(d) {
			t.Errorf("%s should not be free mail", d)
		}
	}
}
