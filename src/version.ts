import { readFileSync } from 'node:fs';
import path from 'node:path';

// src/version.ts and dist/version.js both sit one level below package.json.
const manifest = JSON.parse(readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as {
  name: string;
  version: string;
};

export const GATEWAY_NAME = manifest.name;
export const GATEWAY_VERSION = manifest.version;
export const USER_AGENT = `${GATEWAY_NAME}/${GATEWAY_VERSION}`;
