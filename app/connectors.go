package app

import (
	"github.com/srgplatform/srg/modules/sync/connector"
	"github.com/srgplatform/srg/modules/sync/googleads"
	"github.com/srgplatform/srg/modules/sync/hubspot"
	"github.com/srgplatform/srg/modules/sync/linkedinads"
	"github.com/srgplatform/srg/modules/sync/metaads"
	"github.com/srgplatform/srg/modules/sync/salesforce"

	syncer "github.com/srgplatform/srg/modules/sync"
)

// connectorFactories are the sources this build can connect.
func connectorFactories() map[connector.Kind]syncer.Factory {
	return map[connector.Kind]syncer.Factory{
		connector.HubSpot:    func(c connector.Config) (connector.Puller, error) { return hubspot.New(c) },
		connector.Salesforce: func(c connector.Config) (connector.Puller, error) { return salesforce.New(c) },
		connector.GoogleAds:  func(c connector.Config) (connector.Puller, error) { return googleads.New(c) },
		connector.LinkedIn:   func(c connector.Config) (connector.Puller, error) { return linkedinads.New(c) },
		connector.Meta:       func(c connector.Config) (connector.Puller, error) { return metaads.New(c) },
	}
}
