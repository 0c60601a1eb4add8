//! The product images: a 48×48 PNG per category, drawn and encoded here
//! (truecolour, one zlib stream of stored deflate blocks), so the shop
//! needs no image library for its demo pictures.

/// The colours of a category's picture: background and emblem (RGB).
fn palette(category: &str) -> ([u8; 3], [u8; 3]) {
    match category {
        "Tents" => ([0x2e, 0x7d, 0x32], [0xff, 0xf1, 0x76]),
        "Backpacks" => ([0x6d, 0x4c, 0x41], [0xff, 0xcc, 0x80]),
        "Footwear" => ([0x45, 0x5a, 0x64], [0xff, 0x8a, 0x65]),
        "Sleeping Bags" => ([0x28, 0x35, 0x93], [0x90, 0xca, 0xf9]),
        "Laptops" => ([0x26, 0x32, 0x38], [0x80, 0xde, 0xea]),
        "Monitors" => ([0x00, 0x4d, 0x40], [0xa5, 0xd6, 0xa7]),
        "Audio" => ([0x4a, 0x14, 0x8c], [0xce, 0x93, 0xd8]),
        _ => ([0x61, 0x61, 0x61], [0xe0, 0xe0, 0xe0]),
    }
}

/// The side of the square picture, in pixels.
pub const SIDE: u32 = 48;

/// The PNG of a product of `category`: its background with a centred
/// diamond in the emblem colour.
pub fn category_png(category: &str) -> Vec<u8> {
    let (bg, fg) = palette(category);
    let side = SIDE as i32;
    let mut raw = Vec::with_capacity((SIDE * (SIDE * 3 + 1)) as usize);
    for y in 0..side {
        raw.push(0); // filter: none
        for x in 0..side {
            let (dx, dy) = ((2 * x + 1 - side).abs(), (2 * y + 1 - side).abs());
            raw.extend_from_slice(if dx + dy <= side { &fg } else { &bg });
        }
    }
    let mut ihdr = Vec::with_capacity(13);
    ihdr.extend_from_slice(&SIDE.to_be_bytes());
    ihdr.extend_from_slice(&SIDE.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]); // 8-bit RGB, deflate, no filter, no interlace
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    chunk(&mut png, b"IHDR", &ihdr);
    chunk(&mut png, b"IDAT", &zlib_stored(&raw));
    chunk(&mut png, b"IEND", &[]);
    png
}

fn chunk(png: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    png.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let start = png.len();
    png.extend_from_slice(kind);
    png.extend_from_slice(data);
    let crc = crc32(&png[start..]);
    png.extend_from_slice(&crc.to_be_bytes());
}

/// A zlib stream (RFC 1950) of stored deflate blocks (RFC 1951 §3.2.4).
fn zlib_stored(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x78, 0x01];
    let blocks: Vec<&[u8]> = data.chunks(0xffff).collect();
    for (i, block) in blocks.iter().enumerate() {
        out.push(u8::from(i + 1 == blocks.len()));
        let len = block.len() as u16;
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(block);
    }
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in data {
        a = (a + u32::from(byte)) % 65_521;
        b = (b + a) % 65_521;
    }
    out.extend_from_slice(&((b << 16) | a).to_be_bytes());
    out
}

/// CRC-32 (ISO 3309, as PNG uses it).
fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_and_adler_match_their_reference_values() {
        // The check values of the CRC-32 and Adler-32 catalogues.
        assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
        let z = zlib_stored(b"Wikipedia");
        assert_eq!(&z[z.len() - 4..], &0x11e6_0398u32.to_be_bytes());
    }

    #[test]
    fn a_category_picture_is_a_48_pixel_png() {
        let png = category_png("Tents");
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        assert_eq!(&png[12..16], b"IHDR");
        assert_eq!(&png[16..24], &[0, 0, 0, 48, 0, 0, 0, 48]);
        assert_ne!(category_png("Tents"), category_png("Audio"));
    }
}
