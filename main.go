// Command srg is the SRG revenue attribution platform: one binary for the tracker
// endpoint, the connectors, attribution, the portal and the exports.
package main

import (
	"os"

	"github.com/srgplatform/srg/app"
)

func main() {
	os.Exit(app.Main(os.Args, os.Environ(), os.Stdout, os.Stderr))
}
