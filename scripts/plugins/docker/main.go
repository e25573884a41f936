// Lab build of the Pulumi docker provider plugin (pulumi-resource-docker).
//
// The official plugin cannot be downloaded on the machines this project is
// tested on, and its Go module is refused by the module proxy. This wrapper
// wraps the same upstream Terraform provider (kreuzwerker/terraform-provider-
// docker) with pulumi-terraform-bridge, mapping tokens and property names to
// the ones the @pulumi/docker npm SDK uses. Users with internet access get the
// official plugin automatically; tests here say they use this lab build.
// Built by scripts/plugins.sh (see docs/testing.md).
package main

import (
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
	btokens "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge/tokens"
	shimv2 "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfshim/sdk-v2"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/terraform-providers/terraform-provider-docker/shim"
)

// Version is stamped at build time; it must equal the npm SDK's pulumi.version.
var Version = "0.0.0"

func res(name string) tokens.Type { return tokens.Type("docker:index/" + lower(name) + ":" + name) }
func fn(name string) tokens.ModuleMember {
	return tokens.ModuleMember("docker:index/" + name + ":" + name)
}

func lower(s string) string {
	if s == "" {
		return s
	}
	b := []byte(s)
	if b[0] >= 'A' && b[0] <= 'Z' {
		b[0] += 'a' - 'A'
	}
	return string(b)
}

func main() {
	p := shimv2.NewProvider(shim.New(Version))
	// Names the automatic mapping gets wrong against @pulumi/docker (checked
	// against the npm package's .d.ts files by test/unit/plugins.test.ts).
	info := tfbridge.ProviderInfo{
		P:       p,
		Name:    "docker",
		Version: Version,
		Config: map[string]*tfbridge.SchemaInfo{
			"registry_auth": {Name: "registryAuth"},
		},
		Resources: map[string]*tfbridge.ResourceInfo{
			"docker_container": {
				Tok: res("Container"),
				Fields: map[string]*tfbridge.SchemaInfo{
					"name":              tfbridge.AutoName("name", 255, "-"),
					"command":           {Name: "command"},
					"networks_advanced": {Name: "networksAdvanced"},
				},
				DeleteBeforeReplace: true,
			},
			"docker_image":   {Tok: res("RemoteImage")},
			"docker_config":  {Tok: res("ServiceConfig")},
			"docker_network": {Tok: res("Network"), Fields: map[string]*tfbridge.SchemaInfo{"name": tfbridge.AutoName("name", 255, "-")}},
			"docker_volume":  {Tok: res("Volume"), Fields: map[string]*tfbridge.SchemaInfo{"name": tfbridge.AutoName("name", 255, "-")}},
		},
		DataSources: map[string]*tfbridge.DataSourceInfo{
			"docker_image": {Tok: fn("getRemoteImage")},
		},
	}
	info.MustComputeTokens(btokens.SingleModule("docker_", "index", btokens.MakeStandard("docker")))
	tfbridge.Main("docker", Version, info, nil)
}
