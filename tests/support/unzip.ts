import { fromBuffer, type Entry, type ZipFile } from 'yauzl';

export interface Unzipped {
  data: Buffer;
  /** 0 stored, 8 deflated. */
  method: number;
  crc32: number;
  mtime: Date;
}

/**
 * Every entry of a zip, read with yauzl (a real unzip that checks each entry's size and CRC-32
 * against the central directory and refuses unsafe names).
 */
export async function unzipEntries(zipBytes: Buffer): Promise<Map<string, Unzipped>> {
  const zip = await new Promise<ZipFile>((resolve, reject) =>
    fromBuffer(zipBytes, { lazyEntries: true, strictFileNames: true }, (err, z) =>
      err ? reject(err) : resolve(z),
    ),
  );
  const out = new Map<string, Unzipped>();
  await new Promise<void>((resolve, reject) => {
    zip.on('entry', (entry: Entry) => {
      zip.openReadStream(entry, (err, stream) => {
        if (err) return reject(err);
        const parts: Buffer[] = [];
        stream.on('data', (c: Buffer) => parts.push(c));
        stream.on('end', () => {
          out.set(entry.fileName, {
            data: Buffer.concat(parts),
            method: entry.compressionMethod,
            crc32: entry.crc32,
            mtime: entry.getLastModDate(),
          });
          zip.readEntry();
        });
        stream.on('error', reject);
      });
    });
    zip.on('end', resolve);
    zip.on('error', reject);
    zip.readEntry();
  });
  return out;
}
