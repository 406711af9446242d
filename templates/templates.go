// Package templates embeds SRG's html/template pages: layout/ holds the layout shared by
// every page, and each module's pages live in a folder named after the module.
package templates

import "embed"

// FS holds every template.
//
//go:embed layout/*.html */*.html
var FS embed.FS
