// Package shim exposes the upstream provider's constructor, which lives in an
// internal package. It is overlaid INTO the upstream module by
// scripts/plugins.sh (Go allows internal imports only from inside a module).
package shim

import (
	"github.com/hashicorp/terraform-plugin-sdk/v2/helper/schema"
	"github.com/terraform-providers/terraform-provider-docker/internal/provider"
)

// New returns the upstream SDKv2 provider.
func New(version string) *schema.Provider { return provider.New(version)() }
