import { Cron } from 'croner';
import type { RegisteredFunction, RpcBindingInfo } from './core-api';
import { parseDuration, resolveSettingPlaceholders } from './host-config';
import type { Invoker } from './invoker';
import { describeError, type Logger } from './logger';

/** A run later than its scheduled time by more than this counts as past due. */
const PAST_DUE_TOLERANCE_MS = 1000;

/**
 * One timer-triggered function: an NCRONTAB schedule (six fields, seconds first; day-of-month and
 * day-of-week both apply, as in NCrontab) through croner, or a TimeSpan (`hh:mm:ss`) interval as
 * the host allows on dedicated plans. `%SETTING%` is resolved from the settings. Runs never overlap:
 * an occurrence that comes while the previous run is still going is skipped.
 */
export class TimerTriggerListener {
  readonly schedule: string;
  readonly runOnStartup: boolean;
  private readonly cron: Cron | undefined;
  private readonly intervalMs: number | undefined;
  private intervalTimer: NodeJS.Timeout | undefined;
  private expected: Date | undefined;
  private lastRun: Date | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly fn: RegisteredFunction,
    trigger: RpcBindingInfo,
    private readonly invoker: Invoker,
    private readonly logger: Logger,
    env: Record<string, string | undefined>,
  ) {
    const where = `Function '${fn.metadata.name}'`;
    if (typeof trigger.schedule !== 'string' || trigger.schedule.trim() === '') {
      throw new Error(`${where}: the timer trigger has no schedule`);
    }
    this.schedule = resolveSettingPlaceholders(trigger.schedule, env, where).trim();
    this.runOnStartup = trigger.runOnStartup === true;
    if (/^(\d+\.)?\d{1,2}:\d{1,2}:\d{1,2}$/.test(this.schedule)) {
      this.intervalMs = parseDuration(this.schedule, `${where} schedule`);
      if (this.intervalMs <= 0) throw new Error(`${where}: the schedule interval must be positive`);
    } else {
      try {
        this.cron = new Cron(this.schedule, {
          mode: '6-part',
          domAndDow: true,
          timezone: env.WEBSITE_TIME_ZONE || 'UTC',
          paused: true,
        });
      } catch (error) {
        throw new Error(
          `${where}: the schedule '${this.schedule}' is not a six-field NCRONTAB expression ` +
            `({second} {minute} {hour} {day} {month} {day-of-week}): ${(error as Error).message}`,
        );
      }
    }
  }

  nextRun(from = new Date()): Date | undefined {
    if (this.intervalMs !== undefined) return new Date(from.getTime() + this.intervalMs);
    return this.cron?.nextRun(from) ?? undefined;
  }

  start(): void {
    if (this.runOnStartup) void this.fire(new Date(), false);
    this.scheduleNext();
  }

  /** Runs the function now (admin API, runOnStartup); resolves when the run has finished. */
  runNow(): Promise<void> {
    return this.fire(new Date(), false);
  }

  async stop(graceMs: number): Promise<void> {
    this.stopped = true;
    clearTimeout(this.intervalTimer);
    this.cron?.stop();
    if (this.running) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.running, new Promise((r) => (timer = setTimeout(r, graceMs)))]);
      clearTimeout(timer);
    }
  }

  private scheduleNext(): void {
    if (this.stopped) return;
    const next = this.nextRun();
    if (!next) return;
    this.expected = next;
    // setTimeout caps at ~24.8 days; re-plan in steps for far-away occurrences.
    const delay = Math.min(next.getTime() - Date.now(), 2 ** 31 - 1);
    this.intervalTimer = setTimeout(
      () => {
        if (Date.now() + 5 < next.getTime()) return this.scheduleNext();
        if (this.running) {
          this.logger.warn(
            `Timer '${this.fn.metadata.name}' skipped an occurrence: the previous run is still going`,
            {
              function: this.fn.metadata.name,
            },
          );
        } else {
          void this.fire(next, Date.now() - next.getTime() > PAST_DUE_TOLERANCE_MS);
        }
        this.scheduleNext();
      },
      Math.max(0, delay),
    );
  }

  private fire(scheduled: Date, isPastDue: boolean): Promise<void> {
    const previous = this.lastRun ?? this.previousOccurrence(scheduled);
    this.lastRun = scheduled;
    const next = this.nextRun(new Date(Math.max(Date.now(), scheduled.getTime())));
    const timer = {
      Schedule: { AdjustForDST: true },
      ScheduleStatus: {
        Last: previous.toISOString(),
        Next: (next ?? this.expected ?? scheduled).toISOString(),
        LastUpdated: new Date().toISOString(),
      },
      IsPastDue: isPastDue,
    };
    const run = this.invoker
      .invoke(this.fn, { data: { json: JSON.stringify(timer) } })
      .then(
        () => undefined,
        (error: unknown) => {
          // The invoker logged the failure; a failed timer run just waits for the next occurrence.
          void describeError(error);
        },
      )
      .finally(() => {
        if (this.running === run) this.running = undefined;
      });
    this.running = run;
    return run;
  }

  private previousOccurrence(before: Date): Date {
    if (this.intervalMs !== undefined) return new Date(before.getTime() - this.intervalMs);
    try {
      return this.cron?.previousRuns(1, before)[0] ?? before;
    } catch {
      return before;
    }
  }
}
