// Redis key layout of igpg queues: BullMQ queues under the "igpg" prefix, plus igpg's own keys beside them.

/** BullMQ key prefix of every igpg queue. */
export const QUEUE_PREFIX = 'igpg';
/** The queue of zoo training jobs. */
export const ZOO_QUEUE = 'zoo';
/** Hash of worker heartbeats: field = worker id, value = JSON (see heartbeat.ts). */
export const WORKERS_KEY = `${QUEUE_PREFIX}:workers`;
/**
 * Set when a coordinator enqueues a zoo's jobs. If it is gone, Redis lost its data (a restart without
 * persistence): the coordinator enqueues the missing jobs again.
 */
export const zooMarkerKey = (zoo: string) => `${QUEUE_PREFIX}:zoo-marker:${zoo}`;
/** Hash of an evaluation's input files (zoo + generator bundle), by digest of their contents (see eval/queue/inputs.ts). */
export const evalInputsKey = (digest: string) => `${QUEUE_PREFIX}:eval-inputs:${digest}`;
/** Set when a coordinator enqueues an evaluation's row jobs (as zooMarkerKey). */
export const evalMarkerKey = (evaluation: string) => `${QUEUE_PREFIX}:eval-marker:${evaluation}`;
