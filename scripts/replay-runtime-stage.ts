/**
 * Replays the Dockerfile's runtime stage without a Docker engine (none runs on CI machines): in a temporary folder
 * it copies what the stage copies (the build stage's output is this checkout's `npm run build`), runs its RUN
 * steps (`npm ci --omit=dev`, which must print no EBADENGINE warning on this Node), checks that no dev dependency
 * came along, starts its CMD with its ENV, and runs its HEALTHCHECK command, which must pass. Run by CI after the
 * build: `npm run docker:replay`.
 */
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { commandArgs, readDockerfile } from './dockerfile';
import { freePort } from '../bench/lib';

const ROOT = path.join(__dirname, '..');

function fail(message: string): never {
  console.error(`docker replay: ${message}`);
  process.exit(1);
}

async function main(): Promise<void> {
  const stages = readDockerfile(path.join(ROOT, 'Dockerfile'));
  const runtime = stages.at(-1) ?? fail('no stage');
  const folder = mkdtempSync(path.join(tmpdir(), 'gateway-runtime-'));
  const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: folder };
  let cmd: string[] | undefined;
  let healthcheck: string[] | undefined;
  try {
    for (const { keyword, args } of runtime.instructions) {
      if (keyword === 'ENV') {
        const [name = '', value = ''] = args.split(/=(.*)/s);
        env[name] = value;
      } else if (keyword === 'COPY') {
        const parts = args.split(/\s+/).filter((part) => !part.startsWith('--'));
        const target = parts.pop() ?? fail(`COPY without a target: ${args}`);
        // `--from=build /app/dist` is this checkout's build output at the same relative path.
        for (const source of parts) {
          const relative = source.replace(/^\/app\//, '');
          const from = path.join(ROOT, relative);
          if (!existsSync(from)) fail(`${relative} is missing: run npm run build first`);
          const to = path.join(
            folder,
            target.endsWith('/') || parts.length > 1
              ? path.join(target, path.basename(relative))
              : target,
          );
          cpSync(from, to, { recursive: true });
        }
      } else if (keyword === 'RUN') {
        console.log(`RUN ${args}`);
        const result = spawnSync('sh', ['-c', args], { cwd: folder, env, encoding: 'utf8' });
        process.stdout.write(result.stdout);
        process.stderr.write(result.stderr);
        if (result.status !== 0) fail(`RUN failed: ${args}`);
        // A production install must be warning-free on every Node version package.json's engines claims.
        if (result.stderr.includes('EBADENGINE'))
          fail(`a production dependency does not support node ${process.version} (EBADENGINE)`);
      } else if (keyword === 'CMD') cmd = commandArgs(args);
      else if (keyword === 'HEALTHCHECK')
        healthcheck = commandArgs(args.replace(/^(--\S+\s+)*CMD\s+/, ''));
    }
    // The lock file marks packages that only development needs (`"dev": true`): none may be installed here.
    const lock = JSON.parse(readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { dev?: boolean }>;
    };
    const devOnly = Object.entries(lock.packages)
      .filter(([name, entry]) => entry.dev && name.startsWith('node_modules/'))
      .map(([name]) => name);
    const leaked = devOnly.filter((name) => existsSync(path.join(folder, name)));
    console.log(
      `docker replay: ${devOnly.length} dev-only packages in the lock file, ${leaked.length} installed`,
    );
    if (leaked.length > 0)
      fail(`dev-only packages in the runtime stage: ${leaked.slice(0, 10).join(', ')}`);
    if (!cmd || !healthcheck) fail('the runtime stage needs a CMD and a HEALTHCHECK');
    const port = await freePort();
    const runEnv = { ...env, PORT: String(port), HOST: '127.0.0.1' };
    const server = spawn(cmd[0]!, cmd.slice(1), {
      cwd: folder,
      env: runEnv,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    try {
      for (let attempt = 1; ; attempt += 1) {
        await new Promise((resolve) => setTimeout(resolve, 500));
        const check = spawnSync(healthcheck[0]!, healthcheck.slice(1), {
          cwd: folder,
          env: runEnv,
        });
        if (check.status === 0) break;
        if (attempt >= 20 || server.exitCode !== null) fail('the HEALTHCHECK never passed');
      }
      console.log(
        `docker replay: runtime stage started from ${folder} and passed its HEALTHCHECK (/healthz)`,
      );
    } finally {
      server.kill('SIGTERM');
    }
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

void main();
