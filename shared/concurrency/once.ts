/**
 * A value made once, on first use, and shared by every caller; if making it fails, the next
 * caller tries again (a storage blip at start-up must not be remembered forever).
 */
export function once<T>(make: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => {
    if (!pending) {
      const attempt = make();
      pending = attempt;
      attempt.catch(() => {
        if (pending === attempt) pending = undefined;
      });
    }
    return pending;
  };
}

/** `once` per key. */
export function oncePerKey<K, T>(make: (key: K) => Promise<T>): (key: K) => Promise<T> {
  const made = new Map<K, () => Promise<T>>();
  return (key) => {
    let get = made.get(key);
    if (!get) {
      get = once(() => make(key));
      made.set(key, get);
    }
    return get();
  };
}
