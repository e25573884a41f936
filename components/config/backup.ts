// containai:backup: the agents' data backed up with restic, on a schedule.
import { bool, Collector, int, isObj, NS, show, str, unknownKeys } from "./collect";

export interface BackupKeep {
    daily: number;
    weekly: number;
    monthly: number;
}

export interface BackupInclude {
    /** The agent's workspace (its bind-mounted host folder). */
    workspace: boolean;
    /** The agent's home volume. */
    home: boolean;
    /** The agent's inner-Docker volume(s): the agent is paused while they are read. */
    docker: boolean;
}

export interface BackupConfig {
    /** A restic repository: a path on the host, or s3:, rest:, sftp:, ... (restic's own forms). */
    repository: string;
    /** The repository's password (a Pulumi secret). */
    password: string;
    /** Environment restic needs for the repository (e.g. AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY). */
    env: Record<string, string>;
    /** When it runs: a systemd OnCalendar expression (default "daily"). */
    schedule: string;
    keep: BackupKeep;
    include: BackupInclude;
}

const ENV_NAME = /^[A-Z_][A-Z0-9_]*$/;
/** Characters a systemd calendar expression uses; anything else cannot be one (checked on the host too). */
const CALENDAR = /^[A-Za-z0-9*:,./~ +-]+$/;

export function validateBackup(c: Collector, raw: unknown, secret: boolean): BackupConfig | undefined {
    if (raw === undefined || raw === null) return undefined;
    const key = "backup";
    if (!isObj(raw)) {
        c.add(key, `${show(raw)} must be an object { repository, password, env, schedule, keep, include }`);
        return undefined;
    }
    unknownKeys(c, key, raw, ["repository", "password", "env", "schedule", "keep", "include"]);
    const repository = str(c, `${key}.repository`, raw.repository);
    if (repository === undefined) {
        c.add(`${key}.repository`, "is required: a restic repository, a path on the host (/srv/backups/agents) or s3:https://host/bucket/prefix");
    } else if (/[\s'"\\`$]/.test(repository)) {
        c.add(`${key}.repository`, `${show(repository)} holds blanks, quotes, a backslash or $; restic repositories are written without them`);
    } else if (repository.startsWith("/") && /(^|\/)\.\.?(\/|$)/.test(repository)) {
        c.add(`${key}.repository`, `${show(repository)} has . or .. segments; give the path in its normal form`);
    }
    const password = str(c, `${key}.password`, raw.password);
    if (password === undefined) {
        c.add(`${key}.password`, `is required: pulumi config set --secret --path ${NS}:backup.password <password>`);
    }
    const env: Record<string, string> = {};
    if (raw.env !== undefined) {
        if (!isObj(raw.env)) {
            c.add(`${key}.env`, `${show(raw.env)} must be an object of NAME: value`);
        } else {
            for (const [n, v] of Object.entries(raw.env)) {
                if (!ENV_NAME.test(n)) c.add(`${key}.env.${n}`, "is not an environment variable name (A-Z, 0-9, _)");
                else if (n.startsWith("RESTIC_")) c.add(`${key}.env.${n}`, "is set from backup.repository and backup.password; remove it");
                else if (typeof v !== "string" || /[\n\0]/.test(v)) c.add(`${key}.env.${n}`, "must be a one-line string");
                else env[n] = v;
            }
        }
    }
    // Anything here may be a credential (the password always is): the whole key must be a secret.
    if (!secret && (raw.password !== undefined || Object.keys(env).length > 0)) {
        c.add(key, `holds the repository password or credentials in plaintext config; set them as secrets: ` +
            `pulumi config set --secret --path ${NS}:backup.password <password> (and each backup.env value the same way)`);
    }
    const schedule = str(c, `${key}.schedule`, raw.schedule, "daily") as string;
    if (!CALENDAR.test(schedule)) {
        c.add(`${key}.schedule`, `${show(schedule)} is not a systemd calendar expression (e.g. daily, hourly, *-*-* 03:00); see man systemd.time`);
    }
    const keep: BackupKeep = { daily: 7, weekly: 4, monthly: 6 };
    if (raw.keep !== undefined) {
        if (!isObj(raw.keep)) {
            c.add(`${key}.keep`, `${show(raw.keep)} must be an object { daily, weekly, monthly }`);
        } else {
            unknownKeys(c, `${key}.keep`, raw.keep, ["daily", "weekly", "monthly"]);
            for (const k of ["daily", "weekly", "monthly"] as const) {
                keep[k] = int(c, `${key}.keep.${k}`, raw.keep[k], keep[k], 0, 10000, "give how many snapshots to keep") as number;
            }
            if (keep.daily + keep.weekly + keep.monthly === 0) {
                c.add(`${key}.keep`, "keeps nothing: every snapshot would be removed right after it is taken; keep at least one");
            }
        }
    }
    const include: BackupInclude = { workspace: true, home: true, docker: false };
    if (raw.include !== undefined) {
        if (!isObj(raw.include)) {
            c.add(`${key}.include`, `${show(raw.include)} must be an object { workspace, home, docker }`);
        } else {
            unknownKeys(c, `${key}.include`, raw.include, ["workspace", "home", "docker"]);
            for (const k of ["workspace", "home", "docker"] as const) include[k] = bool(c, `${key}.include.${k}`, raw.include[k], include[k]);
            if (!include.workspace && !include.home && !include.docker) c.add(`${key}.include`, "includes nothing; include at least one of workspace, home, docker");
        }
    }
    if (repository === undefined || password === undefined) return undefined;
    return { repository, password, env, schedule, keep, include };
}
