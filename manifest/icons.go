package manifest

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
)

// Icon sizes Teams requires.
const (
	ColorSize   = 192
	OutlineSize = 32
)

// The glyph is a pie with one slice pulled out: a segment of an audience.
// It is drawn from geometry, so both icons are sharp at their size.

// ColorIcon draws the 192x192 full-colour icon: a white glyph on the
// accent colour.
func ColorIcon() ([]byte, error) {
	bg := color.NRGBA{R: 0x44, G: 0x64, B: 0xEE, A: 0xFF}
	return drawIcon(ColorSize, bg, 0.30)
}

// OutlineIcon draws the 32x32 outline icon: a white glyph on a transparent
// background, as Teams requires.
func OutlineIcon() ([]byte, error) {
	return drawIcon(OutlineSize, color.NRGBA{}, 0.40)
}

// drawIcon paints bg and a white glyph whose pie radius is scale × size.
// Edge pixels are covered 4×4 times so the glyph is smooth; on a
// transparent background only the alpha varies, the colour stays white.
func drawIcon(size int, bg color.NRGBA, scale float64) ([]byte, error) {
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	const samples = 4
	for y := range size {
		for x := range size {
			hits := 0
			for sy := range samples {
				for sx := range samples {
					px := (float64(x) + (float64(sx)+0.5)/samples) / float64(size)
					py := (float64(y) + (float64(sy)+0.5)/samples) / float64(size)
					if inGlyph(px, py, scale) {
						hits++
					}
				}
			}
			img.SetNRGBA(x, y, blendWhite(bg, float64(hits)/samples/samples))
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("encode %dx%d icon: %w", size, size, err)
	}
	return buf.Bytes(), nil
}

// inGlyph reports whether the point (x, y), in units of the icon size,
// lies on the glyph: a disc missing its upper-right quarter, and that
// quarter moved out along its diagonal.
func inGlyph(x, y, r float64) bool {
	const cx, cy = 0.47, 0.53
	const gap = 0.06 // how far the slice is pulled out
	dx, dy := x-cx, y-cy
	if dx*dx+dy*dy <= r*r && !(dx > 0 && dy < 0) {
		return true
	}
	shift := gap / math.Sqrt2
	sx, sy := dx-shift, dy+shift
	return sx*sx+sy*sy <= r*r && sx > 0 && sy < 0
}

// blendWhite lays white of coverage c over bg.
func blendWhite(bg color.NRGBA, c float64) color.NRGBA {
	if bg.A == 0 {
		return color.NRGBA{R: 0xFF, G: 0xFF, B: 0xFF, A: uint8(math.Round(c * 0xFF))}
	}
	mix := func(v uint8) uint8 { return uint8(math.Round(float64(v)*(1-c) + 0xFF*c)) }
	return color.NRGBA{R: mix(bg.R), G: mix(bg.G), B: mix(bg.B), A: bg.A}
}
