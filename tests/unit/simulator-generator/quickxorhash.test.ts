import { describe, expect, it } from 'vitest';
import { createQuickXorHash, fileBytes, quickXorHash } from '../../../dev/simulator/generator/index';

/**
 * Published vectors: rclone's backend/onedrive/quickxorhash/quickxorhash_test.go (input and
 * expected digest, both base64), from its port of Microsoft's reference C# implementation
 * (https://learn.microsoft.com/onedrive/developer/code-snippets/quickxorhash). A subset.
 */
const RCLONE_VECTORS: readonly (readonly [number, string, string])[] = [
  [0, '', 'AAAAAAAAAAAAAAAAAAAAAAAAAAA='],
  [1, 'Sg==', 'SgAAAAAAAAAAAAAAAQAAAAAAAAA='],
  [2, 'tbQ=', 'taAFAAAAAAAAAAAAAgAAAAAAAAA='],
  [3, '0pZP', '0rDEEwAAAAAAAAAAAwAAAAAAAAA='],
  [4, 'jRRDVA==', 'jaDAEKgAAAAAAAAABAAAAAAAAAA='],
  [5, 'eAV52qE=', 'eChAHrQRCgAAAAAABQAAAAAAAAA='],
  [6, 'luBZlaT6', 'lgBHFipBCn0AAAAABgAAAAAAAAA='],
  [7, 'qaApEj66lw==', 'qQBFCiTgA11cAgAABwAAAAAAAAA='],
  [8, '/aNzzCFPS/A=', '/RjFHJgRgicsAR4ACAAAAAAAAAA='],
  [9, 'n6Neh7p6fFgm', 'nxiFFw6hCz3wAQsmCQAAAAAAAAA='],
  [10, 'J9iPGCbfZSTNyw==', 'J8DGIzBggm+UgQTNUgYAAAAAAAA='],
  [11, 'i+UZyUGJKh+ISbk=', 'iyhHBpIRhESo4AOIQ0IuAAAAAAA='],
  [12, 'h490d57Pqz5q2rtT', 'h3gEHe7giWeswgdq3MYupgAAAAA='],
  [13, 'vPgoDjOfO6fm71RxLw==', 'vMAHChwwg0/s4BTmdQcV4vACAAA='],
  [14, 'XoJ1AsoR4fDYJrDqYs4=', 'XhBEHQSgjAiEAx7YPgEs1CEGZwA='],
  [15, 'gQaybEqS/4UlDc8e4IJm', 'gDCALNigBEn8oxAlZ8AzPAAOQZg='],
  [16, '2fuxhBJXtpWFe8dOfdGeHw==', 'O9tHLAghgSvYohKFyMMxnNCHaHg='],
  [17, 'XBV6YKU9V7yMakZnFIxIkuU=', 'HbplHsBQih5cgReMQYMRzkABRiA='],
  [20, 'T6LYJIfDh81JrAK309H2JMJTXis=', 'zBTHrspn3mEcohlJdIUAbjGNaNg='],
  [32, 'NbYXsp5/K6mR+NmHwExjvWeWDJFnXTKWVlzYHoesp2E=', 'wjuAuWDiq04qDt1R8hHWDDcwVoQ='],
  [
    64,
    'Mb7EGva2rEE5fENDL85P+BsapHEEjv2/siVhKjvAQe02feExVOQSkfmuYzU/kTF1MaKjPmKF/w+cbvwfdWL8aQ==',
    'n1anP5NfvD4XDYWIeRPW3ZkPv1Y=',
  ],
  [
    111,
    'jyibxJSzO6ZiZ0O1qe3tG/bvIAYssvukh9suIT5wEy1JBINVgPiqdsTW0cOpP0aUfP7mgqLfADkzI/m/GgCuVhr8oFLrOCoTx1/psBOWwhltCbhUx51Icm9aH8tY4Z3ccU+6BKpYQkLCy0B/A9Zc',
    'hZfLIilSITC6N3e3tQ/iSgEzkto=',
  ],
  [
    128,
    'ikwCorI7PKWz17EI50jZCGbV9JU2E8bXVfxNMg5zdmqSZ2NlsQPp0kqYIPjzwTg1MBtfWPg53k0h0P2naJNEVgrqpoHTfV2b3pJ4m0zYPTJmUX4Bg/lOxcnCxAYKU29Y5F0U8Quz7ZXFBEweftXxJ7RS4r6N7BzJrPsLhY7hgck=',
    'imAoFvCWlDn4yVw3/oq1PDbbm6U=',
  ],
  [
    222,
    'PfxMcUd0vIW6VbHG/uj/Y0W6qEoKmyBD0nYebEKazKaKG+UaDqBEcmQjbfQeVnVLuodMoPp7P7TR1htX5n2VnkHh22xDyoJ8C/ZQKiSNqQfXvh83judf4RVr9exJCud8Uvgip6aVZTaPrJHVjQhMCp/dEnGvqg0oN5OVkM2qqAXvA0teKUDhgNM71sDBVBCGXxNOR2bpbD1iM4dnuT0ey4L+loXEHTL0fqMeUcEi2asgImnlNakwenDzz0x57aBwyq3AspCFGB1ncX4yYCr/OaCcS5OKi/00WH+wNQU3',
    'QX/YEpG0gDsmhEpCdWhsxDzsfVE=',
  ],
  [
    256,
    'qwGf2ESubE5jOUHHyc94ORczFYYbc2OmEzo+hBIyzJiNwAzC8PvJqtTzwkWkSslgHFGWQZR2BV5+uYTrYT7HVwRM40vqfj0dBgeDENyTenIOL1LHkjtDKoXEnQ0mXAHoJ8PjbNC93zi5TovVRXTNzfGEs5dpWVqxUzb5lc7dwkyvOluBw482mQ4xrzYyIY1t+//OrNi1ObGXuUw2jBQOFfJVj2Y6BOyYmfB1y36eBxi3zxeG5d5NYjm2GSh6e08QMAwu3zrINcqIzLOuNIiGXBtl7DjKt7b5wqi4oFiRpZsCyx2smhSrdrtK/CkdU6nDN+34vSR/M8rZpWQdBE7a8g==',
    'WYT9JY3JIo/pEBp+tIM6Gt2nyTM=',
  ],
];

describe('quickXorHash', () => {
  it('matches the published test vectors', () => {
    for (const [size, input, expected] of RCLONE_VECTORS) {
      const data = Buffer.from(input, 'base64');
      expect(data.length).toBe(size);
      expect(quickXorHash(data)).toBe(expected);
    }
  });

  it('matches the python quickxorhash package example ("hello world")', () => {
    // https://pypi.org/project/quickxorhash: b'aCgDG9jwBhDc4Q1yawMZAAAAAAA='
    expect(quickXorHash(Buffer.from('hello world'))).toBe('aCgDG9jwBhDc4Q1yawMZAAAAAAA=');
  });

  it('gives the same hash streamed in any block size as in one shot', () => {
    for (const [, input, expected] of RCLONE_VECTORS) {
      const data = Buffer.from(input, 'base64');
      for (const block of [1, 2, 3, 4, 7, 8, 16, 64, 160, 161]) {
        const h = createQuickXorHash();
        for (let i = 0; i < data.length; i += block) h.update(data.subarray(i, i + block));
        expect(h.digestBase64()).toBe(expected);
      }
    }
  });

  it('hashes large, unaligned and iterable input consistently', () => {
    const data = fileBytes({ contentSeed: 0x1234_5677, size: 3 * 1024 * 1024 + 13 });
    const whole = quickXorHash(data);
    // Unaligned views (byteOffset not a multiple of 4) take the copying path.
    const odd = Buffer.concat([Buffer.alloc(1), data]).subarray(1);
    expect(quickXorHash(odd)).toBe(whole);
    const pieces: Buffer[] = [];
    for (let at = 0, n = 1; at < data.length; at += n, n = (n * 7 + 3) % 100_003)
      pieces.push(data.subarray(at, at + n));
    expect(quickXorHash(pieces)).toBe(whole);
    const h = createQuickXorHash();
    h.update(data.subarray(0, 5));
    expect(h.digest().length).toBe(20);
    h.update(data.subarray(5));
    // digest() does not reset the state.
    expect(h.digestBase64()).toBe(whole);
  });
});
