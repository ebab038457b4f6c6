#!/usr/bin/env python3
"""ansi2png.py: render a terminal capture (tmux capture-pane -e -p) to a PNG.

Reads text with SGR escape sequences (colours, bold, reverse, ...) and draws
each cell with DejaVu Sans Mono, so the PNG shows what the terminal showed.
Usage: ansi2png.py CAPTURE.txt OUT.png COLUMNS ROWS
"""
import re
import sys
import unicodedata

from PIL import Image, ImageDraw, ImageFont

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"
FONT_BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf"
SIZE = 15

# xterm's default 16 colours
BASE16 = [
    (0, 0, 0), (205, 0, 0), (0, 205, 0), (205, 205, 0),
    (0, 0, 238), (205, 0, 205), (0, 205, 205), (229, 229, 229),
    (127, 127, 127), (255, 0, 0), (0, 255, 0), (255, 255, 0),
    (92, 92, 255), (255, 0, 255), (0, 255, 255), (255, 255, 255),
]
DEFAULT_FG = (229, 229, 229)
DEFAULT_BG = (24, 24, 24)
SGR = re.compile(r"\x1b\[([0-9;:]*)m")
OTHER_ESC = re.compile(r"\x1b(\[[0-9;?]*[A-Za-ln-z]|\][^\x07]*\x07|[()][A-Z0-9])")


def colour256(n):
    if n < 16:
        return BASE16[n]
    if n < 232:
        n -= 16
        steps = [0, 95, 135, 175, 215, 255]
        return (steps[n // 36], steps[(n // 6) % 6], steps[n % 6])
    v = 8 + (n - 232) * 10
    return (v, v, v)


class Pen:
    def __init__(self):
        self.reset()

    def reset(self):
        self.fg = None
        self.bg = None
        self.bold = self.dim = self.underline = self.reverse = False

    def apply(self, params):
        codes = [int(p) if p else 0 for p in re.split("[;:]", params)] if params else [0]
        i = 0
        while i < len(codes):
            c = codes[i]
            if c == 0:
                self.reset()
            elif c == 1:
                self.bold = True
            elif c == 2:
                self.dim = True
            elif c == 4:
                self.underline = True
            elif c == 7:
                self.reverse = True
            elif c == 22:
                self.bold = self.dim = False
            elif c == 24:
                self.underline = False
            elif c == 27:
                self.reverse = False
            elif 30 <= c <= 37:
                self.fg = BASE16[c - 30]
            elif 90 <= c <= 97:
                self.fg = BASE16[c - 90 + 8]
            elif 40 <= c <= 47:
                self.bg = BASE16[c - 40]
            elif 100 <= c <= 107:
                self.bg = BASE16[c - 100 + 8]
            elif c == 39:
                self.fg = None
            elif c == 49:
                self.bg = None
            elif c in (38, 48) and i + 1 < len(codes):
                if codes[i + 1] == 5 and i + 2 < len(codes):
                    col = colour256(codes[i + 2])
                    i += 2
                elif codes[i + 1] == 2 and i + 4 < len(codes):
                    col = tuple(codes[i + 2:i + 5])
                    i += 4
                else:
                    col = None
                if c == 38:
                    self.fg = col
                else:
                    self.bg = col
            i += 1

    def colours(self):
        fg = self.fg or DEFAULT_FG
        bg = self.bg or DEFAULT_BG
        if self.bold and self.fg in BASE16[:8]:
            fg = BASE16[BASE16.index(self.fg) + 8]
        if self.reverse:
            fg, bg = bg, fg
        if self.dim:
            fg = tuple(int(x * 0.6 + y * 0.4) for x, y in zip(fg, bg))
        return fg, bg


def parse(text, cols, rows):
    """Returns rows of cells: (char, fg, bg, bold, underline)."""
    grid = []
    pen = Pen()
    for line in text.split("\n")[:rows]:
        row = []
        pos = 0
        while pos < len(line):
            m = SGR.match(line, pos)
            if m:
                pen.apply(m.group(1))
                pos = m.end()
                continue
            m = OTHER_ESC.match(line, pos)
            if m:
                pos = m.end()
                continue
            ch = line[pos]
            pos += 1
            if ord(ch) < 32:
                continue
            fg, bg = pen.colours()
            row.append((ch, fg, bg, pen.bold, pen.underline))
            if unicodedata.east_asian_width(ch) in "WF":
                row.append(("", fg, bg, pen.bold, False))
        grid.append(row[:cols])
    while len(grid) < rows:
        grid.append([])
    return grid


def render(grid, cols, rows, out):
    font = ImageFont.truetype(FONT, SIZE)
    bold = ImageFont.truetype(FONT_BOLD, SIZE)
    left, top, right, bottom = font.getbbox("M")
    cw = int(font.getlength("M"))
    ch = int(SIZE * 1.25)
    img = Image.new("RGB", (cols * cw + 16, rows * ch + 16), DEFAULT_BG)
    draw = ImageDraw.Draw(img)
    # backgrounds first: a glyph that reaches below its cell (an underscore) is not
    # painted over by the next row's background
    for y, row in enumerate(grid):
        for x, (c, fg, bg, is_bold, underline) in enumerate(row):
            px, py = 8 + x * cw, 8 + y * ch
            if bg != DEFAULT_BG:
                draw.rectangle([px, py, px + cw - 1, py + ch - 1], fill=bg)
    for y, row in enumerate(grid):
        for x, (c, fg, bg, is_bold, underline) in enumerate(row):
            px, py = 8 + x * cw, 8 + y * ch
            if c and c != " ":
                draw.text((px, py), c, font=bold if is_bold else font, fill=fg)
            if underline:
                draw.line([px, py + ch - 2, px + cw - 1, py + ch - 2], fill=fg)
    img.save(out)


def main():
    if len(sys.argv) != 5:
        sys.exit("usage: ansi2png.py CAPTURE.txt OUT.png COLUMNS ROWS")
    with open(sys.argv[1], encoding="utf-8", errors="replace") as f:
        text = f.read()
    cols, rows = int(sys.argv[3]), int(sys.argv[4])
    render(parse(text, cols, rows), cols, rows, sys.argv[2])


if __name__ == "__main__":
    main()
