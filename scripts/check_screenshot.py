#!/usr/bin/env python3
"""Fails unless a PNG screenshot shows something: many distinct colours, not one flat colour.

    scripts/check_screenshot.py SHOT.png [--min-colors 50] [--max-dominant 0.9]

Decodes the PNG with the standard library only (zlib + struct): 8-bit RGB/RGBA/grey,
non-interlaced, all five scanline filters.
"""

import argparse
import struct
import sys
import zlib
from collections import Counter


def decode_png(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG file")
    pos, idat, header = 8, [], None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
    if header is None:
        raise ValueError("no IHDR chunk")
    width, height, depth, color_type, _, _, interlace = header
    channels = {0: 1, 2: 3, 4: 2, 6: 4}.get(color_type)
    if depth != 8 or channels is None or interlace != 0:
        raise ValueError(f"unsupported PNG (depth {depth}, colour type {color_type}, interlace {interlace})")
    raw = zlib.decompress(b"".join(idat))
    stride = width * channels
    rows, prev = [], bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        filt = raw[start]
        line = bytearray(raw[start + 1 : start + 1 + stride])
        for x in range(stride):
            a = line[x - channels] if x >= channels else 0
            b = prev[x]
            c = prev[x - channels] if x >= channels else 0
            if filt == 1:
                line[x] = (line[x] + a) & 0xFF
            elif filt == 2:
                line[x] = (line[x] + b) & 0xFF
            elif filt == 3:
                line[x] = (line[x] + ((a + b) >> 1)) & 0xFF
            elif filt == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[x] = (line[x] + pred) & 0xFF
            elif filt != 0:
                raise ValueError(f"bad filter {filt} on row {y}")
        rows.append(bytes(line))
        prev = line
    return width, height, channels, rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("png")
    ap.add_argument("--min-colors", type=int, default=50)
    ap.add_argument("--max-dominant", type=float, default=0.9,
                    help="largest share of pixels one colour may have")
    args = ap.parse_args()
    try:
        width, height, channels, rows = decode_png(args.png)
    except (OSError, ValueError, zlib.error) as e:
        print(f"check_screenshot: {args.png}: {e}", file=sys.stderr)
        return 1
    counts = Counter()
    for line in rows:
        for x in range(0, len(line), channels):
            counts[line[x : x + min(channels, 3)]] += 1
    total = width * height
    distinct = len(counts)
    dominant = counts.most_common(1)[0][1] / total if total else 1.0
    ok = total > 0 and distinct >= args.min_colors and dominant <= args.max_dominant
    verdict = "ok" if ok else "FAILED"
    print(f"check_screenshot: {args.png}: {width}x{height}, {distinct} distinct colours, "
          f"most common colour {dominant:.0%} of pixels: {verdict}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
