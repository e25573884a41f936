// pulumi-language-nodejs, as the toolchain installs it: the language host
// built from an older sdk (scripts/toolchain.sh, LANGHOST_SDK_VERSION),
// started with the project's runtime options from Pulumi.yaml (typescript,
// nodeargs).
//
// Current Pulumi CLIs hand `runtime.options` (typescript, nodeargs, ...) to
// the language host over RPC; the v3.68 host reads them only as flags, so
// `typescript: false` (do not load the TypeScript compiler and ts-node for a
// program that is already JavaScript) was silently ignored. This wrapper
// reads the options from the project file and execs the real host with the
// matching flags. Only options the project sets become flags, so a project
// without options runs exactly as before.
//
// Which Pulumi.yaml: the engine starts the host in the program's directory
// (the directory of `main`), so the nearest Pulumi.yaml at or above it is
// the project's whenever `main` lies inside the project, as it does here.
// (The lab harness writes a copy of this project's Pulumi.yaml elsewhere,
// with an absolute `main` pointing into the checkout: the file found is then
// the checkout's, the one it copied.)
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"gopkg.in/yaml.v3"
)

// realHost is the file name of the language host this wrapper starts, set at
// build time (-X main.realHost=...); it sits beside the wrapper.
var realHost = "pulumi-language-nodejs-real"

type project struct {
	Runtime yaml.Node `yaml:"runtime"`
}

// runtimeOptions returns runtime.options of the nearest Pulumi.yaml (or .yml).
func runtimeOptions() map[string]interface{} {
	dir, err := os.Getwd()
	if err != nil {
		return nil
	}
	for {
		for _, name := range []string{"Pulumi.yaml", "Pulumi.yml"} {
			data, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				continue
			}
			var p project
			if yaml.Unmarshal(data, &p) != nil || p.Runtime.Kind != yaml.MappingNode {
				return nil
			}
			var rt struct {
				Options map[string]interface{} `yaml:"options"`
			}
			if p.Runtime.Decode(&rt) != nil {
				return nil
			}
			return rt.Options
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return nil
		}
		dir = parent
	}
}

func main() {
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, "pulumi-language-nodejs wrapper:", err)
		os.Exit(1)
	}
	real := filepath.Join(filepath.Dir(self), realHost)
	args := []string{real}
	opts := runtimeOptions()
	if v, ok := opts["typescript"].(bool); ok {
		args = append(args, fmt.Sprintf("-typescript=%t", v))
	}
	if v, ok := opts["nodeargs"].(string); ok && v != "" {
		args = append(args, "-nodeargs="+v)
	}
	args = append(args, os.Args[1:]...)
	if err := syscall.Exec(real, args, os.Environ()); err != nil {
		fmt.Fprintln(os.Stderr, "pulumi-language-nodejs wrapper: exec", real+":", err)
		os.Exit(1)
	}
}
