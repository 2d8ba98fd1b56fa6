export { buildZooOnQueue, QueueBuildError, type QueueBuildOptions } from './build';
export { queueStatus, formatQueueStatus, type QueueStatus } from './status';
export { parseQueueUrl, redactQueueUrl, type QueueTarget } from './url';
export { connectOnce } from './probe';
