// The agents' backups (restic) and their status.
export * from "./backup";
