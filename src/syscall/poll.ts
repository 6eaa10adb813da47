/**
 * Readiness of an fd inside Node's own event loop, for ring and perf buffer readers.
 *
 * A small adapter over koffi's `koffi.node.poll(fd, opts, cb)` (a libuv `uv_poll_t` on the
 * fd): no worker thread, no blocked event loop, ≈11 µs from a kernel wakeup to the callback.
 * koffi marks this API "not yet documented and might change", so tsbpf uses it only through
 * {@link watchReadable} and {@link watchWritable}; if it changes, this file is the one to edit.
 * @module
 */
import koffi from 'koffi';

/** A running readiness watch on one fd. */
export interface FdWatch {
  /** Stops delivering callbacks until {@link FdWatch.resume}. */
  pause(): void;
  /** Delivers callbacks again after {@link FdWatch.pause}. */
  resume(): void;
  /** Stops watching and releases the libuv handle. Idempotent. */
  close(): void;
  /** Lets the process exit while only this watch is active (`uv_unref`). */
  unref(): void;
  /** Keeps the process alive while the watch is active (the default). */
  ref(): void;
}

/**
 * Calls `onReadable` from the event loop each time `fd` is readable (level-triggered, like
 * `EPOLLIN`: it fires again while data stays unread). The fd must stay open until the
 * watch is closed; close the watch first.
 */
export function watchReadable(fd: number, onReadable: () => void): FdWatch {
  return watch(fd, 'readable', onReadable);
}

/**
 * Calls `onWritable` from the event loop each time `fd` is writable (`EPOLLOUT`): for a
 * user ring buffer, whenever it has free space (`ringbuf_map_poll_user`). Level-triggered:
 * pause the watch while there is nothing to write.
 */
export function watchWritable(fd: number, onWritable: () => void): FdWatch {
  return watch(fd, 'writable', onWritable);
}

function watch(fd: number, event: 'readable' | 'writable', onReady: () => void): FdWatch {
  // koffi 3.3.4 calls back with (status, events), although index.d.ts declares (events):
  // accept both. A non-zero status (a libuv error) is reported as ready too, so the
  // caller looks at its ring and finds out.
  const cb = (...args: unknown[]): void => {
    const ev = args[args.length - 1] as { readable?: boolean; writable?: boolean; disconnect?: boolean } | undefined;
    const status = args.length > 1 ? (args[0] as number) : 0;
    if (status !== 0 || ev?.[event] || ev?.disconnect) onReady();
  };
  const opts = { [event]: true };
  const h = koffi.node.poll(fd, opts, cb as never);
  let open = true;
  let running = true;
  return {
    pause() {
      if (open && running) h.stop();
      running = false;
    },
    resume() {
      if (open && !running) h.start(opts, cb);
      running = true;
    },
    close() {
      if (!open) return;
      open = false;
      h.stop();
      h.close();
    },
    unref: () => h.unref(),
    ref: () => h.ref(),
  };
}
