import { colormap, colormapLUT, COLORMAPS } from '../../src/viz';
import { OptionError } from '../../src/errors';

const hex = (c: number[]): string => '#' + c.map((v) => v.toString(16).padStart(2, '0')).join('');

// Published end (and some middle) colors. matplotlib/d3 tables for the perceptual maps; d3's published
// polynomial turbo; ColorBrewer RdBu; Moreland's coolwarm table (0.5 -> 221, 221, 221); matplotlib jet.
const PUBLISHED: Record<string, [string, string]> = {
  viridis: ['#440154', '#fde725'],
  inferno: ['#000004', '#fcffa4'],
  magma: ['#000004', '#fcfdbf'],
  plasma: ['#0d0887', '#f0f921'],
  cividis: ['#002051', '#fdea45'],
  turbo: ['#23171b', '#900c00'],
  jet: ['#000080', '#800000'],
  gray: ['#000000', '#ffffff'],
  rdbu: ['#67001f', '#053061'],
  coolwarm: ['#3b4cc0', '#b40426'],
};

describe('colormap', () => {
  test.each(Object.entries(PUBLISHED))('%s endpoints equal the published values', (name, [lo, hi]) => {
    expect(hex(colormap(name)(0))).toBe(lo);
    expect(hex(colormap(name)(1))).toBe(hi);
  });

  test('every listed name has a published check', () => {
    expect([...COLORMAPS].sort()).toEqual(Object.keys(PUBLISHED).sort());
  });

  test('middles: viridis(0.5), coolwarm white point, jet green, gray', () => {
    expect(hex(colormap('viridis')(0.5))).toBe('#21918c'); // table entry 128 of 256
    expect(colormap('coolwarm')(0.5)).toEqual([221, 221, 221]);
    expect(colormap('jet')(0.5)[1]).toBe(255);
    expect(colormap('gray')(0.5)).toEqual([128, 128, 128]);
  });

  test('coolwarm follows Moreland\'s published table within 2 levels', () => {
    // From Moreland (2009), table of the cool-to-warm map (scalar, R, G, B on 0..255).
    const table: [number, number, number, number][] = [
      [0.0, 59, 76, 192], [0.25, 141, 176, 254], [0.5, 221, 221, 221], [0.75, 244, 154, 123], [1.0, 180, 4, 38],
    ];
    for (const [t, r, g, b] of table) {
      const c = colormap('coolwarm')(t);
      for (const [got, want] of [[c[0], r], [c[1], g], [c[2], b]]) expect(Math.abs(got - want)).toBeLessThanOrEqual(2);
    }
  });

  test('clamps t and treats NaN as 0; returns integer bytes', () => {
    const cm = colormap('magma');
    expect(cm(-3)).toEqual(cm(0));
    expect(cm(7)).toEqual(cm(1));
    expect(cm(NaN)).toEqual(cm(0));
    for (let i = 0; i <= 20; i++) for (const v of cm(i / 20)) expect(Number.isInteger(v) && v >= 0 && v <= 255).toBe(true);
  });

  test('"_r" reverses, names match case-insensitively', () => {
    expect(colormap('viridis_r')(0)).toEqual(colormap('viridis')(1));
    expect(colormap('RdBu_r')(1)).toEqual(colormap('rdbu')(0));
    expect(colormap('Viridis')(0.3)).toEqual(colormap('viridis')(0.3));
  });

  test('functions: byte arrays and CSS strings, clamped', () => {
    const red = colormap((t) => [300 * t, -5, 10.4]);
    expect(red(1)).toEqual([255, 0, 10]);
    expect(red(2)).toEqual([255, 0, 10]);
    expect(colormap(() => '#0a0b0c')(0.5)).toEqual([10, 11, 12]);
    expect(colormap(() => 'rgb(1, 2, 3)')(0.5)).toEqual([1, 2, 3]);
    expect(() => colormap(() => 'blue')(0.5)).toThrow(OptionError);
  });

  test('an unknown name is an OptionError that lists the choices', () => {
    expect(() => colormap('jett')).toThrow(OptionError);
    expect(() => colormap('jett')).toThrow(`colormap: invalid colormap "jett"; choices: ${COLORMAPS.join(', ')}`);
  });

  test('colormapLUT samples the map at i / (size - 1)', () => {
    const lut = colormapLUT('plasma', 5);
    expect(lut.length).toBe(15);
    for (let i = 0; i < 5; i++) expect(Array.from(lut.subarray(i * 3, i * 3 + 3))).toEqual(colormap('plasma')(i / 4));
    expect(() => colormapLUT('plasma', 1)).toThrow(OptionError);
  });
});
