// Renders the Mnemo logo (a white "M" on the accent colour) into the PNG
// icons the web app manifest and index.html reference, plus an SVG favicon.
// No image library: shapes are signed-distance functions, sampled 4×4 per
// pixel for anti-aliasing, and encoded as RGBA PNG with node:zlib.
//
//   node scripts/make-icons.mjs        # writes public/icons/* (committed)
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';

const OUT = join(import.meta.dirname, '..', 'public', 'icons');

// Colours from src/ui/theme.css (--mn-accent and a lighter tint of it).
const TOP = [0x4f, 0x60, 0xe0];
const BOTTOM = [0x3b, 0x4c, 0xca];
const INK = [0xff, 0xff, 0xff];

// The glyph in unit coordinates (0..1 across the icon's safe area): an "M"
// drawn as one round-capped polyline.
const M = [
  [0.2, 0.76],
  [0.2, 0.26],
  [0.5, 0.6],
  [0.8, 0.26],
  [0.8, 0.76],
];
const STROKE = 0.11;

function segmentDistance(px, py, [ax, ay], [bx, by]) {
  const dx = bx - ax;
  const dy = by - ay;
  const t = Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)));
  return Math.hypot(px - ax - t * dx, py - ay - t * dy);
}

function glyphDistance(x, y) {
  let d = Infinity;
  for (let i = 1; i < M.length; i++) d = Math.min(d, segmentDistance(x, y, M[i - 1], M[i]));
  return d - STROKE / 2;
}

/** Signed distance to a rounded square covering 0..1 with corner radius r. */
function roundedSquare(x, y, r) {
  const qx = Math.abs(x - 0.5) - (0.5 - r);
  const qy = Math.abs(y - 0.5) - (0.5 - r);
  return Math.hypot(Math.max(qx, 0), Math.max(qy, 0)) + Math.min(Math.max(qx, qy), 0) - r;
}

/**
 * @param size    pixel width and height
 * @param corner  corner radius of the background (0 = full bleed)
 * @param glyph   fraction of the icon the glyph's unit box spans (centred)
 */
function render(size, { corner, glyph }) {
  const pixels = Buffer.alloc(size * size * 4);
  const n = 4;
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let bg = 0;
      let ink = 0;
      for (let sy = 0; sy < n; sy++) {
        for (let sx = 0; sx < n; sx++) {
          const x = (px + (sx + 0.5) / n) / size;
          const y = (py + (sy + 0.5) / n) / size;
          if (corner === 0 || roundedSquare(x, y, corner) <= 0) bg += 1;
          const gx = (x - 0.5) / glyph + 0.5;
          const gy = (y - 0.5) / glyph + 0.5;
          if (glyphDistance(gx, gy) <= 0) ink += 1;
        }
      }
      bg /= n * n;
      ink = Math.min(ink / (n * n), bg);
      const t = py / (size - 1);
      const o = (py * size + px) * 4;
      for (let c = 0; c < 3; c++) {
        const base = TOP[c] + (BOTTOM[c] - TOP[c]) * t;
        // Colour of the covered part; alpha carries the background coverage.
        const mixed = bg === 0 ? 0 : (base * (bg - ink) + INK[c] * ink) / bg;
        pixels[o + c] = Math.round(mixed);
      }
      pixels[o + 3] = Math.round(bg * 255);
    }
  }
  return encodePng(size, size, pixels);
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes) {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

function encodePng(width, height, rgba) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // colour type: RGBA
  ihdr[10] = 0; // compression
  ihdr[11] = 0; // filter method
  ihdr[12] = 0; // no interlace
  const stride = width * 4;
  const raw = Buffer.alloc((stride + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (stride + 1)] = 0; // filter type: none
    rgba.copy(raw, y * (stride + 1) + 1, y * stride, (y + 1) * stride);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function svg() {
  const hex = (c) => `#${c.map((v) => v.toString(16).padStart(2, '0')).join('')}`;
  const s = 64;
  const inset = (v) => +(((v - 0.5) * 0.8 + 0.5) * s).toFixed(2);
  const points = M.map(([x, y]) => `${inset(x)},${inset(y)}`).join(' ');
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${s} ${s}">
  <defs>
    <linearGradient id="g" x1="0" y1="0" x2="0" y2="1">
      <stop offset="0" stop-color="${hex(TOP)}"/>
      <stop offset="1" stop-color="${hex(BOTTOM)}"/>
    </linearGradient>
  </defs>
  <rect width="${s}" height="${s}" rx="${0.22 * s}" fill="url(#g)"/>
  <polyline points="${points}" fill="none" stroke="${hex(INK)}" stroke-width="${+(STROKE * 0.8 * s).toFixed(2)}" stroke-linecap="round" stroke-linejoin="round"/>
</svg>
`;
}

mkdirSync(OUT, { recursive: true });
const files = {
  // "any" icons: rounded square on transparent, glyph across most of it.
  'icon-192.png': render(192, { corner: 0.22, glyph: 0.8 }),
  'icon-512.png': render(512, { corner: 0.22, glyph: 0.8 }),
  // Maskable: full bleed, glyph inside the central 80 % safe circle.
  'maskable-512.png': render(512, { corner: 0, glyph: 0.62 }),
  // iOS rounds the corners itself and shows transparency as black.
  'apple-touch-icon-180.png': render(180, { corner: 0, glyph: 0.72 }),
  'favicon.svg': svg(),
};
for (const [name, bytes] of Object.entries(files)) {
  writeFileSync(join(OUT, name), bytes);
  console.log(`public/icons/${name} ${bytes.length} bytes`);
}
