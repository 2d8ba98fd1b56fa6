// A plain tfjs script (no igpg import): serves the exported folders over HTTP, as a web page would load them,
// opens each with tf.loadLayersModel(url) and compares its logits with the ones igpg computed.
// Usage: node scripts/check_tfjs_export.mjs DIR   (DIR/ref.json: { cases: [{ label, x, xShape, logits }] })
// Prints { label: { maxAbsDiff, argmaxAgree } } as JSON.
import * as http from 'node:http';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';

const dir = path.resolve(process.argv[2]);
const server = http.createServer((req, res) => {
  const file = path.join(dir, decodeURIComponent(new URL(req.url, 'http://x').pathname));
  if (!file.startsWith(dir) || !fs.existsSync(file)) return res.writeHead(404).end();
  res.writeHead(200).end(fs.readFileSync(file));
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const base = `http://127.0.0.1:${server.address().port}`;
await tf.setBackend('cpu');
const out = {};
try {
  for (const c of JSON.parse(fs.readFileSync(path.join(dir, 'ref.json'), 'utf8')).cases) {
    const model = await tfl.loadLayersModel(`${base}/${c.label}/model.json`);
    const x = tf.tensor(c.x, c.xShape);
    const y = model.predict(x);
    const got = await y.data();
    const k = c.logits.length / c.xShape[0];
    let maxAbsDiff = 0;
    let argmaxAgree = true;
    for (let n = 0; n < c.xShape[0]; n++) {
      const row = (a) => Array.from(a.slice(n * k, (n + 1) * k));
      const [g, r] = [row(got), row(c.logits)];
      g.forEach((v, j) => (maxAbsDiff = Math.max(maxAbsDiff, Math.abs(v - r[j]))));
      argmaxAgree &&= g.indexOf(Math.max(...g)) === r.indexOf(Math.max(...r));
    }
    out[c.label] = { maxAbsDiff, argmaxAgree, layers: model.layers.map((l) => l.getClassName()).join(' ') };
    tf.dispose([x, y]);
    model.dispose();
  }
} finally {
  server.close();
}
process.stdout.write(JSON.stringify(out) + '\n');
