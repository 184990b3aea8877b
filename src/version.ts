import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The folder of the package's package.json, found by walking up from this file: the same answer from src/ (tests,
 * tsx), dist/ (the build) and dist-emulator/src/ (the demo's build), so schema/ and examples/ are found from each.
 */
function findPackageRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}

export const PACKAGE_ROOT = findPackageRoot(__dirname);

const manifest = JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
};

export const GATEWAY_NAME = manifest.name;
export const GATEWAY_VERSION = manifest.version;
export const USER_AGENT = `${GATEWAY_NAME}/${GATEWAY_VERSION}`;
