/**
 * A throwaway PostgreSQL 15 cluster for tests (Debian's `postgresql`, which `.ci/run`
 * installs): `initdb` refuses root, so it runs as the `postgres` user the package creates, on
 * a free port, with its socket and data in a temporary folder. Tests that need it skip, saying
 * why, where it cannot start.
 */
import postgres from "postgres";
import { freePort } from "./free_port.ts";

const bin = "/usr/lib/postgresql/15/bin";

/** A running cluster: a database per test, and the cluster stopped when disposed. */
export interface TestPostgres extends AsyncDisposable {
  /** `postgres://agent@127.0.0.1:PORT/agent` */
  url: string;
  /** A new empty database's URL. */
  newDatabase(): Promise<string>;
}

async function run(command: string, args: string[]): Promise<{ ok: boolean; text: string }> {
  const output = await new Deno.Command(command, { args, stdout: "piped", stderr: "piped" })
    .output();
  const decoder = new TextDecoder();
  return {
    ok: output.success,
    text: decoder.decode(output.stdout) + decoder.decode(output.stderr),
  };
}

/** Whether this process runs as root (asked of `id`: the test task has no --allow-sys). */
async function isRoot(): Promise<boolean> {
  const id = await run("id", ["-u"]).catch(() => ({ ok: false, text: "" }));
  return id.text.trim() === "0";
}

/** Why a cluster cannot start here, or undefined when it can. */
export async function postgresUnavailable(): Promise<string | undefined> {
  try {
    await Deno.stat(`${bin}/initdb`);
  } catch {
    return `PostgreSQL 15 is not installed (${bin}/initdb; Debian package postgresql, which .ci/run installs)`;
  }
  if (!(await isRoot())) {
    return "the test cluster runs initdb as the postgres user, which needs root (runuser)";
  }
  return undefined;
}

/** Starts a cluster, or resolves with the reason it cannot. */
export async function startPostgres(): Promise<TestPostgres | string> {
  const reason = await postgresUnavailable();
  if (reason) return reason;
  const dir = await Deno.makeTempDir({ prefix: "agent-pg-" });
  await Deno.chmod(dir, 0o777);
  const asPostgres = (command: string, args: string[]) =>
    run("runuser", ["-u", "postgres", "--", command, ...args]);
  const port = freePort();
  const init = await asPostgres(`${bin}/initdb`, [
    "-D",
    `${dir}/data`,
    "-A",
    "trust",
    "-U",
    "agent",
    "--no-sync",
  ]);
  if (!init.ok) {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    return `initdb failed: ${init.text.slice(0, 300)}`;
  }
  const start = await asPostgres(`${bin}/pg_ctl`, [
    "-D",
    `${dir}/data`,
    "-o",
    `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`,
    "-l",
    `${dir}/log`,
    "-w",
    "start",
  ]);
  if (!start.ok) {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    return `pg_ctl start failed: ${start.text.slice(0, 300)}`;
  }
  const base = `postgres://agent@127.0.0.1:${port}`;
  const admin = postgres(`${base}/postgres`, { max: 1, onnotice: () => {} });
  await admin`CREATE DATABASE agent`;
  let databases = 0;
  return {
    url: `${base}/agent`,
    async newDatabase() {
      const name = `t${++databases}`;
      await admin.unsafe(`CREATE DATABASE ${name}`);
      return `${base}/${name}`;
    },
    async [Symbol.asyncDispose]() {
      await admin.end({ timeout: 1 });
      await asPostgres(`${bin}/pg_ctl`, ["-D", `${dir}/data`, "-m", "immediate", "stop"]);
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}
