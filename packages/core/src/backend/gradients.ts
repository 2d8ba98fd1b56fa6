// Registers every tfjs op gradient. tfjs-core alone registers none, and its register_all_gradients
// module is ESM that plain Node cannot require, so `npm run build` bundles it to CommonJS first
// (packages/core/scripts/bundle-gradients.mjs). Import this module for its side effect.
import * as fs from 'node:fs';
import * as path from 'node:path';

const bundle = path.join(__dirname, '..', '..', 'vendor', 'tfjs-gradients.js');
if (!fs.existsSync(bundle)) {
  throw new Error(`tfjs gradients bundle missing (${bundle}): run \`npm run build\` (or \`node packages/core/scripts/bundle-gradients.mjs\`)`);
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
require(bundle);
