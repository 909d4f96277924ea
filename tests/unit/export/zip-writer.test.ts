import { createHash, randomBytes } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ZipWriter } from '../../../shared/export/zip-writer';
import { unzipEntries } from '../../support/unzip';

/** Every entry of a zip, read with yauzl (a real unzip that checks sizes against the directory). */
const unzip = unzipEntries;

async function collect(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

describe('ZipWriter', () => {
  it('writes stored and deflated entries, from buffers and streams, that a real unzip reads back byte for byte', async () => {
    const output = new PassThrough();
    const zipped = collect(output);
    const zip = new ZipWriter(output);
    const text = Buffer.from('Subject: hello\r\n\r\nplain text compresses well. '.repeat(5000));
    const random = randomBytes(3 * 1024 * 1024 + 17);
    const mtime = new Date(Date.UTC(2024, 4, 17, 9, 30, 0));
    const inChunks = (data: Buffer, size: number) =>
      Readable.from(
        Array.from({ length: Math.ceil(data.length / size) }, (_, i) =>
          data.subarray(i * size, (i + 1) * size),
        ),
      );

    await zip.add('content/Inbox/hello (1a2b3c4d).eml', text, { mtime, compressionLevel: 1 });
    await zip.add('content/Photos/holiday.jpg', random, { mtime, compressionLevel: 0 });
    await zip.add('content/Notes/long.txt', inChunks(text, 65_536), {
      mtime,
      compressionLevel: 1,
      size: text.length,
    });
    await zip.add('content/Tools/installer.bin', inChunks(random, 1_000_000), { mtime, compressionLevel: 0 });
    await zip.add('content/Ünïcødé – 日本語.txt', Buffer.from('名前'), { mtime, compressionLevel: 6 });
    await zip.add('content/empty.txt', Buffer.alloc(0), { mtime, compressionLevel: 1 });
    await zip.add('content/empty-stream.txt', Readable.from([]), { mtime, compressionLevel: 1 });
    await zip.end();
    const bytes = await zipped;
    expect(zip.bytesWritten).toBe(bytes.length);

    const entries = await unzip(bytes);
    const expected: [string, Buffer, number][] = [
      ['content/Inbox/hello (1a2b3c4d).eml', text, 8],
      ['content/Photos/holiday.jpg', random, 0],
      ['content/Notes/long.txt', text, 8],
      ['content/Tools/installer.bin', random, 0],
      ['content/Ünïcødé – 日本語.txt', Buffer.from('名前'), 8],
      ['content/empty.txt', Buffer.alloc(0), 8],
      ['content/empty-stream.txt', Buffer.alloc(0), 8],
    ];
    expect([...entries.keys()]).toEqual(expected.map(([name]) => name));
    for (const [name, data, method] of expected) {
      const entry = entries.get(name)!;
      expect({ name, sha256: sha256(entry.data), method: entry.method, crc32: entry.crc32 }).toEqual({
        name,
        sha256: sha256(data),
        method,
        crc32: crc32(data),
      });
      expect(entry.mtime.getTime()).toBe(mtime.getTime());
    }
    // Mail deflates: the zip is far smaller than what it holds.
    expect(bytes.length).toBeLessThan(text.length + 2 * random.length);
  });

  it('writes Zip64 end records for more than 65,535 entries (a big mailbox), which a real unzip lists in full', async () => {
    const output = new PassThrough();
    const zipped = collect(output);
    const zip = new ZipWriter(output);
    const mtime = new Date(Date.UTC(2024, 0, 2));
    const count = 70_000;
    for (let i = 0; i < count; i++)
      await zip.add(`content/Inbox/m${i}.eml`, Buffer.from(`message ${i}`), { mtime, compressionLevel: 0 });
    // An entry announced as 4 GiB or more gets Zip64 records from its local header on.
    await zip.add('content/big.bin', Readable.from([Buffer.from('not really big')]), {
      mtime,
      compressionLevel: 0,
      size: 5 * 1024 ** 3,
    });
    await zip.end();
    const bytes = await zipped;
    const entries = await unzip(bytes);
    expect(entries.size).toBe(count + 1);
    expect(entries.get('content/Inbox/m0.eml')!.data.toString()).toBe('message 0');
    expect(entries.get(`content/Inbox/m${count - 1}.eml`)!.data.toString()).toBe(`message ${count - 1}`);
    expect(entries.get('content/big.bin')!.data.toString()).toBe('not really big');
    // The Zip64 end of central directory record and its locator precede the classic end record.
    expect(bytes.readUInt32LE(bytes.length - 22 - 20)).toBe(0x07064b50);
    expect(bytes.readUInt16LE(bytes.length - 22 + 10)).toBe(0xffff);
  });

  it('fails an entry clearly when its content stream fails, and when the output is gone', async () => {
    const output = new PassThrough();
    const zipped = collect(output).catch(() => Buffer.alloc(0));
    const zip = new ZipWriter(output);
    const failing = Readable.from(
      (async function* () {
        yield Buffer.from('first part');
        throw new Error('repository integrity check failed: content read back differently');
      })(),
    );
    await expect(
      zip.add('content/a.txt', failing, { mtime: new Date(), compressionLevel: 1 }),
    ).rejects.toThrow(/integrity check failed/);
    output.destroy(new Error('upload failed: 503'));
    await zipped;
    await expect(
      zip.add('content/b.txt', Buffer.from('b'), { mtime: new Date(), compressionLevel: 0 }),
    ).rejects.toThrow(/upload failed: 503/);
  });
});
