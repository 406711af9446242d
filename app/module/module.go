// Package module declares how a business module plugs into the platform: the app
// builds each module with its dependencies and mounts what it returns here.
package module

import (
	"context"

	"github.com/srgplatform/srg/app/jobs"
	"github.com/srgplatform/srg/app/web"
)

// Module is one business capability under modules/.
type Module interface {
	// Name is a short lower-case name used in logs and metrics.
	Name() string
	// Routes is the module's route table; every route names its permission.
	Routes() []web.Route
	// Jobs are the module's cron jobs.
	Jobs() []jobs.Job
	// Start runs once after migrations and before the server accepts requests.
	// Long-running work it starts must stop when ctx ends.
	Start(ctx context.Context) error
}
