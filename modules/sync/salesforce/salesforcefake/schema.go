package salesforcefake

import "strings"

// fieldType decides how a stored value is written to JSON and which SOQL literals a
// field can be compared with.
type fieldType int

const (
	tID fieldType = iota
	tString
	tBool
	tDateTime
	tDate
	tNumber
)

type fieldDef struct {
	name string
	typ  fieldType
	// describeType is what describe reports ("id", "reference", "picklist"...).
	describeType string
}

// object is one sObject type: its fields and its records in creation order.
type object struct {
	name   string
	prefix string
	fields []fieldDef
	// byLower maps a lower-case field name to its position: SOQL field names are
	// case-insensitive.
	byLower map[string]int
	recs    []*record
	byID    map[string]int
	nextID  int
}

// record holds one row's values as strings ("" is null), in the object's field
// order. Records are never changed in place: a change stores a new record, so a
// query locator keeps the snapshot it was created with.
type record struct {
	vals []string
}

// The positions every object shares.
const (
	fID = 0
)

func (o *object) field(name string) (int, bool) {
	i, ok := o.byLower[strings.ToLower(name)]
	return i, ok
}

func (o *object) must(name string) int {
	i, ok := o.field(name)
	if !ok {
		panic("salesforcefake: no field " + name + " on " + o.name)
	}
	return i
}

func (o *object) get(r *record, name string) string { return r.vals[o.must(name)] }

func f(name string, typ fieldType, describe string) fieldDef {
	return fieldDef{name: name, typ: typ, describeType: describe}
}

// common fields end every standard object's list.
func common(extra ...fieldDef) []fieldDef {
	out := append([]fieldDef{f("Id", tID, "id")}, extra...)
	return append(out,
		f("IsDeleted", tBool, "boolean"),
		f("CreatedDate", tDateTime, "datetime"),
		f("SystemModstamp", tDateTime, "datetime"),
	)
}

// schemas returns the objects the fake knows. Opportunity has CurrencyIsoCode only
// in a multi-currency org, as in Salesforce.
func schemas(multiCurrency bool, touchpointObject, touchpointExternalID string) []*object {
	oppFields := []fieldDef{
		f("Name", tString, "string"),
		f("AccountId", tID, "reference"),
		f("Amount", tNumber, "currency"),
		f("StageName", tString, "picklist"),
		f("CloseDate", tDate, "date"),
		f("IsClosed", tBool, "boolean"),
		f("IsWon", tBool, "boolean"),
		f("CampaignId", tID, "reference"),
	}
	if multiCurrency {
		oppFields = append(oppFields, f("CurrencyIsoCode", tString, "picklist"))
	}
	objs := []*object{
		{name: "Account", prefix: "001", fields: common(
			f("Name", tString, "string"),
			f("Website", tString, "url"),
			f("MasterRecordId", tID, "reference"),
		)},
		{name: "Contact", prefix: "003", fields: common(
			f("AccountId", tID, "reference"),
			f("Email", tString, "email"),
			f("FirstName", tString, "string"),
			f("LastName", tString, "string"),
			f("MasterRecordId", tID, "reference"),
		)},
		{name: "Lead", prefix: "00Q", fields: common(
			f("Email", tString, "email"),
			f("FirstName", tString, "string"),
			f("LastName", tString, "string"),
			f("Company", tString, "string"),
			f("Status", tString, "picklist"),
			f("IsConverted", tBool, "boolean"),
			f("ConvertedContactId", tID, "reference"),
			f("ConvertedAccountId", tID, "reference"),
			f("ConvertedOpportunityId", tID, "reference"),
			f("MasterRecordId", tID, "reference"),
		)},
		{name: "Opportunity", prefix: "006", fields: common(oppFields...)},
		{name: "OpportunityContactRole", prefix: "00K", fields: common(
			f("OpportunityId", tID, "reference"),
			f("ContactId", tID, "reference"),
			f("Role", tString, "picklist"),
			f("IsPrimary", tBool, "boolean"),
		)},
		{name: "Campaign", prefix: "701", fields: common(
			f("Name", tString, "string"),
			f("Type", tString, "picklist"),
			f("Status", tString, "picklist"),
		)},
		{name: "CampaignMember", prefix: "00v", fields: common(
			f("CampaignId", tID, "reference"),
			f("LeadId", tID, "reference"),
			f("ContactId", tID, "reference"),
			f("Status", tString, "picklist"),
			f("HasResponded", tBool, "boolean"),
			f("FirstRespondedDate", tDate, "date"),
		)},
		{name: "OpportunityStage", prefix: "01J", fields: common(
			f("ApiName", tString, "string"),
			f("MasterLabel", tString, "string"),
			f("IsActive", tBool, "boolean"),
			f("IsClosed", tBool, "boolean"),
			f("IsWon", tBool, "boolean"),
			f("SortOrder", tNumber, "int"),
			f("DefaultProbability", tNumber, "percent"),
		)},
		{name: touchpointObject, prefix: "a0T", fields: common(
			f(touchpointExternalID, tString, "string"),
			f(TPLead, tID, "reference"),
			f(TPContact, tID, "reference"),
			f(TPOpportunity, tID, "reference"),
			f(TPOccurredAt, tDateTime, "datetime"),
			f(TPType, tString, "string"),
			f(TPName, tString, "string"),
			f(TPChannel, tString, "string"),
			f(TPURL, tString, "url"),
			f(TPTitle, tString, "string"),
			f(TPReferrer, tString, "url"),
			f(TPUTMSource, tString, "string"),
			f(TPUTMMedium, tString, "string"),
			f(TPUTMCampaign, tString, "string"),
			f(TPUTMContent, tString, "string"),
			f(TPUTMTerm, tString, "string"),
			f(TPFormName, tString, "string"),
			f(TPEmail, tString, "email"),
		)},
	}
	for _, o := range objs {
		o.byLower = make(map[string]int, len(o.fields))
		for i, fd := range o.fields {
			o.byLower[strings.ToLower(fd.name)] = i
		}
		o.byID = map[string]int{}
	}
	return objs
}

// The touchpoint object's fields besides its external id, as the salesforce package
// writes them; an org installs them with the SRG package.
const (
	TPLead        = "Lead__c"
	TPContact     = "Contact__c"
	TPOpportunity = "Opportunity__c"
	TPOccurredAt  = "Occurred_At__c"
	TPType        = "Type__c"
	TPName        = "Name__c"
	TPChannel     = "Channel__c"
	TPURL         = "URL__c"
	TPTitle       = "Title__c"
	TPReferrer    = "Referrer__c"
	TPUTMSource   = "UTM_Source__c"
	TPUTMMedium   = "UTM_Medium__c"
	TPUTMCampaign = "UTM_Campaign__c"
	TPUTMContent  = "UTM_Content__c"
	TPUTMTerm     = "UTM_Term__c"
	TPFormName    = "Form_Name__c"
	TPEmail       = "Email__c"
)

// maxText is the length of a Text(255) field; a longer value is refused.
const maxText = 255
