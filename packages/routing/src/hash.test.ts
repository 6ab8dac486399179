import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { absorb, hashFrom, INITIAL_STATE } from './hash.js';

/** MurmurHash3 x86_32 over bytes, written from the reference C code, to check the streaming one. */
function murmur3Reference(bytes: Uint8Array, seed: number): number {
  const byte = (i: number): number => bytes[i] ?? 0;
  const scramble = (k: number): number => {
    k = Math.imul(k, 0xcc9e2d51);
    return Math.imul((k << 15) | (k >>> 17), 0x1b873593);
  };
  let h = seed;
  const blocks = bytes.length - (bytes.length % 4);
  for (let i = 0; i < blocks; i += 4) {
    h ^= scramble(byte(i) | (byte(i + 1) << 8) | (byte(i + 2) << 16) | (byte(i + 3) << 24));
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  let k = 0;
  const rest = bytes.length % 4;
  if (rest === 3) k ^= byte(blocks + 2) << 16;
  if (rest >= 2) k ^= byte(blocks + 1) << 8;
  if (rest >= 1) h ^= scramble(k ^ byte(blocks));
  h ^= bytes.length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function utf16le(text: string): Uint8Array {
  const bytes = new Uint8Array(text.length * 2);
  for (let i = 0; i < text.length; i++) {
    bytes[2 * i] = text.charCodeAt(i) & 0xff;
    bytes[2 * i + 1] = text.charCodeAt(i) >>> 8;
  }
  return bytes;
}

const ascii = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('murmur3 x86_32 over UTF-16LE', () => {
  it('the reference matches the published test vectors', () => {
    expect(murmur3Reference(ascii(''), 0)).toBe(0);
    expect(murmur3Reference(ascii(''), 1)).toBe(0x514e28b7);
    expect(murmur3Reference(ascii('test'), 0)).toBe(0xba6bd213);
    expect(murmur3Reference(ascii('Hello, world!'), 0)).toBe(0xc0363e43);
    expect(murmur3Reference(ascii('The quick brown fox jumps over the lazy dog'), 0)).toBe(0x2e4ff723);
  });

  it('equals the reference on the UTF-16LE bytes of any string, resumed after any prefix', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), fc.nat(), (text, at) => {
        const split = text.length === 0 ? 0 : at % (text.length + 1);
        const resumed = hashFrom(absorb(INITIAL_STATE, text.slice(0, split)), text.slice(split), Infinity);
        expect(resumed).toBe(murmur3Reference(utf16le(text), 0));
      }),
    );
  });

  it('hashes only the first maxUnits code units', () => {
    const state = absorb(INITIAL_STATE, 'salt:');
    const long = 'x'.repeat(300);
    expect(hashFrom(state, long, 256)).toBe(hashFrom(state, long.slice(0, 256), Infinity));
    expect(hashFrom(state, long, 256)).not.toBe(hashFrom(state, long, Infinity));
  });
});
