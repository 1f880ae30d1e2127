/**
 * The one lifecycle owner (STYLE.md §1–2). Features start in a fixed order and stop in the
 * reverse order. A feature that fails to start is reported and left out; the others go on,
 * unless it is `essential` (the vault, the parameter store), which aborts start-up. A stop
 * requested during start-up waits for the feature being started, then unwinds.
 */
import { toProvisiondError, type ProvisiondError } from '../errors/index.js';
import type { Logger } from '../log/index.js';

export interface Feature {
  readonly name: string;
  /** Start-up cannot go on without it. */
  readonly essential?: boolean;
  start(): Promise<void>;
  /** Absent: nothing to undo (the feature holds no listener, timer or socket). */
  stop?(): Promise<void>;
}

/** How a feature is doing, for `provisionctl status` and the MQTT `state` (never a secret: codes and messages are). */
export interface FeatureHealth {
  readonly name: string;
  readonly state: 'starting' | 'running' | 'failed' | 'stopped';
  readonly error?: { readonly code: string; readonly message: string };
}

export class Controller {
  private readonly features: readonly Feature[];
  private readonly logger: Logger;
  private readonly started: Feature[] = [];
  private stopRequested = false;
  private stopping: Promise<void> | undefined;
  private current: Promise<void> | undefined;
  private readonly states = new Map<string, FeatureHealth>();
  private readonly onHealthChange: () => void;

  constructor(features: readonly Feature[], logger: Logger, onHealthChange: () => void = () => undefined) {
    this.features = features;
    this.logger = logger;
    this.onHealthChange = onHealthChange;
  }

  /** Every feature's state, in start order; one not reached yet is absent. */
  health(): FeatureHealth[] {
    return [...this.states.values()];
  }

  /** A running feature that died (its socket closed for good, its loop gave up): reported, not fatal. */
  fail(name: string, error: unknown): void {
    const failure = toProvisiondError(error);
    this.logger.error(`${name} stopped working: ${failure.message}`, { feature: name, code: failure.code });
    this.setState(name, 'failed', failure);
  }

  private setState(name: string, state: FeatureHealth['state'], error?: ProvisiondError): void {
    this.states.set(name, { name, state, ...(error ? { error: { code: error.code, message: error.message } } : {}) });
    this.onHealthChange();
  }

  /** Starts every feature in order; resolves false when start-up was aborted. */
  async start(): Promise<boolean> {
    for (const feature of this.features) {
      if (this.stopRequested) return false;
      try {
        this.setState(feature.name, 'starting');
        this.current = feature.start();
        await this.current;
        this.started.push(feature);
        this.setState(feature.name, 'running');
        this.logger.debug('started', { feature: feature.name });
      } catch (err) {
        const error = toProvisiondError(err);
        this.logger.error(`${feature.name} failed to start: ${error.message}`, { feature: feature.name, code: error.code });
        this.setState(feature.name, 'failed', error);
        if (feature.essential) {
          await this.stop();
          throw error;
        }
      }
    }
    return !this.stopRequested;
  }

  /** Stops what started, newest first; safe to call more than once. */
  stop(): Promise<void> {
    this.stopRequested = true;
    this.stopping ??= this.unwind();
    return this.stopping;
  }

  private async unwind(): Promise<void> {
    // A feature half-way through start() finishes starting first, so it is stopped too.
    await this.current?.catch(() => undefined);
    while (this.started.length > 0) {
      const feature = this.started.pop()!;
      try {
        await feature.stop?.();
        this.setState(feature.name, 'stopped');
      } catch (err) {
        this.logger.error(`${feature.name} failed to stop cleanly: ${toProvisiondError(err).message}`, { feature: feature.name });
      }
    }
  }
}
