export { buildZooOnQueue, QueueBuildError, type QueueBuildOptions } from './build';
export { queueStatus, formatQueueStatus, type QueueStatus } from './status';
export { parseQueueUrl, redactQueueUrl, type QueueTarget } from './url';
export { checkZooJobPayload, zooJobPayload, zooJobId, MAX_PAYLOAD_BYTES, type ZooJobPayload, type ZooJobResult } from './payload';
export { verifyZooResult } from './verify';
export { QUEUE_PREFIX, ZOO_QUEUE } from './names';
export { connectOnce } from './probe';
