// The default pipeline's shapes for the training suites: configs/default.json (tokenizer, VQ-VAE, prior) and the
// default zoo's architectures (zoo/default.json) on 28x28 MNIST-sized inputs, so the bench times what `igpg` trains.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

/** configs/default.json, and each default-zoo architecture's { label, infos, condition } (resolveArchitecture). */
export function defaultLayout(core) {
  require('../packages/architectures/dist/index.js').registerBuiltinArchitectures();
  const config = JSON.parse(readFileSync(join(root, 'configs/default.json'), 'utf8'));
  const zoo = JSON.parse(readFileSync(join(root, 'zoo/default.json'), 'utf8'));
  const architectures = zoo.architectures.map((a) => {
    const r = core.resolveArchitecture({ name: a.name, spec: { ...a.spec, inputShape: [28, 28, 1], classes: 10 } });
    return { label: a.label ?? a.name, infos: r.infos, condition: r.condition };
  });
  return { config, architectures };
}
