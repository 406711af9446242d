// Package static embeds SRG's static assets: CSS, portal JavaScript and the tracker.
package static

import "embed"

// FS holds the assets served under /static/: the CSS, and the portal's JavaScript
// bundle js/portal.js (built from portal/ by `make portal-js`).
//
//go:embed css js
var FS embed.FS

//go:embed sona.js
var tracker []byte

// Tracker returns the built tracker script (from tracker/sona.src.js), served at /sona.js.
func Tracker() []byte { return tracker }
