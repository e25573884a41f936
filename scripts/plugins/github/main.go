// Lab build of the Pulumi github provider plugin (pulumi-resource-github).
//
// The official plugin cannot be downloaded on the machines this project is
// tested on, and its Go module is refused by the module proxy. This wrapper
// wraps the same upstream Terraform provider (integrations/terraform-provider-
// github v6.13.0, what pulumi-github 6.15.0 pins) with pulumi-terraform-bridge,
// mapping tokens to the ones the @pulumi/github npm SDK uses. Users with
// internet access get the official plugin automatically. Built by
// scripts/plugins.sh; what it proves and does not: docs/testing.md.
package main

import (
	github "github.com/integrations/terraform-provider-github/v6/github"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
	btokens "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge/tokens"
	shimv2 "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfshim/sdk-v2"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
)

// Version is stamped at build time; it must equal the npm SDK's pulumi.version.
var Version = "0.0.0"

func main() {
	p := shimv2.NewProvider(github.NewProvider(Version, "lab-build")())
	info := tfbridge.ProviderInfo{
		P:       p,
		Name:    "github",
		Version: Version,
		// Names the automatic mapping gets wrong against @pulumi/github
		// (checked by test/unit/plugins.test.ts).
		DataSources: map[string]*tfbridge.DataSourceInfo{
			"github_app": {Tok: tokens.ModuleMember("github:index/getGithubApp:getGithubApp")},
		},
	}
	info.MustComputeTokens(btokens.SingleModule("github_", "index", btokens.MakeStandard("github")))
	tfbridge.Main("github", Version, info, nil)
}
