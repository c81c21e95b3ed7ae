#!/usr/bin/env python3
"""Writes the image fixtures of ImageReaderTests with PIL (an encoder independent of the library under test).

Every file shows the same 48x32 pattern of six 16x16 blocks: red, green, blue on top; white, black, yellow below.
orientN.jpg store the pattern as it is with EXIF orientation N, so a reader that applies the tag must show it
transformed. Run from this folder: python3 make_fixtures.py
"""
from PIL import Image

COLOURS = [[(255, 0, 0), (0, 255, 0), (0, 0, 255)], [(255, 255, 255), (0, 0, 0), (255, 255, 0)]]
im = Image.new("RGB", (48, 32))
for y in range(32):
    for x in range(48):
        im.putpixel((x, y), COLOURS[y // 16][x // 16])
im.save("baseline.jpg", quality=95, subsampling=0)
im.save("progressive.jpg", quality=95, progressive=True, subsampling=0)
im.convert("L").save("grey.jpg", quality=95)
for o in (2, 3, 6, 8):
    exif = Image.Exif()
    exif[0x0112] = o
    im.save(f"orient{o}.jpg", quality=95, subsampling=0, exif=exif.tobytes())
im.save("pattern.bmp")
im.save("pattern.gif")
im.save("pattern.webp", lossless=True)
im.save("lossy.webp", quality=90)
