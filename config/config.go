// Package config holds the files srg ships in config/: the example configuration and
// the default permission model and policy, which are embedded into the binary.
package config

import _ "embed"

// RBACModel is the Casbin model of permissions (rbac_model.conf).
//
//go:embed rbac_model.conf
var RBACModel string

// RBACPolicy is the default permission matrix (rbac_policy.csv).
//
//go:embed rbac_policy.csv
var RBACPolicy string
