import { describe, expect, it } from 'vitest';
import { exportFileName, safeFileName } from '../../../shared/export/export-job';

describe('export file names', () => {
  it('names the zip after customer, resource and snapshot time (UTC, minutes)', () => {
    expect(exportFileName('Contoso Ltd', 'anna@contoso.com', '2026-11-22T05:07:33.120Z')).toBe(
      'Contoso Ltd - anna@contoso.com - 2026-11-22 0507 - Backup.zip',
    );
  });

  it('replaces characters that Windows, macOS or Linux refuse', () => {
    expect(safeFileName('a/b\\c:d*e?f"g<h>i|j')).toBe('a_b_c_d_e_f_g_h_i_j');
    expect(safeFileName('tab\there\u0001')).toBe('tab_here_');
    expect(safeFileName('trailing dots...')).toBe('trailing dots');
    expect(safeFileName('   ')).toBe('_');
    expect(safeFileName('x'.repeat(400))).toHaveLength(150);
  });
});
