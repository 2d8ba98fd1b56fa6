import { describe, expect, it } from 'vitest';
import { parseQueueUrl, redactQueueUrl } from './url';

describe('queue URLs', () => {
  it('parse host, port, db and credentials; rediss:// turns TLS on', () => {
    const t = parseQueueUrl('redis://:s3cr%40t@10.1.2.3:6380/4');
    expect(t.redis).toMatchObject({ host: '10.1.2.3', port: 6380, db: 4, password: 's3cr@t', maxRetriesPerRequest: null });
    expect(t.redis.tls).toBeUndefined();
    expect(parseQueueUrl('redis://localhost').redis).toMatchObject({ host: 'localhost', port: 6379, db: 0 });
    const tls = parseQueueUrl('rediss://user:pw@queue.example:6390/0');
    expect(tls.redis).toMatchObject({ username: 'user', password: 'pw', tls: { servername: 'queue.example' } });
  });

  it('never show the password, in the display form or in any error', () => {
    expect(parseQueueUrl('redis://:hunter2@h:1/0').display).toBe('redis://***@h:1/0');
    expect(redactQueueUrl('rediss://u:hunter2@h/0')).toBe('rediss://***@h/0');
    const bad = ['http://:hunter2@h:1/0', 'redis://:hunter2@h:1/x', 'redis://:hunter2@h:1/0?a=1', 'redis:/:hunter2@'];
    for (const url of bad) {
      expect(() => parseQueueUrl(url)).toThrow();
      try {
        parseQueueUrl(url);
      } catch (e) {
        expect((e as Error).message).not.toContain('hunter2');
      }
    }
    expect(() => parseQueueUrl('http://h:1')).toThrow(/scheme must be redis:\/\/ or rediss:\/\//);
    expect(() => parseQueueUrl('redis://h:1/x')).toThrow(/database must be a number/);
  });
});
