import { describe, expect, it } from 'vitest';
import { maskEmail } from '../../../shared/verification/verification-codes';

describe('masked admin contact', () => {
  it('shows enough to recognise the address and not enough to read it', () => {
    expect(maskEmail('anna.kowalska@contoso.com')).toBe('a***a@c***o.com');
    expect(maskEmail('it@ab.example.org')).toBe('i***@a***e.org');
    expect(maskEmail('x@y.io')).toBe('x***@y***.io');
  });
});
