import { parseQueueUrl } from '@igpg/core';
import { UsageError } from './errors';

/**
 * The queue URL from --queue, else $IGPG_QUEUE (which keeps a password out of the process list).
 * A bad URL is a usage error naming the flag; the message never shows credentials.
 */
export function queueUrlArg(flagValue: string | undefined, required: boolean): string | undefined {
  const url = flagValue ?? process.env.IGPG_QUEUE;
  if (url === undefined || url === '') {
    if (required) throw new UsageError('--queue: give the Redis URL, e.g. --queue redis://127.0.0.1:6379/0 (or set IGPG_QUEUE).');
    return undefined;
  }
  try {
    parseQueueUrl(url);
  } catch (e) {
    throw new UsageError(`--queue: ${(e as Error).message}.`);
  }
  return url;
}
