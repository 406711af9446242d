// Package static embeds SRG's static assets: CSS, portal JavaScript and the tracker.
package static

import "embed"

// FS holds every asset.
//
//go:embed css
var FS embed.FS
