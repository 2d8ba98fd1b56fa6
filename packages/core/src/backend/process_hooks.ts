/*
 * The Emscripten glue of tfjs-backend-wasm (4.22) installs, when its module starts in Node,
 *   process.on('uncaughtException', (ex) => { throw ex })  and  process.on('unhandledRejection', (r) => { throw r })
 * Rethrowing from inside the handler makes Node print the throwing source line first, and that line is the
 * whole minified glue (tens of kilobytes), so a user's own error scrolls away under it. Node's default
 * handling (print the error and its stack, exit 1) is what a script user expects, so we take those two
 * listeners off again right after the module starts.
 */

type Hooked = 'uncaughtException' | 'unhandledRejection';
const EVENTS: Hooked[] = ['uncaughtException', 'unhandledRejection'];

/** Run `start` (which may create an Emscripten module) and remove the process listeners it added. */
export async function withoutGlueHandlers<T>(start: () => Promise<T>): Promise<T> {
  const listeners = (e: Hooked): Function[] => (process as NodeJS.EventEmitter).listeners(e);
  const before = new Map(EVENTS.map((e) => [e, new Set(listeners(e))]));
  try {
    return await start();
  } finally {
    for (const e of EVENTS) {
      for (const l of listeners(e)) if (!before.get(e)!.has(l)) (process as NodeJS.EventEmitter).removeListener(e, l as (...a: unknown[]) => void);
    }
  }
}

/** A Node worker_threads Worker as the Emscripten PThread pool holds it. */
interface PoolWorker {
  ref(): unknown;
  unref(): unknown;
}
export interface PThreadPool {
  unusedWorkers: PoolWorker[];
  runningWorkers: PoolWorker[];
  allocateUnusedWorker(): void;
  terminateAllThreads(): void;
}

/**
 * Keep the pool's workers from holding the process open. The glue `ref()`s a worker while a pthread runs on it,
 * and XNNPACK's thread pool runs its pthreads for the module's whole life, so a script that never called
 * shutdownBackend() never exited. The pool threads only wait on atomics between ops (the main thread blocks
 * until an op's work is done), so nothing is lost when the process ends with them still parked.
 */
export function unrefPool(pool: PThreadPool): void {
  const unref = (w: PoolWorker): void => {
    w.ref = () => w;
    w.unref();
  };
  pool.unusedWorkers.forEach(unref);
  pool.runningWorkers.forEach(unref);
  const allocate = pool.allocateUnusedWorker.bind(pool);
  pool.allocateUnusedWorker = () => {
    allocate();
    unref(pool.unusedWorkers[pool.unusedWorkers.length - 1]);
  };
}
