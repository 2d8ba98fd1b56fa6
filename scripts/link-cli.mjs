// After a build: make the CLI entry executable and link `igpg` into node_modules/.bin. `npm ci` links bins
// before dist/ exists, so on a fresh clone the link is missing until the first build.
import { chmodSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

chmodSync(new URL('../packages/cli/dist/main.js', import.meta.url), 0o755);
execFileSync(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['rebuild', '@igpg/cli', '--ignore-scripts'], { stdio: 'ignore' });
