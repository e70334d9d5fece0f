#!/usr/bin/python3
"""Regenerates testdata/pil: small images in every mode and format this
package decodes, with what PIL 9.4 (Debian bookworm python3-pil
9.4.0-1.1+deb12u1 with libjpeg62-turbo 2.1.5 and libwebp 1.2.4, the
versions of the golden set) makes of them.

Needs: apt-get install python3-pil python3-numpy libjpeg-turbo-progs
Run from internal/imageproc:  /usr/bin/python3 testdata/make_pil_fixtures.py
Sources are crops of the golden photos (scikit-image data) in ../shared.

For each case manifest.json records the file, the transform and the PIL
mode; <case>.want.png holds the expected uint8 RGB result. The transforms
mirror torchvision 0.14 on PIL images:
  center: Resize(size, BICUBIC) on the shorter side + CenterCrop(size)
  crop:   resized_crop = img.crop(box).resize((size, size), BICUBIC)
then convert("RGB"). For JPEG, <case>.decoded.z (zlib) holds PIL's
decoded samples (libjpeg-turbo), so decoding is checked on its own too.
arithmetic.jpg (arithmetic coding, which the package refuses) is not in
the manifest.
"""
import io, json, os, struct, zlib
import numpy as np
from PIL import Image
import PIL

assert PIL.__version__ == "9.4.0", PIL.__version__
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "pil")
GOLDEN = os.path.join(HERE, "..", "..", "..", "..", "shared", "golden", "images")
BICUBIC = Image.Resampling.BICUBIC
os.makedirs(OUT, exist_ok=True)
for f in os.listdir(OUT):
    os.remove(os.path.join(OUT, f))

def photo(name, box, size=None):
    im = Image.open(os.path.join(GOLDEN, name)).convert("RGB").crop(box)
    return im.resize(size, Image.Resampling.LANCZOS) if size else im

def center(im, size):  # torchvision 0.14 Resize(int) + CenterCrop(int), PIL path
    w, h = im.size
    short, long = (w, h) if w <= h else (h, w)
    new_short, new_long = size, int(size * long / short)
    nw, nh = (new_short, new_long) if w <= h else (new_long, new_short)
    if (nw, nh) != (w, h):
        im = im.resize((nw, nh), BICUBIC)
    w, h = im.size
    if size > w or size > h:
        pad = [(size - w) // 2 if size > w else 0, (size - h) // 2 if size > h else 0,
               (size - w + 1) // 2 if size > w else 0, (size - h + 1) // 2 if size > h else 0]
        from PIL import ImageOps
        pal = im.getpalette() if im.mode == "P" else None
        im = ImageOps.expand(im, border=tuple(pad), fill=0 if im.mode in ("1", "L", "P", "I") else (0,) * len(im.getbands()))
        if pal is not None:
            im.putpalette(pal)
        w, h = im.size
    top, left = int(round((h - size) / 2.0)), int(round((w - size) / 2.0))
    return im.crop((left, top, left + size, top + size))

def chunk(t, d):
    return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)

def raw_png(w, h, depth, ctype, rows, extra=b""):
    ihdr = struct.pack(">IIBBBBB", w, h, depth, ctype, 0, 0, 0)
    raw = b"".join(b"\x00" + r for r in rows)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + extra +
            chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))

cases = []

def add(name, data, size, op="center", box=None, note="", case=None):
    path = os.path.join(OUT, name)
    if data is not None:
        with open(path, "wb") as f:
            f.write(data)
    im = Image.open(path)
    mode, wh, fmt = im.mode, im.size, im.format
    im.load()
    res = center(im, size) if op == "center" else im.crop(tuple(box)).resize((size, size), BICUBIC)
    rgb = res.convert("RGB")
    assert rgb.size == (size, size)
    stem = case or name.replace(".", "_")
    rgb.save(os.path.join(OUT, stem + ".want.png"))
    c = {"file": name, "format": fmt, "mode": mode, "width": wh[0], "height": wh[1],
         "size": size, "op": op, "want": stem + ".want.png", "note": note}
    if box is not None:
        c["box"] = list(box)
    if fmt == "JPEG":
        a = np.asarray(im)
        with open(os.path.join(OUT, stem + ".decoded.z"), "wb") as f:
            f.write(zlib.compress(a.tobytes(), 9))
        c["decoded"] = stem + ".decoded.z"
    cases.append(c)

def save(im, fmt, **kw):
    b = io.BytesIO()
    im.save(b, fmt, **kw)
    return b.getvalue()

cat = photo("chelsea.png", (150, 30, 290, 140), (84, 66))  # cat face
coffee = photo("coffee_portrait.png", (40, 60, 200, 300), (61, 93))
rocket = photo("rocket_rgba.png", (200, 60, 330, 160), (65, 50))

# --- PNG, every mode PIL opens a PNG in -------------------------------
add("rgb_odd.png", save(coffee, "PNG"), 24, note="RGB 61x93 downscale, odd sizes")
add("rgb_up.png", save(cat.resize((13, 9), Image.Resampling.LANCZOS), "PNG"), 32, note="RGB 13x9 upscale")
add("rgb_exact.png", save(cat.crop((0, 0, 24, 41)), "PNG"), 24, note="short side already 24: no resize")
add("rgb_1xN.png", save(cat.crop((60, 0, 61, 90)), "PNG"), 16, note="1x90")
add("rgb_Nx1.png", save(cat.crop((0, 50, 100, 51)), "PNG"), 16, note="100x1")
def adam7(im):  # PIL cannot write interlaced PNGs: encode the passes here
    a = np.asarray(im)
    h, w = a.shape[:2]
    raw = b""
    for x0, y0, dx, dy in [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]:
        sub = a[y0::dy, x0::dx]
        if sub.size:
            raw += b"".join(b"\x00" + r.tobytes() for r in sub)
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 1)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
add("rgb_interlaced.png", adam7(cat), 24, note="Adam7 interlaced RGB")
gray = cat.convert("L")
add("l.png", save(gray, "PNG"), 24)
add("l_1bit.png", save(gray.point(lambda v: 255 if v > 110 else 0).convert("1"), "PNG"), 24, note="mode 1: NEAREST")
a2 = (np.asarray(gray.resize((37, 29))) >> 6).astype(np.uint8)
rows = [bytes(np.packbits(np.unpackbits(r[:, None], axis=1)[:, 6:].reshape(-1))) for r in a2]
add("l_2bit.png", raw_png(37, 29, 2, 0, rows), 24, note="2-bit gray -> L")
alpha = np.tile(np.linspace(0, 255, cat.size[0]).astype(np.uint8), (cat.size[1], 1))
alpha[10:25, 15:35] = 0
alpha[30:40, 40:60] = 3
la = Image.merge("LA", (gray, Image.fromarray(alpha)))
add("la.png", save(la, "PNG"), 24, note="LA: premultiplied resize")
rgba = rocket.convert("RGBA")
ra = np.tile(np.linspace(255, 0, rocket.size[0]).astype(np.uint8), (rocket.size[1], 1))
ra[5:20, 5:30] = 0
ra[25:45, 35:50] = 1
rgba.putalpha(Image.fromarray(ra))
add("rgba.png", save(rgba, "PNG"), 32, note="RGBA: premultiplied resize")
pal = coffee.quantize(16)
add("p16.png", save(pal, "PNG", bits=4), 24, note="P, 4-bit indices")
pt = cat.quantize(32)
add("p_trns.png", save(pt, "PNG", transparency=5), 24, note="P with tRNS index")
ptb = cat.quantize(8)
add("p_trns_bytes.png", save(ptb, "PNG", transparency=bytes([0, 128, 255, 255, 10, 255, 255, 255])), 24, note="P with tRNS alpha table")
idx = np.asarray(coffee.convert("L").resize((20, 15)))
idx = (idx // 32).astype(np.uint8) * 3  # indices 0..21 with only 4 palette entries
add("p_short_plte.png", raw_png(20, 15, 8, 3, [bytes(r) for r in idx],
    chunk(b"PLTE", bytes([200, 10, 10, 10, 200, 10, 10, 10, 200, 90, 90, 90]))), 16,
    note="indices past a 4-entry PLTE: PIL's gray ramp")
add("rgb_trns.png", save(cat, "PNG", transparency=(120, 110, 100)), 24, note="RGB with tRNS colour")
add("l_trns.png", save(gray, "PNG", transparency=128), 24, note="L with tRNS value")
g16 = (np.asarray(gray.resize((45, 31))).astype(np.uint16) * 3)  # 0..765: I mode clips at 255
add("i16.png", save(Image.fromarray(g16), "PNG"), 24, note="16-bit gray -> I, float resize, clip")
g16b = (np.asarray(gray.resize((45, 31))).astype(np.uint32) * 257).astype(np.uint16)
add("i16_full.png", save(Image.fromarray(g16b), "PNG"), 24, note="16-bit gray, full range -> mostly 255")
a8 = np.asarray(cat).astype(np.uint16)
rgb16 = (a8 * 257 + 77).clip(0, 65535).astype(">u2")
rows = [bytes(r.tobytes()) for r in rgb16]
add("rgb16.png", raw_png(cat.size[0], cat.size[1], 16, 2, rows), 24, note="16-bit RGB -> high bytes")
ra16 = np.asarray(rgba).astype(np.uint16) * 257
add("rgba16.png", raw_png(rgba.size[0], rgba.size[1], 16, 6, [bytes(r.astype(">u2").tobytes()) for r in ra16]), 24,
    note="16-bit RGBA -> high bytes")
la16 = np.asarray(la).astype(np.uint16) * 257 + 100
add("la16.png", raw_png(la.size[0], la.size[1], 16, 4, [bytes(r.astype(">u2").tobytes()) for r in la16]), 24,
    note="16-bit gray+alpha -> RGBA")

full = Image.open(os.path.join(GOLDEN, "chelsea.png")).convert("RGB")
add("rgb_1xN_224.png", save(full.crop((200, 0, 201, 300)), "PNG"), 224, note="1x300 at 224")

# --- crops for RandomResizedCrop (resized_crop) ------------------------
add("rgb_interlaced.png", None, 24, op="crop", box=(7, 3, 80, 60), case="crop_rgb")
add("rgba.png", None, 20, op="crop", box=(5, 5, 60, 47), case="crop_rgba")
add("p16.png", None, 20, op="crop", box=(3, 10, 50, 70), case="crop_p")
add("rgb_interlaced.png", None, 40, op="crop", box=(50, 40, 70, 60), note="upscaling crop", case="crop_up")
add("i16.png", None, 16, op="crop", box=(2, 3, 40, 30), case="crop_i")
add("p16.png", None, 16, op="crop", box=(-7, -3, 30, 40), note="box past the border: index 0", case="crop_outside_p")
add("rgba.png", None, 16, op="crop", box=(40, 30, 80, 60), note="box past the border: zeros", case="crop_outside_rgba")

# --- GIF -----------------------------------------------------------------
add("gif_global.gif", save(cat.quantize(64), "GIF"), 24, note="global palette")
add("gif_trns.gif", save(cat.quantize(32), "GIF", transparency=3), 24, note="transparent index keeps its colour")
add("gif_gray.gif", save(gray, "GIF"), 24, note="gray ramp palette -> L, bicubic")
add("gif_interlaced.gif", save(coffee.quantize(16), "GIF", interlace=True), 24)

# --- WebP ----------------------------------------------------------------
add("webp_lossless.webp", save(cat, "WEBP", lossless=True), 24)
add("webp_lossless_alpha.webp", save(rgba, "WEBP", lossless=True, exact=True), 24)
add("webp_lossy.webp", save(coffee, "WEBP", quality=80), 24, note="odd sizes, fancy upsampling")
add("webp_lossy_even.webp", save(cat.crop((0, 0, 100, 80)), "WEBP", quality=70), 24)
add("webp_lossy_alpha.webp", save(rgba, "WEBP", quality=80), 24)

# --- JPEG (bounded, plus exact from PIL's decoded pixels) -------------------
add("jpeg_420.jpg", save(coffee, "JPEG", quality=90), 24, note="4:2:0 odd sizes")
add("jpeg_422.jpg", save(cat, "JPEG", quality=85, subsampling=1), 24)
add("jpeg_444.jpg", save(cat, "JPEG", quality=95, subsampling=0), 24)
add("jpeg_gray.jpg", save(gray, "JPEG", quality=90), 24)
add("jpeg_progressive.jpg", save(cat, "JPEG", quality=80, progressive=True), 24)
add("jpeg_cmyk.jpg", save(cat.convert("CMYK"), "JPEG", quality=90), 24, note="Adobe CMYK")

# cjpeg (libjpeg-turbo-progs 2.1.5) writes what PIL's encoder cannot.
import subprocess
def cjpeg(im, *args):
    ppm = save(im, "PPM")
    return subprocess.run(["cjpeg", *args], input=ppm, capture_output=True, check=True).stdout
add("jpeg_restart.jpg", cjpeg(coffee, "-restart", "3B"), 24, note="restart every 3 MCUs")
add("jpeg_411.jpg", cjpeg(coffee, "-sample", "4x1,1x1,1x1"), 24, note="4:1:1, replicated chroma")
add("jpeg_440.jpg", cjpeg(coffee, "-sample", "1x2,1x1,1x1"), 24, note="4:4:0, h1v2 fancy")
add("jpeg_410.jpg", cjpeg(cat, "-sample", "4x2,1x1,1x1"), 24, note="4:1:0")
add("jpeg_narrow.jpg", cjpeg(cat.crop((0, 0, 4, 30)), "-sample", "2x2,1x1,1x1"), 8, note="chroma 2 wide: no fancy upsampling")
add("jpeg_narrow422.jpg", cjpeg(cat.crop((0, 0, 3, 30)), "-sample", "2x1,1x1,1x1"), 8, note="chroma 2 wide, 4:2:2")
add("jpeg_q1.jpg", cjpeg(cat, "-quality", "1"), 24, note="16-bit quantisation tables")
add("jpeg_prog_gray.jpg", cjpeg(gray, "-progressive", "-grayscale"), 24)
add("jpeg_prog_restart.jpg", cjpeg(coffee, "-progressive", "-restart", "1"), 24, note="progressive with restarts")
add("jpeg_rgb.jpg", cjpeg(cat, "-rgb"), 24, note="RGB colour space (Adobe transform 0)")
add("jpeg_1x1.jpg", cjpeg(cat.crop((5, 5, 6, 6))), 4, note="1x1")
add("jpeg_opt.jpg", cjpeg(cat, "-optimize", "-smooth", "30"), 24, note="optimised Huffman tables")
with open(os.path.join(OUT, "arithmetic.jpg"), "wb") as f:  # not in the manifest: refused
    f.write(cjpeg(cat.crop((0, 0, 16, 16)), "-arithmetic"))

with open(os.path.join(OUT, "manifest.json"), "w") as f:
    json.dump(cases, f, indent=1)
print(len(cases), "cases,", sum(os.path.getsize(os.path.join(OUT, f)) for f in os.listdir(OUT)), "bytes")
