// The devcontainer compatibility matrix (design seed 003, "Summary
// Compatibility Table" and "ContainAI Action") as one rule table. Every
// property of a devcontainer.json and every runArgs pattern gets its verdict
// from a row here; docs/agents.md prints the same rows (a unit test keeps them
// in step). Pure: no Pulumi imports.

export type Verdict = "COMPATIBLE" | "ADJUSTED" | "WARNED" | "BLOCKED";
export const VERDICT_ORDER: Verdict[] = ["COMPATIBLE", "ADJUSTED", "WARNED", "BLOCKED"];

export interface Rule {
    /** Stable id; findings name it. */
    id: string;
    /** The property or runArgs pattern, as a user would write it. */
    pattern: string;
    verdict: Verdict;
    /** What containai does with it, and why. */
    what: string;
    /** The fix (BLOCKED and most WARNED rows). */
    fix?: string;
    /** The seed's matrix row this follows ("" for rows the seed does not list). */
    seed: string;
}

const DIND = "each agent has its own Docker-in-Docker (sysbox), no socket needed";
const SYSTEMD = "systemd stays PID 1 of the agent (it runs sshd, the inner dockerd and the lifecycle commands)";
const LOGIN = "the agent's login user (agents[i].user)";

export const RULES: Rule[] = [
    // ---- image and build
    { id: "image", pattern: "image", verdict: "ADJUSTED", seed: "Basic image + commands: pass through",
        what: "the base of the agent image: systemd as /sbin/init, sshd (keys only) and the login user are added on top" },
    { id: "image.ignored", pattern: "image (with build)", verdict: "WARNED", seed: "",
        what: "not used: build.dockerfile is given and wins", fix: "remove one of the two" },
    { id: "build", pattern: "build.dockerfile, dockerFile, build.context, build.args, build.target", verdict: "ADJUSTED",
        seed: "Basic image + commands: pass through",
        what: "built on the host's isolated daemon, then the agent layer on top; rebuilt when an input changes" },
    { id: "build.ignored", pattern: "build.cacheFrom, build.options (other)", verdict: "WARNED", seed: "",
        what: "not passed to the build", fix: "remove it, or bake what it does into the Dockerfile" },
    { id: "build.network-host", pattern: "build.options --network=host", verdict: "BLOCKED", seed: "Privileged mode: block",
        what: "RUN steps would use the host's network namespace", fix: "remove the option; builds use the daemon's bridge" },
    { id: "compose", pattern: "dockerComposeFile", verdict: "BLOCKED", seed: "",
        what: "an agent is one system container, not a Compose project",
        fix: "point the devcontainer at an image or Dockerfile, and run `docker compose up` inside the agent (it has Docker)" },
    { id: "compose.part", pattern: "service, runServices", verdict: "WARNED", seed: "",
        what: "part of a Compose setup; not used", fix: "remove it with dockerComposeFile" },
    { id: "no-image", pattern: "(no image, build or dockerComposeFile)", verdict: "BLOCKED", seed: "",
        what: "the file names nothing to build the agent from", fix: "add \"image\" or \"build\": { \"dockerfile\": ... }" },

    // ---- features
    { id: "feature.local", pattern: "features: ./local-feature", verdict: "ADJUSTED", seed: "Features: allowlist",
        what: "installed in the image build (its install.sh as root, options as upper-case env), in declared order" },
    { id: "feature.outside", pattern: "features: ../outside", verdict: "BLOCKED", seed: "Features: allowlist",
        what: "a local feature must be a folder inside the devcontainer.json's folder (features spec)",
        fix: "copy the feature into .devcontainer/" },
    { id: "feature.dind", pattern: "features: docker-in-docker", verdict: "ADJUSTED", seed: "Docker-in-Docker: native support",
        what: `not installed: ${DIND}` },
    { id: "feature.dood", pattern: "features: docker-outside-of-docker, docker-from-docker", verdict: "BLOCKED",
        seed: "Docker socket mount: block", what: "it mounts the host's Docker socket (control of every container on the host)",
        fix: `remove it; ${DIND}` },
    { id: "feature.remote", pattern: "features: registry or URL feature", verdict: "BLOCKED", seed: "Features: allowlist",
        what: "features from registries are not fetched: they run arbitrary code as root in the build, and hosts need no registry",
        fix: "prebuild an image that has it (devcontainer build --image-name <name>) and set \"image\" to it, " +
            "or copy the feature into .devcontainer/ as a local feature" },
    { id: "feature.order", pattern: "overrideFeatureInstallOrder", verdict: "COMPATIBLE", seed: "",
        what: "applied to the local features" },

    // ---- users
    { id: "remoteUser", pattern: "remoteUser", verdict: "ADJUSTED", seed: "Custom user (remoteUser): map to agent user",
        what: `becomes ${LOGIN}; lifecycle commands run as it` },
    { id: "containerUser.root", pattern: "containerUser: root", verdict: "COMPATIBLE", seed: "Custom user (remoteUser): map to agent user",
        what: "the container runs systemd as root (unprivileged on the host: sysbox's user namespace)" },
    { id: "containerUser", pattern: "containerUser (not root)", verdict: "ADJUSTED", seed: "Custom user (remoteUser): map to agent user",
        what: `systemd runs as root; the user becomes ${LOGIN} when remoteUser is not set` },
    { id: "updateRemoteUserUID", pattern: "updateRemoteUserUID", verdict: "ADJUSTED", seed: "Custom user (remoteUser): map to agent user",
        what: "not needed: ID-mapped mounts give workspace files their host owner; the user's uid is agents[i].uid" },
    { id: "userEnvProbe", pattern: "userEnvProbe", verdict: "COMPATIBLE", seed: "",
        what: "SSH login shells read the user's profile" },

    // ---- environment
    { id: "containerEnv", pattern: "containerEnv", verdict: "ADJUSTED", seed: "Basic image + commands: pass through",
        what: "the agent container's environment (agents[i].env, same checks)" },
    { id: "remoteEnv", pattern: "remoteEnv", verdict: "ADJUSTED", seed: "Basic image + commands: pass through",
        what: "the login environment (a profile.d file in the agent image; ${containerEnv:X} becomes $X)" },
    { id: "localEnv", pattern: "${localEnv:NAME}", verdict: "WARNED", seed: "",
        what: "taken from the environment of `pulumi up`, and stored in plain text (state, docker inspect)",
        fix: "for a secret, use agents[i].secrets (files in /run/secrets)" },
    { id: "variable.unknown", pattern: "${unknown}", verdict: "WARNED", seed: "", what: "left as written",
        fix: "use ${localWorkspaceFolder}, ${containerWorkspaceFolder}, their Basename forms, ${localEnv:X} or ${devcontainerId}" },

    // ---- mounts and workspace
    { id: "mount", pattern: "mounts, runArgs -v/--volume/--mount", verdict: "ADJUSTED", seed: "Volume mounts: filter dangerous mounts",
        what: "agents[i].mounts, through the same guardrails (paths normalised, re-checked on the host)" },
    { id: "mount.refused", pattern: "mounts: Docker socket, /run, Docker data, /proc, /sys, /dev, secrets, .ssh", verdict: "BLOCKED",
        seed: "Docker socket mount: block; Volume mounts: filter dangerous mounts",
        what: "refused by the agent guardrails", fix: "remove the mount; for data, mount a directory or volume of its own" },
    { id: "mount.unsupported", pattern: "mounts: tmpfs, anonymous volume, volume options", verdict: "WARNED", seed: "",
        what: "not applied", fix: "use a named volume or a bind mount" },
    { id: "workspace", pattern: "workspaceFolder, workspaceMount", verdict: "ADJUSTED", seed: "Volume mounts: filter dangerous mounts",
        what: "agents[i].workspacePath and agents[i].workspace (same checks)" },

    // ---- isolation
    { id: "privileged", pattern: "privileged: true, runArgs --privileged", verdict: "BLOCKED", seed: "Privileged mode: warn/block",
        what: "refused: sysbox gives Docker-in-Docker and full capabilities inside without it",
        fix: "remove it: agents have Docker-in-Docker without it" },
    { id: "privileged.false", pattern: "privileged: false", verdict: "COMPATIBLE", seed: "Privileged mode: warn/block", what: "nothing to do" },
    { id: "capAdd", pattern: "capAdd, runArgs --cap-add", verdict: "ADJUSTED", seed: "runArgs capabilities: allow",
        what: "nothing to add: root in the agent has every capability inside its own user namespace (sysbox)" },
    { id: "capDrop", pattern: "runArgs --cap-drop", verdict: "WARNED", seed: "runArgs capabilities: allow",
        what: "not applied: systemd and the inner dockerd need root's capabilities", fix: "remove it" },
    { id: "securityOpt", pattern: "securityOpt, runArgs --security-opt (seccomp, apparmor, label, no-new-privileges)", verdict: "WARNED",
        seed: "", what: "not applied: sysbox uses its own seccomp profile and skips AppArmor", fix: "remove it" },
    { id: "securityOpt.systempaths", pattern: "securityOpt systempaths=unconfined", verdict: "BLOCKED", seed: "",
        what: "it unmasks the host's /proc and /sys paths", fix: "remove it" },
    { id: "namespace.host", pattern: "runArgs --network/--pid/--ipc/--uts/--userns/--cgroupns host or container:X", verdict: "BLOCKED",
        seed: "Privileged mode: warn/block", what: "host (or another container's) namespaces: the agent would see or reach what is not its own",
        fix: "remove it; agents use their own namespaces on their daemon's bridge" },
    { id: "network.other", pattern: "runArgs --network <name>", verdict: "BLOCKED", seed: "",
        what: "agents use their daemon's bridge, whose egress rules apply to them",
        fix: "remove it; to reach other destinations use containai:daemons[j].egress.allow" },
    { id: "namespace.private", pattern: "runArgs --ipc/--uts/--cgroupns private (and other defaults)", verdict: "COMPATIBLE", seed: "",
        what: "what agents get anyway" },
    { id: "device", pattern: "runArgs --device/--gpus/--device-cgroup-rule, hostRequirements.gpu", verdict: "BLOCKED",
        seed: "Privileged mode: warn/block", what: "host devices are not passed into agents (sysbox does not)",
        fix: "remove it; GPU work needs a VM or a host outside containai" },
    { id: "gpu.optional", pattern: "hostRequirements.gpu: optional", verdict: "WARNED", seed: "", what: "agents have no GPU", fix: "remove it" },
    { id: "gpu.false", pattern: "hostRequirements.gpu: false", verdict: "COMPATIBLE", seed: "", what: "nothing to do" },
    { id: "sysctl", pattern: "runArgs --sysctl net.*", verdict: "ADJUSTED", seed: "Kernel sysctls: allow net.*",
        what: "agents[i].sysctls (namespaced per agent)" },
    { id: "sysctl.refused", pattern: "runArgs --sysctl kernel.* (and any other)", verdict: "BLOCKED", seed: "Kernel sysctls: block kernel.*",
        what: "refused by the agent guardrails", fix: "remove it" },
    { id: "runtime", pattern: "runArgs --runtime sysbox-runc", verdict: "COMPATIBLE", seed: "", what: "what agents run under" },
    { id: "runtime.other", pattern: "runArgs --runtime <other>", verdict: "BLOCKED", seed: "",
        what: "agents run under sysbox-runc (systemd as PID 1, Docker-in-Docker without --privileged)", fix: "remove it" },
    { id: "volumesFrom", pattern: "runArgs --volumes-from", verdict: "BLOCKED", seed: "Volume mounts: filter dangerous mounts",
        what: "another container's volumes would bypass the mount guardrails", fix: "name the mounts instead" },
    { id: "envFile", pattern: "runArgs --env-file", verdict: "BLOCKED", seed: "",
        what: "the file would be read where `pulumi up` runs and stored in plain text",
        fix: "put plain values in containerEnv, secrets in agents[i].secrets" },

    // ---- commands
    { id: "initializeCommand", pattern: "initializeCommand", verdict: "BLOCKED", seed: "Lifecycle commands: block initializeCommand only",
        what: "it runs on the machine of whoever starts the container: here, where `pulumi up` runs",
        fix: "remove it; do the setup in onCreateCommand, which runs inside the agent" },
    { id: "createCommand", pattern: "onCreateCommand, updateContentCommand, postCreateCommand", verdict: "ADJUSTED",
        seed: "Lifecycle commands: pass through", what: "run inside the agent as the remote user, once per container creation (a systemd unit; output in the agent's journal)" },
    { id: "postStartCommand", pattern: "postStartCommand", verdict: "ADJUSTED", seed: "Lifecycle commands: pass through",
        what: "run inside the agent as the remote user at every start (a systemd unit; output in the agent's journal)" },
    { id: "postAttachCommand", pattern: "postAttachCommand", verdict: "WARNED", seed: "Lifecycle commands: pass through",
        what: "not run: no tool attaches (SSH logins are not attaches)", fix: "move it to postStartCommand or your shell profile" },
    { id: "waitFor", pattern: "waitFor", verdict: "WARNED", seed: "",
        what: "`pulumi up` does not wait for lifecycle commands; the health check names a failed one", fix: "remove it" },
    { id: "overrideCommand", pattern: "overrideCommand: true, runArgs --entrypoint", verdict: "WARNED", seed: "",
        what: `the command is not replaced: ${SYSTEMD}`, fix: "remove it, or run the process as a systemd unit of the image" },
    { id: "overrideCommand.false", pattern: "overrideCommand: false", verdict: "COMPATIBLE", seed: "", what: "the image's systemd runs" },
    { id: "init", pattern: "init: true, runArgs --init", verdict: "WARNED", seed: "", what: `not applied: ${SYSTEMD}`, fix: "remove it" },
    { id: "init.false", pattern: "init: false", verdict: "COMPATIBLE", seed: "", what: "nothing to do" },

    // ---- ports and limits
    { id: "forwardPorts", pattern: "forwardPorts: 3000", verdict: "ADJUSTED", seed: "Basic image + commands: pass through",
        what: "a LocalForward line for the agent in the generated SSH config (localhost:N on the operator's machine)" },
    { id: "forwardPorts.other", pattern: "forwardPorts: \"db:5432\"", verdict: "WARNED", seed: "",
        what: "another container's port (Compose); not forwarded", fix: "forward a port of the agent itself" },
    { id: "publish", pattern: "appPort, runArgs -p/--publish", verdict: "ADJUSTED", seed: "",
        what: "agents[i].ports (published on the host's 127.0.0.1 unless an address is given; same checks)" },
    { id: "publish.unsupported", pattern: "runArgs -P, port ranges", verdict: "WARNED", seed: "",
        what: "not applied", fix: "publish each port with -p host:container, or use forwardPorts" },
    { id: "portsAttributes", pattern: "portsAttributes, otherPortsAttributes", verdict: "COMPATIBLE", seed: "",
        what: "UI metadata of the devcontainer tools; nothing to run" },
    { id: "limits", pattern: "hostRequirements.cpus/memory, runArgs --cpus/-m/--memory", verdict: "ADJUSTED", seed: "",
        what: "agents[i].cpus and agents[i].memory (checked against the host)" },
    { id: "storage", pattern: "hostRequirements.storage", verdict: "WARNED", seed: "", what: "not enforced (volumes grow on the host's disk)",
        fix: "remove it, and watch the host's disk" },
    { id: "user.flag", pattern: "runArgs -u/--user", verdict: "WARNED", seed: "",
        what: "not applied: systemd runs as root; the login user comes from remoteUser", fix: "use remoteUser" },
    { id: "name.flag", pattern: "runArgs --name, -h/--hostname", verdict: "WARNED", seed: "",
        what: "not applied: the agent's name is its container name and hostname", fix: "remove it" },
    { id: "runArgs.ignored", pattern: "runArgs --rm, -i, -t, -d", verdict: "COMPATIBLE", seed: "", what: "what agents are anyway, or meaningless for them" },
    { id: "runArgs.other", pattern: "runArgs (any other flag)", verdict: "WARNED", seed: "",
        what: "not applied", fix: "remove it, or set the matching containai:agents[i] key" },

    // ---- metadata
    { id: "metadata", pattern: "name, $schema, customizations, shutdownAction", verdict: "COMPATIBLE", seed: "",
        what: "for the devcontainer tools; nothing to run" },
    { id: "unknown", pattern: "(any other property)", verdict: "WARNED", seed: "",
        what: "not a devcontainer.json property; ignored", fix: "check its spelling" },
    { id: "guardrail", pattern: "(a value the agent guardrails refuse: e.g. remoteUser root, a workspace in Docker's data)",
        verdict: "BLOCKED", seed: "", what: "refused by the agent guardrails",
        fix: "change the value as the reason says, or set the containai:agents[i] key, which wins over the file" },
    { id: "type", pattern: "(a value of the wrong type)", verdict: "BLOCKED", seed: "",
        what: "the value does not have the type the devcontainer spec gives it", fix: "fix the value" },
];

const BY_ID = new Map(RULES.map((r) => [r.id, r]));

export function rule(id: string): Rule {
    const r = BY_ID.get(id);
    if (!r) throw new Error(`no devcontainer rule ${id}`);
    return r;
}
