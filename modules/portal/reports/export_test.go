package reports

// SetCampaignPaging lets the tests page the campaigns report and cut its list
// without indexing thousands of campaigns (0 restores a default).
func SetCampaignPaging(s *Service, page, rows int) {
	s.campaignPageSize, s.campaignRowLimit = page, rows
}
