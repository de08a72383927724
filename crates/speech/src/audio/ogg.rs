//! Ogg: every page is checked (capture pattern, version, segment table, checksum), the codec is
//! read from the first packet, and the length from the last page's granule position.

use super::{AudioError, AudioFormat, AudioInfo, ReadAt, ticks_to_ms};

/// Opus granule positions count 48 kHz samples, whatever the input's sample rate was.
const OPUS_GRANULE_RATE: u64 = 48_000;
/// A granule position of -1: no packet ends on this page.
const NO_GRANULE: u64 = u64::MAX;
/// The fixed part of a page header, before its segment table.
const HEADER_LEN: usize = 27;

/// Ogg's CRC-32: polynomial 0x04C11DB7, initial value 0, no reflection, no final XOR.
const CRC_TABLE: [u32; 256] = {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut crc = (i as u32) << 24;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 0x8000_0000 != 0 { (crc << 1) ^ 0x04C1_1DB7 } else { crc << 1 };
            bit += 1;
        }
        table[i] = crc;
        i += 1;
    }
    table
};

/// The checksum of a page, computed with its checksum field taken as zero.
fn page_crc(page: &[u8]) -> u32 {
    page.iter().enumerate().fold(0u32, |crc, (i, byte)| {
        let byte = if (22..26).contains(&i) { 0 } else { *byte };
        (crc << 8) ^ CRC_TABLE[usize::from((crc >> 24) as u8 ^ byte)]
    })
}

/// One page, checked.
struct Page<'a> {
    flags: u8,
    granule: u64,
    serial: u32,
    body: &'a [u8],
    /// The length of the first packet, when it ends on this page.
    first_packet: Option<usize>,
    len: usize,
}

fn malformed(what: String) -> AudioError {
    AudioError::Malformed(what)
}

fn page(bytes: &[u8], at: usize, number: usize) -> Result<Page<'_>, AudioError> {
    let rest = &bytes[at..];
    if !rest.starts_with(b"OggS") {
        return Err(malformed(format!("page {number} at offset {at} does not start with OggS")));
    }
    let header = rest.get(..HEADER_LEN).ok_or_else(|| malformed(format!("page {number} is cut short")))?;
    if header[4] != 0 {
        return Err(malformed(format!("page {number} has unknown version {}", header[4])));
    }
    let flags = header[5];
    if flags & !0b111 != 0 {
        return Err(malformed(format!("page {number} has unknown flags {flags:#04x}")));
    }
    let segments = usize::from(header[26]);
    let table = rest
        .get(HEADER_LEN..HEADER_LEN + segments)
        .ok_or_else(|| malformed(format!("page {number}'s segment table is cut short")))?;
    let body_len: usize = table.iter().map(|lacing| usize::from(*lacing)).sum();
    let len = HEADER_LEN + segments + body_len;
    let whole = rest.get(..len).ok_or_else(|| {
        malformed(format!("page {number} declares {body_len} bytes of data but the file ends first: it is truncated"))
    })?;
    if page_crc(whole) != header.u32_le(22).unwrap_or_default() {
        return Err(malformed(format!("page {number} fails its checksum")));
    }
    // A packet ends at the first lacing value under 255.
    let first_packet = table.iter().position(|lacing| *lacing < 255).map(|i| i * 255 + usize::from(table[i]));
    Ok(Page {
        flags,
        granule: header.u64_le(6).unwrap_or(NO_GRANULE),
        serial: header.u32_le(14).unwrap_or_default(),
        body: &whole[HEADER_LEN + segments..],
        first_packet,
        len,
    })
}

/// What the first packet says about the stream.
struct Codec {
    name: &'static str,
    /// Granule positions per second.
    granule_rate: u64,
    /// Samples at the start that are decoded but not played (Opus's pre-skip).
    pre_skip: u64,
    sample_rate: u32,
    channels: u16,
}

fn codec(packet: &[u8]) -> Result<Codec, AudioError> {
    if packet.starts_with(b"OpusHead") {
        let head = packet.get(..19).ok_or_else(|| malformed("the OpusHead packet is cut short".into()))?;
        let channels = u16::from(head[9]);
        if head[8] >> 4 != 0 || channels == 0 {
            return Err(malformed(format!("unusable OpusHead: version {}, {channels} channel(s)", head[8])));
        }
        return Ok(Codec {
            name: "opus",
            granule_rate: OPUS_GRANULE_RATE,
            pre_skip: u64::from(head.u16_le(10).unwrap_or_default()),
            // The rate the input had; Opus itself always plays at 48 kHz.
            sample_rate: head.u32_le(12).filter(|rate| *rate > 0).unwrap_or(48_000),
            channels,
        });
    }
    if packet.starts_with(b"\x01vorbis") {
        let head = packet.get(..30).ok_or_else(|| malformed("the Vorbis identification header is cut short".into()))?;
        let channels = u16::from(head[11]);
        let rate = head.u32_le(12).unwrap_or_default();
        if channels == 0 || rate == 0 {
            return Err(malformed(format!("unusable Vorbis header: {channels} channel(s) at {rate} Hz")));
        }
        return Ok(Codec { name: "vorbis", granule_rate: u64::from(rate), pre_skip: 0, sample_rate: rate, channels });
    }
    // FLAC, Speex, Theora… in Ogg are not what browsers record.
    Err(AudioError::Unsupported)
}

/// Measures an Ogg file (its first four bytes are known to be `OggS`).
pub(super) fn inspect(bytes: &[u8]) -> Result<AudioInfo, AudioError> {
    let first = page(bytes, 0, 1)?;
    if first.flags & 0b010 == 0 {
        return Err(malformed("the first page is not marked as the start of a stream".into()));
    }
    let header_packet = first
        .first_packet
        .and_then(|len| first.body.get(..len))
        .ok_or_else(|| malformed("the first packet does not end on the first page".into()))?;
    let codec = codec(header_packet)?;
    let serial = first.serial;
    let mut last_granule = None;
    let (mut at, mut number) = (first.len, 1);
    while at < bytes.len() {
        number += 1;
        let next = page(bytes, at, number)?;
        // Other logical streams multiplexed in (a video track, say) are skipped.
        if next.serial == serial && next.granule != NO_GRANULE {
            last_granule = Some(next.granule);
        }
        at += next.len;
    }
    let played = last_granule.unwrap_or(0).saturating_sub(codec.pre_skip);
    Ok(AudioInfo {
        format: AudioFormat::Ogg,
        duration_ms: ticks_to_ms(played, codec.granule_rate),
        codec: Some(codec.name.to_owned()),
        sample_rate: Some(codec.sample_rate),
        channels: Some(codec.channels),
        level: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_checksum_is_ogg_s_unreflected_crc32() {
        // CRC-32/MPEG-2 without its initial and final inversion: "123456789" gives 0x89A1897F.
        let crc = b"123456789".iter().fold(0u32, |crc, b| (crc << 8) ^ CRC_TABLE[usize::from((crc >> 24) as u8 ^ b)]);
        assert_eq!(crc, 0x89A1_897F);
        assert_eq!(CRC_TABLE[1], 0x04C1_1DB7);
    }

    #[test]
    fn unknown_codecs_in_ogg_are_unsupported() {
        assert!(matches!(codec(b"\x7fFLAC\x01\x00"), Err(AudioError::Unsupported)));
        assert!(matches!(codec(b"OpusHead\x01"), Err(AudioError::Malformed(_))));
    }
}
