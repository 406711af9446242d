package reports

// SetCampaignLimits lets the tests see the campaigns report truncate without
// indexing thousands of campaigns (0 restores a default).
func SetCampaignLimits(s *Service, campaigns, sources int) {
	s.campaigns, s.sources = campaigns, sources
}
