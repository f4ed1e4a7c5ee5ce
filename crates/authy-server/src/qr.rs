//! QR codes for authenticator apps, as PNG (WIRE.md §3.6).

/// Percent-encodes a URI component (label, issuer) of an `otpauth://` URI.
pub use authy_types::params::percent_encode as uri_component;

/// A black-on-white PNG of `data`'s QR code, about `size` pixels wide, with
/// the standard four-module quiet zone.
pub fn png(data: &str, size: u32) -> Result<Vec<u8>, String> {
    let code = qrcode::QrCode::new(data.as_bytes()).map_err(|e| format!("QR code: {e}"))?;
    let modules = code.width() as u32;
    let colors = code.to_colors();
    let total = modules + 8;
    let scale = (size / total).max(1);
    let side = total * scale;
    let mut pixels = vec![255u8; (side * side) as usize];
    for y in 0..modules {
        for x in 0..modules {
            if colors[(y * modules + x) as usize] == qrcode::Color::Dark {
                for dy in 0..scale {
                    let row = ((y + 4) * scale + dy) * side;
                    let start = (row + (x + 4) * scale) as usize;
                    pixels[start..start + scale as usize].fill(0);
                }
            }
        }
    }
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, side, side);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(|e| format!("PNG: {e}"))?;
    writer
        .write_image_data(&pixels)
        .map_err(|e| format!("PNG: {e}"))?;
    writer.finish().map_err(|e| format!("PNG: {e}"))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn makes_a_png_near_the_asked_size() {
        let png = png("otpauth://totp/x?secret=JBSWY3DPEHPK3PXP", 300).unwrap();
        assert_eq!(&png[1..4], b"PNG");
        let width = u32::from_be_bytes(png[16..20].try_into().unwrap());
        assert!((200..=300).contains(&width), "{width}");
        assert_eq!(uri_component("Example: ada@x"), "Example%3A%20ada%40x");
    }
}
