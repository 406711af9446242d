// Package migrations holds the versioned schema of SRG's stores: numbered Postgres
// migrations (goose format) and the Elasticsearch index mappings, embedded in the binary.
package migrations

import "embed"

// SQL holds the numbered Postgres migrations, NNNNN_name.sql.
//
//go:embed *.sql
var SQL embed.FS

// Elasticsearch holds the index templates, <kind>.json, applied per tenant.
//
//go:embed elasticsearch/*.json
var Elasticsearch embed.FS
