// Deterministic SSH port allocation for agents. Pure (no Pulumi imports): the
// SshPorts provider calls it with what the host listens on and what the last
// run recorded, so an agent's port never moves once given.

export interface PortRequest {
    /** Agent name. */
    name: string;
    /** Stack-config key of this agent's sshPort, for messages. */
    key: string;
    port: number | "auto";
}

export interface PortRange {
    min: number;
    max: number;
    reserved: number[];
}

/**
 * Ports for every request, in config order: a fixed port as given; an agent
 * that already had a port keeps it; a new "auto" agent gets the lowest port
 * in range that is not reserved, not listened on by anything on the host and
 * not given to another agent. Throws an Error naming the key when a fixed
 * port is taken by something else or the range is exhausted.
 */
export function allocatePorts(requests: PortRequest[], previous: Record<string, number>, listening: number[],
    range: PortRange): Record<string, number> {
    const out: Record<string, number> = {};
    const taken = new Set<number>();
    const busy = new Set(listening);
    // Ports we gave before are ours even though the host listens on them (our agents).
    const ours = new Set(Object.values(previous));
    for (const r of requests) {
        if (r.port === "auto") continue;
        if (busy.has(r.port) && !ours.has(r.port)) {
            throw new Error(`${r.key}: ${r.port} is already in use on the host (something listens on it); ` +
                "pick another port or \"auto\"");
        }
        out[r.name] = r.port;
        taken.add(r.port);
    }
    for (const r of requests) {
        if (r.port !== "auto") continue;
        const prev = previous[r.name];
        if (prev !== undefined && !taken.has(prev)) {
            out[r.name] = prev;
            taken.add(prev);
        }
    }
    for (const r of requests) {
        if (r.port !== "auto" || out[r.name] !== undefined) continue;
        let p = range.min;
        while (p <= range.max && (taken.has(p) || busy.has(p) || range.reserved.includes(p))) p++;
        if (p > range.max) {
            throw new Error(`${r.key}: "auto" found no free port in ${range.min}-${range.max} ` +
                `(${[...busy].filter((x) => x >= range.min && x <= range.max).length} in use on the host, ` +
                `${taken.size} given to agents); free a port on the host or remove an agent`);
        }
        out[r.name] = p;
        taken.add(p);
    }
    return out;
}

/**
 * The allocation when it needs nothing from the host: every "auto" agent keeps
 * the port it was given and every fixed port is one of ours. Undefined when a
 * new port has to be checked against what the host listens on.
 */
export function allocateFromRecord(requests: PortRequest[], previous: Record<string, number>,
    range: PortRange): Record<string, number> | undefined {
    const ours = new Set(Object.values(previous));
    if (requests.some((r) => (r.port === "auto" ? previous[r.name] === undefined : !ours.has(r.port)))) return undefined;
    let out: Record<string, number>;
    try {
        out = allocatePorts(requests, previous, [], range);
    } catch {
        return undefined;
    }
    // An "auto" agent whose port a fixed one took now needs a new one: that takes the host's view.
    return requests.every((r) => r.port !== "auto" || out[r.name] === previous[r.name]) ? out : undefined;
}
