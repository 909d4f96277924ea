import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseSettings, type Settings } from '../../shared/config/settings';

/** The sample settings (what a newcomer runs with), with the given overrides. */
export function sampleSettingValues(
  overrides: Record<string, string | undefined> = {},
): Record<string, string | undefined> {
  const sample = JSON.parse(readFileSync(join(__dirname, '../../local.settings.sample.json'), 'utf8')) as {
    Values: Record<string, string>;
  };
  return { ...sample.Values, ...overrides };
}

export function testSettings(overrides: Record<string, string | undefined> = {}): Settings {
  return parseSettings(sampleSettingValues(overrides));
}
