/**
 * POSTs to subscribers' endpoints with a deadline, as Graph's notification sender does: the
 * validation handshake (text/plain token, 10 s) and change/lifecycle notifications (JSON, 3 s).
 */
export interface WebhookResult {
  ok: boolean;
  status?: number;
  body?: string;
  elapsedMs: number;
  error?: string;
}

export async function postWithDeadline(
  url: string,
  body: string,
  contentType: string,
  timeoutMs: number,
): Promise<WebhookResult> {
  const started = Date.now();
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': contentType,
        'user-agent': 'Microsoft-Graph-Change-Notifications (simulator)',
      },
      body,
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await response.text();
    return {
      ok: response.status >= 200 && response.status < 300,
      status: response.status,
      body: text,
      elapsedMs: Date.now() - started,
    };
  } catch (error) {
    return {
      ok: false,
      elapsedMs: Date.now() - started,
      error: error instanceof Error ? error.message : String(error),
    };
  }
}

export function withQuery(url: string, name: string, value: string): string {
  const u = new URL(url);
  u.searchParams.append(name, value);
  return u.toString();
}
