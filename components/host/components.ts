// Host components: Preflight → DockerEngine → SysboxPackage → DockerDaemon(s)
// → DockerContext(s). Each validates its args before creating any child,
// parents children to itself, and registers its outputs.
import * as crypto from "crypto";
import * as pulumi from "../sdk";
import { Arch, DaemonConfig, EnginePackage, HostConfig, NS, SysboxConfig } from "../config/schema";
import { dockerdPath, egressPath, engineMajor, networkScriptPath, renderDaemonJson, renderDaemonUnit, renderEgress,
    renderRootfsGuardUnit, rootfsGuardPath, rootfsGuardUnitName, unitName } from "../render/daemon";
import { MANAGED_BY } from "../config/agents";
import { gatewayOf, subnetOf } from "./rules";
import { hasUserinfo } from "../config/checks";
import { renderApparmorFusermount3 } from "../render/host";
import { HealthCheck, HostState, PreflightCheck, Probe } from "./providers";
import type { Connection } from "./remote";
import { hostFile, hostScript, scriptSet } from "./scripts";
import { checksumArches, sysboxCandidates } from "./sysboxSource";

const sha256 = (s: string): string => crypto.createHash("sha256").update(s).digest("hex");

/** Minimum free space under /var/lib for images and the data-root. */
export const MIN_FREE_MB = 2048;

// -------------------------------------------------------------- Preflight

export interface PreflightArgs {
    connection: pulumi.Input<Connection>;
    /** Known at once, or (sysbox.source release) once the release stack's outputs are read. */
    sysbox: pulumi.Input<SysboxConfig>;
    /** The isolated daemons: their bridges and data-roots are checked against the host. */
    daemons: DaemonConfig[];
    /** Previews: the host's health probe, started beside the preflight's (see PreflightInputs.healthProbe). */
    companionProbe?: Probe;
}

/** Read-only host checks; refuses incompatible hosts before anything changes. */
export class Preflight extends pulumi.ComponentResource {
    public readonly arch: pulumi.Output<Arch>;
    public readonly apparmorDropin: pulumi.Output<boolean>;
    public readonly apparmorDacOverride: pulumi.Output<boolean>;
    public readonly facts: pulumi.Output<Record<string, string>>;
    constructor(name: string, args: PreflightArgs, opts?: pulumi.ComponentResourceOptions) {
        super("containai:host:Preflight", name, {}, opts);
        const check = new PreflightCheck(`${name}-check`, {
            connection: args.connection,
            probeScript: hostScript("preflight-probe.sh"),
            healthProbe: args.companionProbe,
            policy: pulumi.output(args.sysbox).apply((s) => ({
                sysboxVersion: s.source === "custom" && s.custom ? s.custom.version
                    : s.source === "file" && s.file ? s.file.version : s.version,
                allowUnfixedOpenat2: s.allowUnfixedOpenat2,
                checksumArches: checksumArches(s),
                checksumKey: s.release ? `the release stack ${s.release.stack} (${NS}:sysbox.release.stack): its sysbox output's sha256`
                    : s.source === "custom" ? `${NS}:sysbox.custom.sha256` : `${NS}:sysbox.sha256`,
                minFreeMb: MIN_FREE_MB,
                bridges: args.daemons.map((d, i) => ({ key: `${NS}:daemons[${i}].bridge.cidr`, name: d.bridge.name, cidr: d.bridge.cidr })),
                dataRoots: args.daemons.map((d, i) => ({ key: `${NS}:daemons[${i}].dataRoot`, path: d.dataRoot })),
                ownConfigFiles: args.daemons.map((d) => d.configFile),
            })),
        }, { parent: this });
        this.facts = check.facts.apply((f) => ({ ...f }) as Record<string, string>);
        this.arch = check.facts.apply((f) => f.arch as Arch);
        this.apparmorDropin = check.apparmorDropin;
        this.apparmorDacOverride = check.apparmorDacOverride;
        this.registerOutputs({ facts: this.facts, arch: this.arch });
    }
}

// ----------------------------------------------------------- DockerEngine

export interface DockerEngineArgs {
    connection: pulumi.Input<Connection>;
    package: EnginePackage;
    removeOnDestroy: boolean;
    /** Orders the install after the preflight. */
    after: pulumi.Input<string>;
}

/** The Docker engine package (binaries only; the default daemon is left alone). */
export class DockerEngine extends pulumi.ComponentResource {
    public readonly dockerd: string;
    public readonly ready: pulumi.Output<string>;
    /** dockerd version found on the host ("unknown" when it cannot tell). */
    public readonly version: pulumi.Output<string>;
    constructor(name: string, args: DockerEngineArgs, opts?: pulumi.ComponentResourceOptions) {
        super("containai:host:DockerEngine", name, {}, opts);
        const env = { ENGINE_PACKAGE: args.package, ENGINE_REMOVE: args.removeOnDestroy ? "1" : "0", AFTER: args.after };
        const state = new HostState(`${name}-package`, {
            connection: args.connection,
            label: `docker engine (${args.package})`,
            ...scriptSet("engine"),
            env: pulumi.output(env),
            desired: { package: "installed" },
        }, { parent: this });
        this.dockerd = dockerdPath(args.package);
        this.ready = state.id;
        this.version = state.observed.apply((o) => o?.dockerd_version ?? "unknown");
        this.registerOutputs({ dockerd: this.dockerd, version: this.version });
    }
}

// ---------------------------------------------------------- SysboxPackage

export interface SysboxPackageArgs {
    connection: pulumi.Input<Connection>;
    sysbox: pulumi.Input<SysboxConfig>;
    arch: pulumi.Input<Arch>;
    apparmorDropin: pulumi.Input<boolean>;
    apparmorDacOverride: pulumi.Input<boolean>;
    /** Sockets of daemons whose agent containers are stopped around an upgrade. */
    agentSockets: string[];
    after: pulumi.Input<string>;
}

/** Pinned, checksummed sysbox-ce; custom release preferred, upstream fallback. */
export class SysboxPackage extends pulumi.ComponentResource {
    public readonly version: pulumi.Output<string>;
    public readonly observed: pulumi.Output<Record<string, string>>;
    public readonly source: pulumi.Output<string>;
    public readonly ready: pulumi.Output<string>;
    constructor(name: string, args: SysboxPackageArgs, opts?: pulumi.ComponentResourceOptions) {
        super("containai:host:SysboxPackage", name, {}, opts);
        const sysbox = pulumi.output(args.sysbox).apply((s) => {
            if (s.source === "custom" && !s.custom) {
                throw new pulumi.RunError("SysboxPackage: source is custom but no custom release is configured");
            }
            return s;
        });
        const candidates = pulumi.all([sysbox, args.arch]).apply(([s, arch]) => sysboxCandidates(s as SysboxConfig, arch));
        const plainEnv = pulumi.all([candidates, args.apparmorDropin, args.apparmorDacOverride, args.after, sysbox])
            .apply(([cands, dropin, dac, after, s]) => ({
                SYSBOX_CANDIDATES: cands.map((c) => `${c.url} ${c.sha256} ${c.label} ${c.version}`).join("\n"),
                AGENT_SOCKETS: args.agentSockets.join(" "),
                APPARMOR_DROPIN: dropin ? renderApparmorFusermount3(dac) : "",
                SYSBOX_REMOVE: s.removeOnDestroy ? "1" : "0",
                AFTER: after,
            }));
        // A mirror or custom URL with user:password@ (accepted only from a
        // secret config value, or a secret output of a release stack) keeps
        // the whole env secret in state and plans.
        const env = sysbox.apply((s) => {
            const credentials = [s.mirrorUrl, s.custom?.urlTemplate].some((u) => u !== undefined && hasUserinfo(u));
            return credentials ? pulumi.secret(plainEnv) : plainEnv;
        });
        const state = new HostState(`${name}-install`, {
            connection: args.connection,
            label: "sysbox",
            ...scriptSet("sysbox"),
            env,
            desired: { version_ok: "yes", active: "active", enabled: "enabled", agents_pending_restart: "0" },
            notice: candidates.apply((c) => `sysbox ${c[0]?.version} from ${c.map((x) => x.label).join(" → ")}; ` +
                `installing or changing the version stops agent containers (label containai.agent) on ` +
                `${args.agentSockets.join(", ")} with docker stop -t 100, restarts sysbox, then starts them again`),
        }, { parent: this });
        this.observed = state.observed;
        this.version = state.observed.apply((o) => o.version);
        this.source = candidates.apply((c) => c[0]?.label ?? "none");
        this.ready = state.id;
        this.registerOutputs({ version: this.version, source: this.source });
    }
}


// ----------------------------------------------------------- DockerDaemon

export interface DockerDaemonArgs {
    connection: pulumi.Input<Connection>;
    daemon: DaemonConfig;
    enginePackage: EnginePackage;
    /** dockerd version on the host (decides the legacy trust-key setting). */
    engineVersion: pulumi.Input<string>;
    operatorUser: string;
    /** Orders the daemon after sysbox and the engine. */
    after: pulumi.Input<string>[];
}

/** One isolated dockerd: own daemon.json, unit, socket, data, bridge. */
export class DockerDaemon extends pulumi.ComponentResource {
    public readonly socket: string;
    public readonly unit: string;
    public readonly daemonJson: pulumi.Output<string>;
    public readonly unitText: string;
    public readonly observed: pulumi.Output<Record<string, string>>;
    public readonly ready: pulumi.Output<string>;
    constructor(name: string, args: DockerDaemonArgs, opts?: pulumi.ComponentResourceOptions) {
        super("containai:host:DockerDaemon", name, {}, opts);
        const d = args.daemon;
        this.daemonJson = pulumi.output(args.engineVersion).apply((v) => {
            const major = engineMajor(v);
            return renderDaemonJson(d, { legacyTrustKey: major !== undefined && major < 23 });
        });
        this.unitText = renderDaemonUnit(d, args.enginePackage);
        this.unit = unitName(d);
        this.socket = d.socket;
        const networkScript = hostFile("bridge-network.sh");
        const egress = renderEgress(d);
        const guard = hostFile("rootfs-guard.sh");
        const guardUnit = renderRootfsGuardUnit(d, MANAGED_BY);
        const env = pulumi.all([pulumi.all(args.after), this.daemonJson]).apply(([after, daemonJson]) => ({
            DAEMON_NAME: d.name,
            UNIT_NAME: this.unit,
            CONFIG_FILE: d.configFile,
            SOCKET: d.socket,
            SOCKET_GROUP: d.socketGroup,
            DATA_ROOT: d.dataRoot,
            BRIDGE: d.bridge.name,
            BRIDGE_GW: gatewayOf(d.bridge.cidr),
            BRIDGE_SUBNET: subnetOf(d.bridge.cidr),
            EXPECT_RUNTIME: d.defaultRuntime,
            DOCKERD: dockerdPath(args.enginePackage),
            // Plain text (not base64), so `pulumi preview --diff` shows a line diff.
            DAEMON_JSON: daemonJson,
            UNIT_TEXT: this.unitText,
            NETWORK_SCRIPT: networkScript,
            NETWORK_SCRIPT_PATH: networkScriptPath(d),
            EGRESS: egress,
            EGRESS_FILE: egressPath(d),
            ROOTFS_GUARD: guard,
            ROOTFS_GUARD_PATH: rootfsGuardPath(d),
            GUARD_UNIT_NAME: rootfsGuardUnitName(d),
            GUARD_UNIT_TEXT: guardUnit,
            MANAGED_BY,
            OPERATOR_USER: args.operatorUser,
            REMOVE_DATA: d.removeDataOnDestroy ? "1" : "0",
            AFTER: after.join(","),
        }));
        const state = new HostState(`${name}-instance`, {
            connection: args.connection,
            label: `daemon ${d.name}`,
            ...scriptSet("daemon"),
            env,
            desired: this.daemonJson.apply((json) => ({
                config_sha256: sha256(json),
                unit_sha256: sha256(this.unitText),
                active: "active",
                enabled: "enabled",
                default_runtime: d.defaultRuntime,
                data_root: d.dataRoot,
                network_script_sha256: sha256(networkScript),
                egress_sha256: sha256(egress),
                rootfs_guard_sha256: sha256(guard),
                guard_unit_sha256: sha256(guardUnit),
                guard_enabled: "enabled",
                bridge_addresses: gatewayOf(d.bridge.cidr),
                docker_subnet: subnetOf(d.bridge.cidr),
                firewall: "ok",
            })),
        }, { parent: this });
        this.observed = state.observed;
        this.ready = state.id;
        this.registerOutputs({ socket: this.socket, unit: this.unit, observed: this.observed });
    }
}

// ---------------------------------------------------------- DockerContext

export interface DockerContextArgs {
    connection: pulumi.Input<Connection>;
    contextName: string;
    socket: string;
    after: pulumi.Input<string>;
}

/** `docker context` for the SSH login user on the host → the instance socket. */
export class DockerContext extends pulumi.ComponentResource {
    public readonly endpoint: string;
    public readonly observed: pulumi.Output<Record<string, string>>;
    constructor(name: string, args: DockerContextArgs, opts?: pulumi.ComponentResourceOptions) {
        super("containai:host:DockerContext", name, {}, opts);
        this.endpoint = `unix://${args.socket}`;
        // Contexts live in the login user's ~/.docker: never run through sudo.
        const conn = pulumi.output(args.connection).apply((c) => ({ ...c, sudo: false }));
        const state = new HostState(`${name}-context`, {
            connection: pulumi.secret(conn),
            label: `docker context ${args.contextName}`,
            ...scriptSet("context"),
            env: pulumi.output(args.after).apply((after) => ({
                CONTEXT_NAME: args.contextName, SOCKET: args.socket, AFTER: after,
            })),
            desired: { endpoint: this.endpoint },
        }, { parent: this });
        this.observed = state.observed;
        this.registerOutputs({ endpoint: this.endpoint });
    }
}

// ------------------------------------------------------------------- Host

export interface ContainAIHostArgs {
    config: HostConfig;
    /** The sysbox to install when it is not known at once (sysbox.source release); default config.sysbox. */
    sysbox?: pulumi.Input<SysboxConfig>;
    connection: pulumi.Input<Connection>;
}

/** A whole host: preflight, engine, sysbox, daemon instance(s), context(s). */
export class ContainAIHost extends pulumi.ComponentResource {
    public readonly preflight: Preflight;
    public readonly sysbox: SysboxPackage;
    public readonly daemons: DockerDaemon[];
    public readonly contexts: DockerContext[];
    public readonly health: HealthCheck;
    constructor(name: string, args: ContainAIHostArgs, opts?: pulumi.ComponentResourceOptions) {
        super("containai:host:Host", name, {}, opts);
        const c = args.config;
        if (c.daemons.length === 0) throw new pulumi.RunError("ContainAIHost: at least one daemon instance is required");
        const sysbox = args.sysbox ?? c.sysbox;
        const healthProbe: Probe = {
            script: hostScript("health-probe.sh"),
            env: {
                HEALTH_DAEMONS: c.daemons.map((d) => `${unitName(d)} ${d.socket} ${d.defaultRuntime}`).join("\n"),
                HEALTH_CONTEXTS: c.daemons.map((d) => `${d.contextName} unix://${d.socket}`).join("\n"),
            },
        };
        // A preview changes nothing, so the health probe starts beside the
        // preflight's, on its connection, and the health check at the end
        // takes that result: one round trip to the host instead of two. An
        // update probes health live, after its changes.
        this.preflight = new Preflight(`${name}-preflight`, {
            connection: args.connection, sysbox, daemons: c.daemons,
            companionProbe: pulumi.isDryRun() ? healthProbe : undefined,
        }, { parent: this });
        const gate = this.preflight.facts.apply((f) => `preflight:${f.kernel}`);
        const engine = new DockerEngine(`${name}-engine`, {
            connection: args.connection, package: c.engine.package, removeOnDestroy: c.engine.removeOnDestroy, after: gate,
        }, { parent: this });
        this.sysbox = new SysboxPackage(`${name}-sysbox`, {
            connection: args.connection,
            sysbox,
            arch: this.preflight.arch,
            apparmorDropin: this.preflight.apparmorDropin,
            apparmorDacOverride: this.preflight.apparmorDacOverride,
            agentSockets: c.daemons.map((d) => d.socket),
            after: engine.ready,
        }, { parent: this });
        this.daemons = c.daemons.map((d) => new DockerDaemon(`${name}-${d.name}`, {
            connection: args.connection, daemon: d, enginePackage: c.engine.package, engineVersion: engine.version,
            operatorUser: c.ssh.user,
            after: [engine.ready, this.sysbox.ready],
        }, { parent: this }));
        this.contexts = c.daemons.map((d, i) => new DockerContext(`${name}-${d.contextName}-ctx`, {
            connection: args.connection, contextName: d.contextName, socket: d.socket, after: this.daemons[i].ready,
        }, { parent: this }));
        // Last: health of everything above, on every run (see HealthCheck).
        this.health = new HealthCheck(`${name}-health`, {
            connection: args.connection,
            probeScript: healthProbe.script,
            env: healthProbe.env,
            after: pulumi.all([this.sysbox.observed, ...this.daemons.map((d) => d.observed), ...this.contexts.map((x) => x.observed)])
                .apply((all) => sha256(JSON.stringify(all))),
        }, { parent: this });
        this.registerOutputs({
            sysboxVersion: this.sysbox.version,
            daemons: this.daemons.map((d) => d.socket),
        });
    }
}
