package app

import (
	"github.com/srgplatform/srg/modules/sync/connector"

	syncer "github.com/srgplatform/srg/modules/sync"
)

// connectorFactories are the sources this build can connect.
func connectorFactories() map[connector.Kind]syncer.Factory {
	return map[connector.Kind]syncer.Factory{}
}
