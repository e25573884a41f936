// Other files that land on a host: AppArmor drop-in for sysbox-fs FUSE mounts.
export const APPARMOR_FUSERMOUNT3_DROPIN = "/etc/apparmor.d/local/fusermount3";

/**
 * Ubuntu >= 25.04 confines fusermount3, which blocks sysbox-fs mounts under
 * /var/lib/sysboxfs ("fusermount3: mount failed: Permission denied").
 * `dacOverride` is needed from Ubuntu 25.10 on.
 */
export function renderApparmorFusermount3(dacOverride: boolean): string {
    const lines = [
        "# Managed by containai-infra: allow sysbox-fs FUSE mounts (nestybox/sysbox#947).",
        "mount fstype=@{fuse_types} options=(nosuid,nodev,rw) -> /var/lib/sysboxfs/**/,",
        "mount fstype=@{fuse_types} options=(nosuid,nodev,ro) -> /var/lib/sysboxfs/**/,",
        "umount /var/lib/sysboxfs/**/,",
    ];
    if (dacOverride) lines.push("capability dac_override,");
    return lines.join("\n") + "\n";
}
