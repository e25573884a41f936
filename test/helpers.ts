import * as fs from "fs";
import * as path from "path";
import * as assert from "node:assert/strict";

export function projectRoot(): string {
    let dir = __dirname;
    while (!fs.existsSync(path.join(dir, "Pulumi.yaml"))) dir = path.dirname(dir);
    return dir;
}

/** Compare text with test/snapshots/<name>; UPDATE_SNAPSHOTS=1 rewrites it. */
export function matchSnapshot(name: string, actual: string): void {
    const file = path.join(projectRoot(), "test", "snapshots", name);
    if (process.env.UPDATE_SNAPSHOTS === "1" || !fs.existsSync(file)) {
        if (process.env.CI === "true" && !fs.existsSync(file)) assert.fail(`snapshot ${name} missing in CI`);
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, actual);
        return;
    }
    assert.equal(actual, fs.readFileSync(file, "utf8"), `snapshot ${name} differs (UPDATE_SNAPSHOTS=1 to accept)`);
}

/** A real (throwaway, test-only) ed25519 public key: validation decodes keys. */
export const TEST_HOSTKEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMbR3jDMu69kO8FeWD+M4DDtlYXDKbUQu7DgqPeBJ2JH";

// A key ssh2 1.17 generated here (a throwaway test key): its public key began with a zero byte, which
// ssh2 dropped (31 bytes), so OpenSSH refuses it ("error in libcrypto"; sshd: "no hostkeys available").
export const BROKEN_HOSTKEY = [
    "-----BEGIN OPENSSH PRIVATE KEY-----",
    "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMgAAAAtz",
    "c2gtZWQyNTUxOQAAAB/YHoeGFkw8p4zCTzFqVTutl2qeQyo60/pDR/keuWGzAAAA",
    "iPEMeYLxDHmCAAAAC3NzaC1lZDI1NTE5AAAAH9geh4YWTDynjMJPMWpVO62Xap5D",
    "KjrT+kNH+R65YbMAAAA/zDJULzLVr9zJWMeCH9IbythwSnERq2IwzePDmCDDRLbY",
    "HoeGFkw8p4zCTzFqVTutl2qeQyo60/pDR/keuWGzAAAAAWMBAgMEBQY=",
    "-----END OPENSSH PRIVATE KEY-----", ""].join("\n");
export const BROKEN_HOSTKEY_PUB = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAH9geh4YWTDynjMJPMWpVO62Xap5DKjrT+kNH+R65YbM";
