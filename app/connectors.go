package app

import (
	"github.com/srgplatform/srg/modules/sync/connector"
	"github.com/srgplatform/srg/modules/sync/salesforce"

	syncer "github.com/srgplatform/srg/modules/sync"
)

// connectorFactories are the sources this build can connect.
func connectorFactories() map[connector.Kind]syncer.Factory {
	return map[connector.Kind]syncer.Factory{
		connector.Salesforce: func(c connector.Config) (connector.Puller, error) { return salesforce.New(c) },
	}
}
