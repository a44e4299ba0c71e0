/**
 * Progress of long benchmark work: a cli-progress bar on a terminal, nothing otherwise (or with `--quiet`).
 */
import cliProgress from "cli-progress";

export interface Progress {
  /** Advance by `delta` units, showing `label`. */
  tick(delta: number, label: string): void;
  stop(): void;
}

/** A bar over `total` units on `stream` when it is a TTY and `quiet` is false; a no-op otherwise. */
export function createProgress(
  total: number,
  options: { quiet: boolean; stream?: NodeJS.WriteStream },
): Progress {
  const stream = options.stream ?? process.stderr;
  if (options.quiet || !stream.isTTY) return { tick() {}, stop() {} };
  const bar = new cliProgress.SingleBar(
    { stream, format: "{bar} {percentage}% | {value}/{total} runs | {label}", hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0, { label: "" });
  return {
    tick: (delta, label) => bar.increment(delta, { label }),
    stop: () => bar.stop(),
  };
}

/** A sweep's progress hooks: it learns its total once its workloads are generated, then ticks as runs end. */
export interface SweepProgressHooks {
  onTotal(total: number): void;
  onProgress(delta: number, label: string): void;
}

/**
 * The progress of a sweep whose total is not known before it starts: `hooks` go into the sweep's options (the
 * bar appears at `onTotal`), `stop` ends the bar once the sweep is done or failed.
 */
export function sweepProgress(options: { quiet: boolean }): { hooks: SweepProgressHooks; stop(): void } {
  let progress = createProgress(0, { quiet: true });
  return {
    hooks: {
      onTotal: (total) => {
        progress = createProgress(total, { quiet: options.quiet });
      },
      onProgress: (delta, label) => progress.tick(delta, label),
    },
    stop: () => progress.stop(),
  };
}
