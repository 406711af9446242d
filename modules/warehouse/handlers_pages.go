package warehouse

import "github.com/srgplatform/srg/app/web"

func (m *Module) pageRoutes() []web.Route { return nil }
