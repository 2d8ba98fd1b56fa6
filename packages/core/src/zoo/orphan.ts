// A zoo worker must not outlive its coordinator. The IPC 'disconnect' event only fires when the event loop
// runs, and an epoch of training is one synchronous stretch of up to seconds; so the training loop also
// polls the parent pid between minibatches (a reparented process has a new ppid). Cost: one getppid() call.

const IS_WORKER = process.env.IGPG_ZOO_WORKER === '1';
const PARENT = process.ppid;

/** In a zoo worker whose parent has died: exit now (what is recorded is whole; the job in flight is redone). */
export function exitIfOrphaned(): void {
  if (IS_WORKER && process.ppid !== PARENT) process.exit(0);
}
