/**
 * Ctrl-C (SIGINT) and SIGTERM during training. Without a handler Node dies at once, leaving the
 * terminal as the progress bar set it (cursor hidden, line wrap off) and the user guessing where
 * a new run will continue. With InterruptWatch installed:
 *
 *  - the first signal is noted; the loop finishes the step (or evaluation and checkpoint) under
 *    way, optionally writes a checkpoint (--save-on-interrupt), stops the progress bar (which
 *    turns the cursor and line wrap back on), says in one line on stderr where the next run
 *    resumes, and ends with exit status 128 + the signal's number (130 for SIGINT, 143 for
 *    SIGTERM, what a shell reports for a process the signal killed);
 *  - a second signal stops at once: it does not wait for the step or the checkpoint. Nothing can be
 *    corrupted by that: checkpoints are written to a temporary directory and renamed into place
 *    (src/train/checkpoint.ts), and that write is synchronous, so the handler runs only before or
 *    after it, never inside it; a half-written temporary directory from a stop during evaluation
 *    or data loading is removed by the next run. Someone pressing Ctrl-C twice wants out, so
 *    waiting (ignoring the second) would only make them reach for kill -9.
 */
import { constants } from 'node:os';

export type InterruptSignal = 'SIGINT' | 'SIGTERM';

/** The exit status after `signal`: 128 + its number, as shells report a process the signal killed. */
export function interruptExitCode(signal: InterruptSignal): number {
  return 128 + constants.signals[signal];
}

/**
 * Thrown by the training loop when it stopped on a signal, after the terminal is restored and the
 * line saying where to resume was printed. Its fields make oclif's last-resort handler exit with
 * `exitCode` and print nothing more (the `albert` binary does not otherwise know this error);
 * a library caller can catch it by class.
 */
export class TrainingInterrupted extends Error {
  readonly exitCode: number;
  /** For oclif's handler (@oclif/core errors/handle.js): the exit status, and no second message. */
  readonly oclif: { exit: number };
  readonly skipOclifErrorHandling = true;
  readonly code = 'EEXIT';

  constructor(
    readonly signal: InterruptSignal,
    /** The updates done when the loop stopped. */
    readonly step: number,
    /** The newest checkpoint, which the next run resumes from (null: it starts over). */
    readonly checkpoint: string | null,
  ) {
    super(interruptedLine(step, checkpoint));
    this.name = 'TrainingInterrupted';
    this.exitCode = interruptExitCode(signal);
    this.oclif = { exit: this.exitCode };
  }
}

/** The one line said after an interrupt. */
export function interruptedLine(step: number, checkpoint: string | null): string {
  return checkpoint
    ? `interrupted at step ${step}; run the same command again to resume from ${checkpoint}`
    : `interrupted at step ${step}; there is no checkpoint yet, so running the same command again starts over`;
}

export interface InterruptWatchOptions {
  /** The first signal: say that the loop stops at the end of what it is doing. */
  onFirst?(signal: InterruptSignal): void;
  /**
   * A second signal: restore the terminal and print where to resume, synchronously; the process
   * then exits with interruptExitCode(signal).
   */
  onForce(signal: InterruptSignal): void;
  /** Tests replace process.exit. */
  exit?: (code: number) => void;
}

/** Turns SIGINT and SIGTERM into a flag the loop reads between steps; see the file comment. */
export class InterruptWatch {
  /** The first signal received (null: none). */
  signal: InterruptSignal | null = null;
  private readonly handlers = new Map<InterruptSignal, () => void>();

  constructor(private readonly opts: InterruptWatchOptions) {
    for (const s of ['SIGINT', 'SIGTERM'] as const) {
      const h = (): void => this.received(s);
      this.handlers.set(s, h);
      process.on(s, h);
    }
  }

  private received(s: InterruptSignal): void {
    if (this.signal === null) {
      this.signal = s;
      this.opts.onFirst?.(s);
      return;
    }
    try {
      this.opts.onForce(s);
    } finally {
      (this.opts.exit ?? ((code: number) => process.exit(code)))(interruptExitCode(s));
    }
  }

  /** Gives the signals back their default action. */
  dispose(): void {
    for (const [s, h] of this.handlers) process.removeListener(s, h);
    this.handlers.clear();
  }
}
