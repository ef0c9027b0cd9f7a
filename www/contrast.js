// WCAG 2 contrast between sRGB colours ("#rrggbb"), and a readable ink/fill pair for a badge.

function channel(c) {
  return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
}

function rgb(hex) {
  return [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
}

function toHex(parts) {
  return `#${parts.map((v) => Math.round(v).toString(16).padStart(2, "0")).join("")}`.toUpperCase();
}

export function luminance(hex) {
  const [r, g, b] = rgb(hex).map((v) => channel(v / 255));
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

export function contrast(a, b) {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

/** `from` moved a fraction `t` of the way to `to`. */
export function mix(from, to, t) {
  const [a, b] = [rgb(from), rgb(to)];
  return toHex(a.map((v, i) => v + (b[i] - v) * t));
}

/**
 * Text on a coloured fill: whichever of the page's two inks (`dark`, `light`) contrasts more with
 * `fill`; when even that one stays under `min`, the fill is shaded away from the ink, step by
 * step, until the pair reaches `min` (Prefect's Failed red takes neither white nor dark ink at 4.5:1).
 */
export function readableOn(fill, { dark, light }, min = 4.5) {
  const ink = contrast(fill, dark) >= contrast(fill, light) ? dark : light;
  const away = ink === light ? "#000000" : "#FFFFFF";
  let shaded = fill.toUpperCase();
  for (let step = 1; contrast(shaded, ink) < min && step <= 20; step++) shaded = mix(fill, away, step / 20);
  return { fill: shaded, ink };
}
