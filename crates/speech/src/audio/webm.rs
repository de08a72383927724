//! WebM (Matroska's EBML): the header's DocType, the track's codec, and the length from the
//! segment's Duration or, as MediaRecorder writes none, from the last block's timestamp.
//!
//! Elements are read in one pass. Every Matroska element ID is unique whatever its parent, so
//! the containers that matter (Segment, Info, Tracks, Cluster…) are simply entered and every
//! other element skipped by its size; that also handles MediaRecorder's "unknown size" Segment
//! and Cluster, which end only where the next element that cannot be inside them begins.

use super::{AudioError, AudioFormat, AudioInfo};

/// The first four bytes of any EBML file (the EBML header's element ID).
pub(super) const EBML_MAGIC: [u8; 4] = [0x1A, 0x45, 0xDF, 0xA3];

const EBML: u32 = 0x1A45_DFA3;
const DOC_TYPE: u32 = 0x4282;
const SEGMENT: u32 = 0x1853_8067;
const INFO: u32 = 0x1549_A966;
const TIMECODE_SCALE: u32 = 0x2A_D7B1;
const DURATION: u32 = 0x4489;
const TRACKS: u32 = 0x1654_AE6B;
const TRACK_ENTRY: u32 = 0xAE;
const CODEC_ID: u32 = 0x86;
const AUDIO: u32 = 0xE1;
const SAMPLING_FREQUENCY: u32 = 0xB5;
const CHANNELS: u32 = 0x9F;
const CLUSTER: u32 = 0x1F43_B675;
const TIMECODE: u32 = 0xE7;
const SIMPLE_BLOCK: u32 = 0xA3;
const BLOCK_GROUP: u32 = 0xA0;
const BLOCK: u32 = 0xA1;
const BLOCK_DURATION: u32 = 0x9B;

/// Containers read through rather than skipped.
const ENTERED: [u32; 7] = [SEGMENT, INFO, TRACKS, TRACK_ENTRY, AUDIO, CLUSTER, BLOCK_GROUP];

/// Matroska's default TimecodeScale: timestamps in milliseconds.
const DEFAULT_SCALE_NS: u64 = 1_000_000;

/// One element's header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Header {
    id: u32,
    /// `None`: "unknown size" (all value bits set), allowed for Segment and Cluster.
    size: Option<u64>,
    /// Where the element's data starts.
    data: usize,
}

/// The element's name for messages, e.g. `the Cluster` or `element 0x4d80`.
fn name(id: u32) -> String {
    let known = match id {
        EBML => "the EBML header",
        SEGMENT => "the Segment",
        INFO => "the Info",
        TRACKS => "the Tracks",
        TRACK_ENTRY => "a TrackEntry",
        AUDIO => "a track's Audio settings",
        CLUSTER => "a Cluster",
        SIMPLE_BLOCK => "a SimpleBlock",
        BLOCK_GROUP => "a BlockGroup",
        BLOCK => "a Block",
        _ => return format!("element {id:#x}"),
    };
    known.to_owned()
}

fn malformed(what: impl Into<String>) -> AudioError {
    AudioError::Malformed(what.into())
}

/// A variable-length integer at `at`: its length (1–8 bytes, from the leading zeros of the first
/// byte) and its value, with the length marker kept (`keep_marker`, for IDs) or removed (sizes).
fn vint(bytes: &[u8], at: usize, max_len: usize, keep_marker: bool) -> Result<(u64, usize), AudioError> {
    let first = *bytes.get(at).ok_or_else(|| malformed("an element is cut short"))?;
    let len = first.leading_zeros() as usize + 1;
    if len > max_len {
        return Err(malformed(format!("invalid element header byte {first:#04x} at offset {at}")));
    }
    let raw =
        bytes.get(at..at + len).ok_or_else(|| malformed(format!("an element header at offset {at} is cut short")))?;
    let mut value = if keep_marker { u64::from(first) } else { u64::from(first) & (0xFF >> len) };
    for byte in &raw[1..] {
        value = value << 8 | u64::from(*byte);
    }
    Ok((value, len))
}

fn header(bytes: &[u8], at: usize) -> Result<Header, AudioError> {
    let (id, id_len) = vint(bytes, at, 4, true)?;
    let (size, size_len) = vint(bytes, at + id_len, 8, false)?;
    let unknown = size == (1u64 << (7 * size_len)) - 1;
    let data = at + id_len + size_len;
    Ok(Header { id: id as u32, size: (!unknown).then_some(size), data })
}

/// The data of a sized element, checked to lie within the file.
fn body<'a>(bytes: &'a [u8], h: &Header) -> Result<&'a [u8], AudioError> {
    let size = h.size.ok_or_else(|| malformed(format!("{} has an unknown size", name(h.id))))?;
    usize::try_from(size).ok().and_then(|size| bytes.get(h.data..h.data.checked_add(size)?)).ok_or_else(|| {
        malformed(format!("{} at offset {} runs past the end: the file is truncated", name(h.id), h.data))
    })
}

fn uint(data: &[u8]) -> Result<u64, AudioError> {
    if data.len() > 8 {
        return Err(malformed("an unsigned integer element is longer than 8 bytes"));
    }
    Ok(data.iter().fold(0, |value, byte| value << 8 | u64::from(*byte)))
}

fn float(data: &[u8]) -> Result<f64, AudioError> {
    match data.len() {
        0 => Ok(0.0),
        4 => Ok(f64::from(f32::from_be_bytes(data.try_into().unwrap_or_default()))),
        8 => Ok(f64::from_be_bytes(data.try_into().unwrap_or_default())),
        n => Err(malformed(format!("a float element is {n} bytes long"))),
    }
}

/// What the walk found.
#[derive(Default)]
struct Found {
    scale_ns: Option<u64>,
    duration: Option<f64>,
    codec: Option<String>,
    sample_rate: Option<f64>,
    channels: Option<u64>,
    cluster_time: u64,
    /// The end of the latest block seen, in TimecodeScale units.
    last_block_end: Option<u64>,
}

impl Found {
    /// A (Simple)Block: track number, then a signed 16-bit timestamp relative to its Cluster.
    /// Returns the block's start.
    fn block(&mut self, data: &[u8]) -> Result<u64, AudioError> {
        let (_track, len) = vint(data, 0, 8, false).map_err(|_| malformed("a block has no track number"))?;
        let relative = data.get(len..len + 3).ok_or_else(|| malformed("a block is too short for its timestamp"))?;
        let start = self.cluster_time.saturating_add_signed(i64::from(i16::from_be_bytes([relative[0], relative[1]])));
        self.block_end(start);
        Ok(start)
    }

    fn block_end(&mut self, end: u64) {
        self.last_block_end = Some(self.last_block_end.map_or(end, |last| last.max(end)));
    }
}

/// A BlockGroup being read: its Block's start and its BlockDuration come in either order.
#[derive(Clone, Copy)]
struct Group {
    /// Where the group's data ends.
    end: usize,
    start: Option<u64>,
    duration: Option<u64>,
}

impl Group {
    fn finish(self, found: &mut Found) {
        if let (Some(start), Some(duration)) = (self.start, self.duration) {
            found.block_end(start.saturating_add(duration));
        }
    }
}

/// Measures a WebM file (its first four bytes are known to be the EBML magic).
pub(super) fn inspect(bytes: &[u8]) -> Result<AudioInfo, AudioError> {
    let ebml = header(bytes, 0)?;
    let ebml_body = body(bytes, &ebml)?;
    let mut doc_type = None;
    let mut at = 0;
    while at < ebml_body.len() {
        let child = header(ebml_body, at)?;
        let data = body(ebml_body, &child)?;
        if child.id == DOC_TYPE {
            doc_type = Some(String::from_utf8_lossy(data).trim_end_matches('\0').to_owned());
        }
        at = child.data + data.len();
    }
    // Plain Matroska (`.mkv`) or anything else carried in EBML is not what browsers record.
    if doc_type.as_deref() != Some("webm") {
        return Err(AudioError::Unsupported);
    }

    let mut found = Found::default();
    let mut segment = false;
    let mut group: Option<Group> = None;
    let mut at = ebml.data + ebml_body.len();
    while at < bytes.len() {
        if let Some(ended) = group.filter(|g| at >= g.end) {
            ended.finish(&mut found);
            group = None;
        }
        let h = header(bytes, at)?;
        if h.id == EBML {
            return Err(malformed("a second EBML header follows: chained files are not supported"));
        }
        if ENTERED.contains(&h.id) {
            match h.size {
                Some(size) => {
                    // A known-size container must fit, or the file was cut short.
                    let end = usize::try_from(size).ok().and_then(|size| h.data.checked_add(size));
                    let end = end.filter(|end| *end <= bytes.len()).ok_or_else(|| {
                        malformed(format!("{} at offset {at} runs past the end: the file is truncated", name(h.id)))
                    })?;
                    if h.id == BLOCK_GROUP {
                        group = Some(Group { end, start: None, duration: None });
                    }
                }
                None if matches!(h.id, SEGMENT | CLUSTER) => {}
                None => return Err(malformed(format!("{} has an unknown size", name(h.id)))),
            }
            segment |= h.id == SEGMENT;
            at = h.data;
            continue;
        }
        let data = body(bytes, &h)?;
        match h.id {
            TIMECODE_SCALE => found.scale_ns = Some(uint(data)?),
            DURATION => found.duration = Some(float(data)?),
            CODEC_ID if found.codec.is_none() => found.codec = Some(String::from_utf8_lossy(data).into_owned()),
            SAMPLING_FREQUENCY if found.sample_rate.is_none() => found.sample_rate = Some(float(data)?),
            CHANNELS if found.channels.is_none() => found.channels = Some(uint(data)?),
            TIMECODE => found.cluster_time = uint(data)?,
            SIMPLE_BLOCK => {
                found.block(data)?;
            }
            BLOCK => {
                let start = found.block(data)?;
                match group.as_mut() {
                    Some(group) => group.start = Some(start),
                    None => return Err(malformed("a Block outside a BlockGroup")),
                }
            }
            BLOCK_DURATION => {
                if let Some(group) = group.as_mut() {
                    group.duration = Some(uint(data)?);
                }
            }
            _ => {}
        }
        at = h.data + data.len();
    }
    if let Some(ended) = group {
        ended.finish(&mut found);
    }
    if !segment {
        return Err(malformed("there is no Segment after the EBML header"));
    }

    let scale_ns = found.scale_ns.filter(|scale| *scale > 0).unwrap_or(DEFAULT_SCALE_NS);
    let ticks = match found.duration.filter(|d| d.is_finite() && *d > 0.0) {
        Some(duration) => duration,
        None => found.last_block_end.unwrap_or(0) as f64,
    };
    // Float to integer casts saturate, so an absurd Duration cannot wrap.
    let duration_ms = (ticks * scale_ns as f64 / 1e6).round() as u64;
    Ok(AudioInfo {
        format: AudioFormat::Webm,
        duration_ms,
        codec: found.codec,
        sample_rate: found.sample_rate.filter(|rate| *rate >= 1.0).map(|rate| rate.round() as u32),
        channels: found.channels.and_then(|n| u16::try_from(n).ok()),
        level: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_keep_their_marker_and_sizes_lose_it() {
        assert_eq!(vint(&[0x1A, 0x45, 0xDF, 0xA3], 0, 4, true).unwrap(), (0x1A45_DFA3, 4));
        assert_eq!(vint(&[0x81], 0, 8, false).unwrap(), (1, 1));
        assert_eq!(vint(&[0x40, 0x02], 0, 8, false).unwrap(), (2, 2));
        assert_eq!(vint(&[0x01, 0, 0, 0, 0, 0, 0, 5], 0, 8, false).unwrap(), (5, 8));
        assert!(vint(&[0x00, 1], 0, 8, false).is_err(), "no length marker in the first byte");
        assert!(vint(&[0x08, 1, 2, 3, 4], 0, 4, true).is_err(), "IDs are at most 4 bytes");
        assert!(vint(&[0x40], 0, 8, false).is_err(), "cut short");
    }

    #[test]
    fn all_ones_sizes_are_unknown_at_every_length() {
        let cluster = [0x1F, 0x43, 0xB6, 0x75];
        for size in [&[0xFF][..], &[0x7F, 0xFF], &[0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]] {
            let bytes = [&cluster[..], size].concat();
            assert_eq!(header(&bytes, 0).unwrap().size, None, "{size:?}");
        }
        assert_eq!(header(&[0xE7, 0xFE], 0).unwrap().size, Some(0x7E));
    }

    #[test]
    fn floats_may_be_four_or_eight_bytes() {
        assert_eq!(float(&1500.0f32.to_be_bytes()).unwrap(), 1500.0);
        assert_eq!(float(&2.5f64.to_be_bytes()).unwrap(), 2.5);
        assert!(float(&[0; 3]).is_err());
        assert_eq!(uint(&[0x0F, 0x42, 0x40]).unwrap(), 1_000_000);
    }
}
