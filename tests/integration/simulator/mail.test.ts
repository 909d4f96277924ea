import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { followPages, startTestSimulator, type TestSimulator } from '../../support/simulator';

const immutable = { prefer: 'IdType="ImmutableId"' };

function rfc822(subject: string, to: string, extra = ''): Buffer {
  return Buffer.from(
    [
      'Received: from mx.example.net by simulator; Mon, 2 Mar 2026 10:00:00 +0000',
      'From: "Zoë Sender" <zoe@example.net>',
      `To: ${to}`,
      `Subject: ${subject}`,
      'Date: Mon, 2 Mar 2026 09:59:58 +0000',
      `Message-ID: <${subject.replace(/\W/g, '')}@example.net>`,
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=utf-8',
      'Content-Transfer-Encoding: 8bit',
      '',
      `Body of ${subject} — ünïcödé ${extra}`,
      '',
    ].join('\r\n'),
  );
}

describe('simulator mail: folders, messages, delta, MIME, attachments, sendMail', () => {
  let t: TestSimulator;
  let userId: string;
  let upn: string;
  beforeAll(async () => {
    t = await startTestSimulator();
    const tenant = await t.sim.control.tenant(t.tenantId);
    const user = tenant.users.find((u) => u.hasMailbox)!;
    userId = user.id;
    upn = user.userPrincipalName;
  });
  afterAll(async () => {
    await t?.stop();
  });

  const deliver = (subject: string, folder = 'inbox') =>
    t.sim.control.deliverMessage(t.tenantId, userId, rfc822(subject, upn), { folder });

  it('keeps delivered MIME byte for byte and serves it from $value as text/plain', async () => {
    const mime = rfc822('exact bytes', upn, 'x'.repeat(100));
    const delivered = await t.sim.control.deliverMessage(t.tenantId, userId, mime);
    const value = await t.graph('GET', `/users/${userId}/messages/${delivered.id}/$value`, { raw: true });
    expect(value.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(value.bytes.equals(mime)).toBe(true);
    const json = await t.graph('GET', `/users/${userId}/mailFolders/inbox/messages/${delivered.id}`);
    expect(json.body).toMatchObject({
      subject: 'exact bytes',
      isDraft: false,
      isRead: false,
      from: { emailAddress: { address: 'zoe@example.net' } },
    });
    expect(json.body.body.content).toContain('ünïcödé');
  });

  it('lists the top-level folders, child folders, hidden folders on request, and the whole tree flat in mailFolders/delta', async () => {
    const top = await followPages(t, `/users/${userId}/mailFolders?$top=3`);
    const tree = await t.sim.control.mailbox(t.tenantId, userId);
    const root = tree.folders.find((f) => f.wellKnownName === 'msgfolderroot')!;
    const visibleTop = tree.folders.filter((f) => f.parentId === root.id && !f.isHidden);
    expect(top.items.map((f) => f.id).sort()).toEqual(visibleTop.map((f) => f.id).sort());
    const withHidden = await followPages(t, `/users/${userId}/mailFolders?includeHiddenFolders=true`);
    expect(withHidden.items.length).toBe(visibleTop.length + 1);
    const inbox = await t.graph('POST', `/users/${userId}/mailFolders/inbox/childFolders`, {
      body: { displayName: 'Receipts' },
    });
    expect(inbox.status).toBe(201);
    const nested = await t.graph('POST', `/users/${userId}/mailFolders/${inbox.body.id}/childFolders`, {
      body: { displayName: '2026' },
    });
    const delta = await followPages(t, `/users/${userId}/mailFolders/delta`, {
      prefer: 'odata.maxpagesize=4',
    });
    const ids = delta.items.map((f) => f.id);
    expect(ids).toContain(nested.body.id);
    expect(ids).not.toContain(root.id);
    expect(delta.items.find((f) => f.id === nested.body.id).parentFolderId).toBe(inbox.body.id);
    await t.graph('PATCH', `/users/${userId}/mailFolders/${nested.body.id}`, {
      body: { displayName: '2026 (old)' },
    });
    const round2 = await followPages(t, delta.deltaLink!);
    expect(round2.items.map((f) => f.displayName)).toEqual(['2026 (old)']);
  });

  it('runs per-folder message delta rounds with changes, moves out and deletions', async () => {
    const folder = (
      await t.graph('POST', `/users/${userId}/mailFolders`, { body: { displayName: 'Delta Test' } })
    ).body;
    const a = await deliver('a', folder.id);
    const b = await deliver('b', folder.id);
    const c = await deliver('c', folder.id);
    const initial = await followPages(
      t,
      `/users/${userId}/mailFolders/${folder.id}/messages/delta?$select=subject,isRead`,
      { prefer: 'odata.maxpagesize=2' },
    );
    expect(initial.pages).toBe(2);
    expect(initial.items.map((m) => m.subject).sort()).toEqual(['a', 'b', 'c']);
    expect(initial.items[0]['@odata.type']).toBe('#microsoft.graph.message');
    expect(Object.keys(initial.items[0]).sort()).toEqual([
      '@odata.etag',
      '@odata.type',
      'id',
      'isRead',
      'subject',
    ]);
    await t.graph('PATCH', `/users/${userId}/messages/${a.id}`, {
      body: { isRead: true, flag: { flagStatus: 'flagged' } },
    });
    await t.sim.control.moveMessage(t.tenantId, userId, b.id, 'deleteditems');
    await t.graph('DELETE', `/users/${userId}/messages/${c.id}`);
    const d = await deliver('d', folder.id);
    const round2 = await followPages(t, initial.deltaLink!);
    const byId = new Map(round2.items.map((m) => [m.id, m]));
    expect(byId.get(a.id)).toMatchObject({ subject: 'a', isRead: true });
    expect(byId.get(b.id)).toEqual({
      '@odata.type': '#microsoft.graph.message',
      id: b.id,
      '@removed': { reason: 'deleted' },
    });
    expect(byId.get(c.id)).toEqual({
      '@odata.type': '#microsoft.graph.message',
      id: c.id,
      '@removed': { reason: 'deleted' },
    });
    expect(byId.get(d.id)).toMatchObject({ subject: 'd', isRead: false });
    expect(round2.items).toHaveLength(4);
    expect((await followPages(t, round2.deltaLink!)).items).toEqual([]);
  });

  it('changes a message id when it moves unless ImmutableId is preferred', async () => {
    const m = await deliver('mover');
    const before = await t.graph('GET', `/users/${userId}/messages/${m.id}`, { headers: immutable });
    const stable = before.body.id;
    expect(stable).not.toBe(m.id);
    const moved = await t.graph('POST', `/users/${userId}/messages/${m.id}/move`, {
      body: { destinationId: 'archive' },
    });
    expect(moved.status).toBe(201);
    expect(moved.body.id).not.toBe(m.id);
    expect((await t.graph('GET', `/users/${userId}/messages/${m.id}`)).status).toBe(404);
    expect((await t.graph('GET', `/users/${userId}/messages/${moved.body.id}`)).body.subject).toBe('mover');
    const again = await t.graph('POST', `/users/${userId}/messages/${stable}/move`, {
      body: { destinationId: 'inbox' },
      headers: immutable,
    });
    expect(again.body.id).toBe(stable);
    expect(
      (await t.graph('GET', `/users/${userId}/messages/${stable}`, { headers: immutable })).body.id,
    ).toBe(stable);
    // In delta with ImmutableId, the removal from the archive names the stable id too.
  });

  it('answers an expired message delta token with 410 SyncStateNotFound', async () => {
    const { deltaLink } = await followPages(
      t,
      `/users/${userId}/mailFolders/inbox/messages/delta?$select=subject`,
    );
    await t.sim.control.expireDelta(t.tenantId, { kind: 'messages', userId, folderId: 'inbox' });
    const gone = await t.graph('GET', deltaLink!);
    expect([gone.status, gone.body.error.code]).toEqual([410, 'SyncStateNotFound']);
  });

  it('creates drafts from MIME, non-drafts from JSON with PR_MESSAGE_FLAGS, and keeps restored dates', async () => {
    const mime = rfc822('restore me', upn);
    const draft = await t.graph('POST', `/users/${userId}/messages`, {
      headers: { 'content-type': 'text/plain' },
      body: mime.toString('base64'),
    });
    expect(draft.status).toBe(201);
    expect(draft.body).toMatchObject({
      isDraft: true,
      subject: 'restore me',
      sentDateTime: '2026-03-02T09:59:58Z',
    });
    const tree = await t.sim.control.mailbox(t.tenantId, userId);
    expect(tree.folders.find((f) => f.wellKnownName === 'drafts')!.messages.map((m) => m.subject)).toContain(
      'restore me',
    );
    const restored = await t.graph('POST', `/users/${userId}/mailFolders/inbox/messages`, {
      body: {
        subject: 'restored as received',
        body: { contentType: 'html', content: '<p>hello</p>' },
        from: { emailAddress: { name: 'Ann', address: 'ann@example.net' } },
        toRecipients: [{ emailAddress: { address: upn } }],
        singleValueExtendedProperties: [
          { id: 'Integer 0x0E07', value: '1' },
          { id: 'SystemTime 0x0E06', value: '2025-01-02T03:04:05Z' },
          { id: 'SystemTime 0x0039', value: '2025-01-02T03:04:00Z' },
        ],
      },
    });
    expect(restored.body).toMatchObject({
      isDraft: false,
      isRead: true,
      receivedDateTime: '2025-01-02T03:04:05Z',
      sentDateTime: '2025-01-02T03:04:00Z',
    });
    const asText = await t.graph('GET', `/users/${userId}/messages/${restored.body.id}?$select=body`, {
      headers: { prefer: 'outlook.body-content-type="text"' },
    });
    expect(asText.body.body).toEqual({ contentType: 'text', content: 'hello' });
    expect(asText.headers.get('preference-applied')).toBe('outlook.body-content-type="text"');
    const restoredMime = await t.graph('GET', `/users/${userId}/messages/${restored.body.id}/$value`, {
      raw: true,
    });
    expect(restoredMime.bytes.toString('utf8')).toMatch(/Subject: restored as received/);
    // The draft bit is fixed at creation; a later PATCH cannot send a draft.
    const patched = await t.graph('PATCH', `/users/${userId}/messages/${draft.body.id}`, {
      body: { singleValueExtendedProperties: [{ id: 'Integer 0x0E07', value: '1' }] },
    });
    expect(patched.body.isDraft).toBe(true);
  });

  it('refuses bodies over 4 MB with 413 and bad base64 with ErrorMimeContentInvalidBase64String', async () => {
    const big = await t.graph('POST', `/users/${userId}/messages`, {
      headers: { 'content-type': 'text/plain' },
      body: Buffer.alloc(4 * 1024 * 1024 + 10, 65),
    });
    expect(big.status).toBe(413);
    const bad = await t.graph('POST', `/users/${userId}/messages`, {
      headers: { 'content-type': 'text/plain' },
      body: '%%%',
    });
    expect([bad.status, bad.body.error.code]).toEqual([400, 'ErrorMimeContentInvalidBase64String']);
  });

  it('uploads a large attachment through an Outlook upload session and serves it back', async () => {
    const m = await deliver('with attachment');
    const size = 3 * 1024 * 1024 + 123;
    const bytes = Buffer.alloc(size, 7);
    const small = await t.graph('POST', `/users/${userId}/messages/${m.id}/attachments/createUploadSession`, {
      body: { AttachmentItem: { attachmentType: 'file', name: 'tiny.bin', size: 10 } },
    });
    expect(small.status).toBe(400);
    const session = await t.graph(
      'POST',
      `/users/${userId}/messages/${m.id}/attachments/createUploadSession`,
      {
        body: {
          AttachmentItem: {
            attachmentType: 'file',
            name: 'report.pdf',
            size,
            contentType: 'application/pdf',
          },
        },
      },
    );
    expect(session.status).toBe(201);
    const url: string = session.body.uploadUrl;
    const chunk = 2 * 1024 * 1024;
    const first = await fetch(url, {
      method: 'PUT',
      headers: { 'content-range': `bytes 0-${chunk - 1}/${size}` },
      body: bytes.subarray(0, chunk),
    });
    expect(first.status).toBe(200);
    const partial = (await first.json()) as Record<string, unknown>;
    expect(partial['ExpirationDateTime']).toEqual(expect.any(String));
    expect(partial['nextExpectedRanges']).toEqual([String(chunk)]);
    const last = await fetch(url, {
      method: 'PUT',
      headers: { 'content-range': `bytes ${chunk}-${size - 1}/${size}` },
      body: bytes.subarray(chunk),
    });
    expect(last.status).toBe(201);
    expect(last.headers.get('location')).toMatch(/\/attachments\('/);
    const message = (await t.graph('GET', `/users/${userId}/messages/${m.id}`)).body;
    expect(message.hasAttachments).toBe(true);
    const list = await t.graph(
      'GET',
      `/users/${userId}/messages/${m.id}/attachments?$select=id,name,size,contentType`,
    );
    const att = list.body.value.find((a: { name: string }) => a.name === 'report.pdf');
    expect(att).toMatchObject({ size, contentType: 'application/pdf' });
    const raw = await t.graph('GET', `/users/${userId}/messages/${m.id}/attachments/${att.id}/$value`, {
      raw: true,
    });
    expect(raw.bytes.equals(bytes)).toBe(true);
    const mime = await t.graph('GET', `/users/${userId}/messages/${m.id}/$value`, { raw: true });
    expect(mime.bytes.toString('latin1')).toContain('report.pdf');
  });

  it('delivers sendMail to a recipient mailbox in the simulator and records it', async () => {
    const tenant = await t.sim.control.tenant(t.tenantId);
    const recipient = tenant.users.find((u) => u.hasMailbox && u.id !== userId)!;
    const sent = await t.graph('POST', `/users/${userId}/sendMail`, {
      body: {
        message: {
          subject: 'Lunch?',
          body: { contentType: 'text', content: 'At noon.' },
          toRecipients: [{ emailAddress: { address: recipient.userPrincipalName } }],
        },
      },
    });
    expect(sent.status).toBe(202);
    const box = await t.sim.control.mailbox(t.tenantId, recipient.id);
    const inbox = box.folders.find((f) => f.wellKnownName === 'inbox')!;
    expect(inbox.messages.find((m) => m.subject === 'Lunch?')).toMatchObject({
      isRead: false,
      isDraft: false,
    });
    const mine = await t.sim.control.mailbox(t.tenantId, userId);
    expect(
      mine.folders.find((f) => f.wellKnownName === 'sentitems')!.messages.map((m) => m.subject),
    ).toContain('Lunch?');
    expect((await t.sim.control.sentMail()).at(-1)).toMatchObject({
      subject: 'Lunch?',
      deliveredTo: [recipient.userPrincipalName],
    });
  });

  it('answers 404 MailboxNotEnabledForRESTAPI for users without a mailbox, and after unlicensing', async () => {
    const tenant = await t.sim.control.tenant(t.tenantId);
    const withoutMailbox = tenant.users.find((u) => !u.hasMailbox && u.userType === 'Member')!;
    const settings = await t.graph('GET', `/users/${withoutMailbox.id}/mailboxSettings`);
    expect([settings.status, settings.body.error.code]).toEqual([404, 'MailboxNotEnabledForRESTAPI']);
    const someone = tenant.users.filter((u) => u.hasMailbox).at(-1)!;
    expect((await t.graph('GET', `/users/${someone.id}/mailFolders/inbox`)).status).toBe(200);
    await t.sim.control.unlicenseUser(t.tenantId, someone.id);
    expect((await t.graph('GET', `/users/${someone.id}/mailFolders/inbox`)).body.error.code).toBe(
      'MailboxNotEnabledForRESTAPI',
    );
  });
});
