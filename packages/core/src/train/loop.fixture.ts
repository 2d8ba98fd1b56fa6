// A tiny real training run for loop.test.ts, run as a child process so the test can kill it with SIGKILL.
// argv: dir steps [killAtStep]. Prints the final weights' sha256 as JSON on stdout.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { createRng } from '../rng';
import { sha256 } from '../io/atomic';
import { runTrainingLoop } from './loop';

export async function toyRun(dir: string, steps: number, killAt = -1): Promise<string> {
  await tf.setBackend('cpu');
  const seed = 7;
  const init = createRng(seed).fork('init');
  const w1 = tf.tidy(() => tf.variable(tf.randomNormal([4, 16], 0, 0.5, 'float32', init.tfSeed()), true, 'toy/w1'));
  const w2 = tf.tidy(() => tf.variable(tf.randomNormal([16, 1], 0, 0.5, 'float32', init.tfSeed()), true, 'toy/w2'));
  const optimizer = tf.train.adam(0.01);
  await runTrainingLoop({
    dir, kind: 'toy', config: { seed, lr: 0.01, steps }, steps, checkpointEvery: 5, resume: true,
    variables: [w1, w2], optimizer, progress: false,
    step: (i) => {
      if (i === killAt) process.kill(process.pid, 'SIGKILL');
      const rng = createRng(seed).fork(`batch/${i}`); // data from (seed, step) only
      const xs = Array.from({ length: 32 * 4 }, () => rng.normal());
      const tfSeed = createRng(seed).fork(i).tfSeed(); // seeded tf op (dropout) per step
      const value = optimizer.minimize(() => tf.tidy(() => {
        const x = tf.tensor2d(xs, [32, 4]);
        const y = tf.sin(tf.sum(x, 1, true));
        const h = tf.dropout(tf.tanh(tf.matMul(x, w1)), 0.1, undefined, tfSeed);
        return tf.losses.meanSquaredError(y, tf.matMul(h, w2)) as tf.Scalar;
      }), true)!;
      const loss = value.dataSync()[0];
      value.dispose();
      return { loss };
    },
  });
  const bytes = new Uint8Array([...w1.dataSync(), ...w2.dataSync()].flatMap((x) => [...new Uint8Array(new Float32Array([x]).buffer)]));
  const digest = sha256(bytes);
  tf.dispose([w1, w2]);
  optimizer.dispose();
  return digest;
}

if (require.main === module) {
  const [dir, steps, killAt] = process.argv.slice(2);
  toyRun(dir, Number(steps), killAt === undefined ? -1 : Number(killAt)).then((h) => process.stdout.write(JSON.stringify({ sha256: h }) + '\n'));
}
