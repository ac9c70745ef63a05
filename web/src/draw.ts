// Digits: a canvas to draw on, turned into a 28×28 image the way MNIST's were made (the strokes'
// bounding box scaled into 20×20, then centred by their centre of mass), and images drawn back to canvases.

/** Let the pointer (mouse, pen or finger) draw thick white strokes on a black canvas; `onStroke` after each. */
export function drawingPad(canvas: HTMLCanvasElement, onStroke: () => void): { clear(): void; empty(): boolean } {
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
  let drawn = false;
  const clear = () => {
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    drawn = false;
  };
  clear();
  let last: { x: number; y: number } | null = null;
  const at = (e: PointerEvent) => {
    const r = canvas.getBoundingClientRect();
    return { x: ((e.clientX - r.left) / r.width) * canvas.width, y: ((e.clientY - r.top) / r.height) * canvas.height };
  };
  canvas.addEventListener('pointerdown', (e) => {
    canvas.setPointerCapture(e.pointerId);
    last = at(e);
    e.preventDefault();
  });
  canvas.addEventListener('pointermove', (e) => {
    if (!last) return;
    const p = at(e);
    ctx.strokeStyle = '#fff';
    ctx.lineWidth = canvas.width / 12;
    ctx.lineCap = 'round';
    ctx.beginPath();
    ctx.moveTo(last.x, last.y);
    ctx.lineTo(p.x, p.y);
    ctx.stroke();
    last = p;
    drawn = true;
  });
  const end = () => {
    if (last && drawn) onStroke();
    last = null;
  };
  canvas.addEventListener('pointerup', end);
  canvas.addEventListener('pointercancel', end);
  return { clear, empty: () => !drawn };
}

/** The drawing as 784 pixels in [0, 1], MNIST-style; null when nothing is drawn. */
export function digitOf(canvas: HTMLCanvasElement): Float32Array | null {
  const w = canvas.width;
  const h = canvas.height;
  const src = canvas.getContext('2d', { willReadFrequently: true })!.getImageData(0, 0, w, h).data;
  let x0 = w, y0 = h, x1 = -1, y1 = -1;
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      if (src[(y * w + x) * 4] > 20) {
        x0 = Math.min(x0, x); x1 = Math.max(x1, x);
        y0 = Math.min(y0, y); y1 = Math.max(y1, y);
      }
  if (x1 < 0) return null;
  // The bounding box, scaled (keeping its aspect) into 20×20, on a 28×28 canvas.
  const side = Math.max(x1 - x0 + 1, y1 - y0 + 1);
  const small = document.createElement('canvas');
  small.width = small.height = 28;
  const s = small.getContext('2d', { willReadFrequently: true })!;
  s.fillStyle = '#000';
  s.fillRect(0, 0, 28, 28);
  s.imageSmoothingQuality = 'high';
  const bw = ((x1 - x0 + 1) / side) * 20;
  const bh = ((y1 - y0 + 1) / side) * 20;
  s.drawImage(canvas, x0, y0, x1 - x0 + 1, y1 - y0 + 1, (28 - bw) / 2, (28 - bh) / 2, bw, bh);
  const px = s.getImageData(0, 0, 28, 28).data;
  const img = new Float32Array(784);
  let mass = 0, mx = 0, my = 0;
  for (let i = 0; i < 784; i++) {
    img[i] = px[i * 4] / 255;
    mass += img[i];
    mx += img[i] * (i % 28);
    my += img[i] * Math.floor(i / 28);
  }
  // Shift so the centre of mass sits at the centre, as MNIST's digits do.
  const dx = Math.round(13.5 - mx / mass);
  const dy = Math.round(13.5 - my / mass);
  const out = new Float32Array(784);
  for (let y = 0; y < 28; y++)
    for (let x = 0; x < 28; x++) {
      const sx = x - dx, sy = y - dy;
      if (sx >= 0 && sx < 28 && sy >= 0 && sy < 28) out[y * 28 + x] = img[sy * 28 + sx];
    }
  return out;
}

/** Paint 784 values onto a canvas: gray levels in [0, 1], or (signed) a perturbation, mid-gray at zero, ±`range` at the ends. */
export function paint(canvas: HTMLCanvasElement, values: ArrayLike<number>, signed?: { range: number }): void {
  const ctx = canvas.getContext('2d')!;
  const img = ctx.createImageData(28, 28);
  for (let i = 0; i < 784; i++) {
    const v = signed ? 0.5 + values[i] / (2 * (signed.range || 1)) : values[i];
    const g = Math.round(Math.min(1, Math.max(0, v)) * 255);
    img.data.set([g, g, g, 255], i * 4);
  }
  canvas.width = canvas.height = 28;
  ctx.putImageData(img, 0, 0);
}
