// tfjs-core registers no gradients on its own. Its `register_all_gradients` module is ESM with
// extension-less imports, which plain Node cannot load from CommonJS (ERR_MODULE_NOT_FOUND), so
// the built CLI and tslab notebooks could not train. This bundles it once into a CommonJS file.
// The bundled op code reaches tfjs through the global engine and registries, so it shares the one
// hoisted tfjs-core (the same way the @tensorflow/tfjs node bundle does).
import { build } from 'esbuild';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const outfile = fileURLToPath(new URL('../vendor/tfjs-gradients.js', import.meta.url));
await build({
  entryPoints: [require.resolve('@tensorflow/tfjs-core/dist/register_all_gradients.js')],
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: ['seedrandom', 'long'],
  outfile,
  logLevel: 'warning',
  legalComments: 'none',
});
