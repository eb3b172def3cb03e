/**
 * EXIF orientation of JPEG files. Cameras and phones store the sensor's pixels as they were read and
 * record how to turn them in the EXIF `Orientation` tag (0x0112 in IFD0 of the APP1 "Exif" segment);
 * browsers apply it (CSS `image-orientation: from-image`, the default), so a photo must be turned the
 * same way before a model sees it, or the saliency map is drawn over a sideways picture.
 */

/** Orientation values 1–8 (TIFF 6.0 / EXIF 2.3): 1 is upright; 5–8 swap width and height. */
export type Orientation = 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8;

const ORIENTATION_TAG = 0x0112;

/**
 * The EXIF orientation of a JPEG (1 when it has none, or when the EXIF data is damaged: a picture is
 * still shown as stored, as browsers do). Reads the markers up to the start of the scan only.
 */
export function jpegOrientation(bytes: Uint8Array): Orientation {
  if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8) return 1;
  let p = 2;
  while (p + 4 <= bytes.length) {
    if (bytes[p] !== 0xff) return 1;
    const marker = bytes[p + 1];
    if (marker === 0xff) {
      p++; // fill byte
      continue;
    }
    // Start of scan or end of image: no more header segments.
    if (marker === 0xda || marker === 0xd9) return 1;
    // Markers without a length (RSTn, TEM).
    if ((marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      p += 2;
      continue;
    }
    const length = (bytes[p + 2] << 8) | bytes[p + 3];
    if (length < 2 || p + 2 + length > bytes.length) return 1;
    if (marker === 0xe1) {
      const o = exifOrientation(bytes.subarray(p + 4, p + 2 + length));
      if (o !== undefined) return o;
    }
    p += 2 + length;
  }
  return 1;
}

/** The Orientation tag of an APP1 payload that starts with "Exif\0\0", or undefined. */
function exifOrientation(app1: Uint8Array): Orientation | undefined {
  const exifHeader = [0x45, 0x78, 0x69, 0x66, 0, 0];
  if (app1.length < 14 || !exifHeader.every((b, i) => app1[i] === b)) return undefined;
  const tiff = app1.subarray(6);
  const little = tiff[0] === 0x49 && tiff[1] === 0x49;
  const big = tiff[0] === 0x4d && tiff[1] === 0x4d;
  if (!little && !big) return undefined;
  const view = new DataView(tiff.buffer, tiff.byteOffset, tiff.byteLength);
  const u16 = (at: number) => view.getUint16(at, little);
  const u32 = (at: number) => view.getUint32(at, little);
  if (u16(2) !== 42) return undefined;
  const ifd = u32(4);
  if (ifd + 2 > tiff.length) return undefined;
  const count = u16(ifd);
  for (let i = 0; i < count; i++) {
    const entry = ifd + 2 + i * 12;
    if (entry + 12 > tiff.length) return undefined;
    if (u16(entry) !== ORIENTATION_TAG) continue;
    // Type SHORT (3), one value, held in the first two bytes of the value field.
    const value = u16(entry + 2) === 3 ? u16(entry + 8) : 0;
    return value >= 1 && value <= 8 ? (value as Orientation) : undefined;
  }
  return undefined;
}

/**
 * Turns RGBA pixels stored with EXIF `orientation` into the upright picture a viewer shows. Returns the
 * input itself for orientation 1, otherwise new pixels (width and height swap for 5–8).
 */
export function applyOrientation(
  rgba: Uint8Array, width: number, height: number, orientation: Orientation,
): { data: Uint8Array; width: number; height: number } {
  if (orientation === 1) return { data: rgba, width, height };
  const swap = orientation >= 5;
  const ow = swap ? height : width;
  const oh = swap ? width : height;
  const out = new Uint8Array(ow * oh * 4);
  const W = width - 1, H = height - 1;
  // For each shown pixel (x, y): the stored pixel it comes from.
  const source: Record<Exclude<Orientation, 1>, (x: number, y: number) => [number, number]> = {
    2: (x, y) => [W - x, y], // mirrored left-right
    3: (x, y) => [W - x, H - y], // upside down
    4: (x, y) => [x, H - y], // mirrored top-bottom
    5: (x, y) => [y, x], // transposed
    6: (x, y) => [y, H - x], // stored turned 90° counter-clockwise: turn it clockwise
    7: (x, y) => [W - y, H - x], // transverse
    8: (x, y) => [W - y, x], // stored turned 90° clockwise: turn it counter-clockwise
  };
  const from = source[orientation];
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) {
      const [sx, sy] = from(x, y);
      const s = (sy * width + sx) * 4, d = (y * ow + x) * 4;
      out[d] = rgba[s];
      out[d + 1] = rgba[s + 1];
      out[d + 2] = rgba[s + 2];
      out[d + 3] = rgba[s + 3];
    }
  }
  return { data: out, width: ow, height: oh };
}
