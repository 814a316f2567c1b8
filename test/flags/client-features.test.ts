import { describe, expect, it } from 'vitest';
import { describeJsonError, parseClientFeatures } from '../../flags/client-features.js';

function jsonError(text: string): string {
  try {
    JSON.parse(text);
  } catch (err) {
    return describeJsonError(text, err);
  }
  throw new Error('expected invalid JSON');
}

describe('flags file parsing', () => {
  it('points at the line and column of a JSON error, whatever form V8 reports it in', () => {
    // "at position N" form.
    expect(jsonError('{\n  "version": 2,\n  "features": [],\n}')).toBe(
      'Expected double-quoted property name at line 4 column 1',
    );
    // Unexpected token with the context at the start, in the middle, and at the end of a long text.
    expect(jsonError('{"a": x, "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbb": 1}')).toBe("Unexpected token 'x' at line 1 column 7");
    expect(jsonError('{\n"a": 1,\n"b": nope, "cccccccccccccccccccc": 2}')).toBe(
      "Unexpected token 'o' at line 3 column 7",
    );
    expect(jsonError(`{"aaaaaaaaaaaaaaaaaaaaaaaa": [\n}`)).toBe("Unexpected token '}' at line 2 column 1");
    expect(jsonError('')).toBe('Unexpected end of JSON input');
  });

  it('accepts what a server serves and fills the defaults a hand-written file may leave out', () => {
    const result = parseClientFeatures(
      JSON.stringify({ version: 2, features: [{ name: 'f', enabled: true, strategies: [{ name: 'default' }] }] }),
    );
    expect(result).toEqual({
      ok: true,
      data: {
        version: 2,
        features: [{ name: 'f', enabled: true, strategies: [{ name: 'default', parameters: {}, constraints: [] }] }],
      },
    });
  });

  it('rejects a flag listed twice', () => {
    const flag = { name: 'a', enabled: true, strategies: [] };
    const result = parseClientFeatures(JSON.stringify({ version: 2, features: [flag, flag] }));
    expect(result).toEqual({
      ok: false,
      error: 'not a client-features document: features[1].name: duplicate flag "a"',
    });
  });

  it('names every field at fault', () => {
    const result = parseClientFeatures(
      JSON.stringify({
        version: '2',
        features: [
          { name: 'a', enabled: true, strategies: [] },
          { name: 'a', enabled: true },
          { name: 'b', enabled: true, strategies: [{ name: 'flexibleRollout', parameters: { rollout: 'ten' } }] },
        ],
      }),
    );
    expect(result.ok).toBe(false);
    const error = result.ok ? '' : result.error;
    expect(error).toMatch(/^not a client-features document: /);
    expect(error).toContain('version: ');
    expect(error).toContain('features[1].strategies: ');
    expect(error).toContain(
      'features[2].strategies[0].parameters.rollout: flexibleRollout needs rollout between 0 and 100',
    );
  });
});
