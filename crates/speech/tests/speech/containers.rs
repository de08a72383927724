//! Audio files built by hand, byte by byte, so each test knows the length it put in.

/// A RIFF/WAVE file of these chunks, each padded to an even length as the format requires.
pub fn riff(chunks: &[(&[u8; 4], &[u8])]) -> Vec<u8> {
    let mut wav = b"RIFF\0\0\0\0WAVE".to_vec();
    for (id, body) in chunks {
        wav.extend_from_slice(*id);
        wav.extend_from_slice(&(body.len() as u32).to_le_bytes());
        wav.extend_from_slice(body);
        if body.len() % 2 == 1 {
            wav.push(0);
        }
    }
    let size = (wav.len() - 8) as u32;
    wav[4..8].copy_from_slice(&size.to_le_bytes());
    wav
}

/// The body of a `fmt ` chunk for 16-bit PCM.
pub fn fmt_pcm16(channels: u16, rate: u32) -> Vec<u8> {
    let align = channels * 2;
    [
        &1u16.to_le_bytes()[..],
        &channels.to_le_bytes(),
        &rate.to_le_bytes(),
        &(rate * u32::from(align)).to_le_bytes(),
        &align.to_le_bytes(),
        &16u16.to_le_bytes(),
    ]
    .concat()
}

/// `ms` milliseconds of a 440 Hz tone at `rate`, `amplitude` of full scale.
pub fn tone(rate: u32, ms: u64, amplitude: f64) -> Vec<i16> {
    let samples = ms * u64::from(rate) / 1000;
    let step = std::f64::consts::TAU * 440.0 / f64::from(rate);
    (0..samples).map(|i| ((i as f64 * step).sin() * amplitude * 32767.0) as i16).collect()
}

/// Samples as little-endian bytes.
pub fn pcm_bytes(samples: &[i16]) -> Vec<u8> {
    samples.iter().flat_map(|s| s.to_le_bytes()).collect()
}

// --- WebM (EBML) ---

pub const SEGMENT: u32 = 0x1853_8067;
pub const INFO: u32 = 0x1549_A966;
pub const TIMECODE_SCALE: u32 = 0x2A_D7B1;
pub const DURATION: u32 = 0x4489;
pub const MUXING_APP: u32 = 0x4D80;
pub const TRACKS: u32 = 0x1654_AE6B;
pub const TRACK_ENTRY: u32 = 0xAE;
pub const TRACK_NUMBER: u32 = 0xD7;
pub const CODEC_ID: u32 = 0x86;
pub const AUDIO: u32 = 0xE1;
pub const SAMPLING_FREQUENCY: u32 = 0xB5;
pub const CHANNELS: u32 = 0x9F;
pub const CLUSTER: u32 = 0x1F43_B675;
pub const TIMECODE: u32 = 0xE7;
pub const SIMPLE_BLOCK: u32 = 0xA3;
pub const BLOCK_GROUP: u32 = 0xA0;
pub const BLOCK: u32 = 0xA1;
pub const BLOCK_DURATION: u32 = 0x9B;

/// The element ID's bytes (IDs keep their length marker, so leading zero bytes are dropped).
fn id_bytes(id: u32) -> Vec<u8> {
    id.to_be_bytes().into_iter().skip_while(|b| *b == 0).collect()
}

/// An element with a known size, written as an 8-byte size field as some muxers do.
pub fn el(id: u32, body: &[u8]) -> Vec<u8> {
    let mut out = id_bytes(id);
    out.push(0x01);
    out.extend_from_slice(&(body.len() as u64).to_be_bytes()[1..]);
    out.extend_from_slice(body);
    out
}

/// An element with a known size in a 1-byte size field (bodies under 127 bytes).
pub fn el1(id: u32, body: &[u8]) -> Vec<u8> {
    assert!(body.len() < 127);
    let mut out = id_bytes(id);
    out.push(0x80 | body.len() as u8);
    out.extend_from_slice(body);
    out
}

/// The header of an element of unknown size (8-byte size field, all value bits set), as
/// MediaRecorder writes its Segment and Clusters: its children simply follow.
pub fn unknown_size(id: u32) -> Vec<u8> {
    let mut out = id_bytes(id);
    out.extend_from_slice(&[0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]);
    out
}

pub fn uint(id: u32, value: u64) -> Vec<u8> {
    let bytes: Vec<u8> = value.to_be_bytes().into_iter().skip_while(|b| *b == 0).collect();
    el1(id, &bytes)
}

/// The EBML header with this DocType.
pub fn ebml_header(doc_type: &str) -> Vec<u8> {
    let body = [
        uint(0x4286, 1), // EBMLVersion
        uint(0x42F7, 1), // EBMLReadVersion
        uint(0x42F2, 4), // EBMLMaxIDLength
        uint(0x42F3, 8), // EBMLMaxSizeLength
        el1(0x4282, doc_type.as_bytes()),
        uint(0x4287, 4), // DocTypeVersion
        uint(0x4285, 2), // DocTypeReadVersion
    ]
    .concat();
    el(0x1A45_DFA3, &body)
}

/// Info with a TimecodeScale and, when given, a Duration (in TimecodeScale units, as a float).
pub fn info(scale_ns: u64, duration: Option<f64>) -> Vec<u8> {
    let mut body = [uint(TIMECODE_SCALE, scale_ns), el1(MUXING_APP, b"Chrome")].concat();
    if let Some(duration) = duration {
        body.extend(el1(DURATION, &duration.to_be_bytes()));
    }
    el(INFO, &body)
}

/// Tracks with one Opus audio track, as MediaRecorder writes it.
pub fn opus_tracks() -> Vec<u8> {
    let audio = el1(AUDIO, &[el1(SAMPLING_FREQUENCY, &48_000f64.to_be_bytes()), uint(CHANNELS, 1)].concat());
    let entry = [uint(TRACK_NUMBER, 1), el1(CODEC_ID, b"A_OPUS"), audio].concat();
    el(TRACKS, &el(TRACK_ENTRY, &entry))
}

/// A SimpleBlock of track 1 at `relative` ms from its cluster, with some bytes standing for an Opus frame.
pub fn simple_block(relative: i16) -> Vec<u8> {
    let mut body = vec![0x81];
    body.extend_from_slice(&relative.to_be_bytes());
    body.push(0x80); // keyframe
    body.extend_from_slice(&[0xFC, 0xFF, 0xFE, 0x11, 0x22, 0x33]);
    el1(SIMPLE_BLOCK, &body)
}

/// A Cluster's children: its Timecode and SimpleBlocks at these relative times.
pub fn cluster_body(timecode: u64, blocks: impl IntoIterator<Item = i16>) -> Vec<u8> {
    let mut body = uint(TIMECODE, timecode);
    for relative in blocks {
        body.extend(simple_block(relative));
    }
    body
}

/// A WebM file the way Chromium's MediaRecorder writes it: unknown-size Segment and Clusters,
/// no Duration; clusters at 0 and 1000 ms with 20 ms frames, the last block at `1000 + last_ms`.
pub fn mediarecorder_webm(last_ms: i16) -> Vec<u8> {
    [
        ebml_header("webm"),
        unknown_size(SEGMENT),
        info(1_000_000, None),
        opus_tracks(),
        unknown_size(CLUSTER),
        cluster_body(0, (0..50).map(|i| i * 20)),
        unknown_size(CLUSTER),
        cluster_body(1000, (0..=last_ms / 20).map(|i| i * 20)),
    ]
    .concat()
}

// --- Ogg ---

/// Ogg's CRC-32 (polynomial 0x04C11DB7, no reflection, initial value and final XOR zero),
/// bit by bit: independent of the table the crate uses.
pub fn ogg_crc(bytes: &[u8]) -> u32 {
    let mut crc = 0u32;
    for byte in bytes {
        crc ^= u32::from(*byte) << 24;
        for _ in 0..8 {
            crc = if crc & 0x8000_0000 != 0 { (crc << 1) ^ 0x04C1_1DB7 } else { crc << 1 };
        }
    }
    crc
}

pub const BOS: u8 = 0x02;
pub const EOS: u8 = 0x04;

/// One Ogg page holding these whole packets, with its checksum.
pub fn ogg_page(flags: u8, granule: u64, serial: u32, sequence: u32, packets: &[&[u8]]) -> Vec<u8> {
    let mut lacing = Vec::new();
    for packet in packets {
        lacing.extend(std::iter::repeat_n(255u8, packet.len() / 255));
        lacing.push((packet.len() % 255) as u8);
    }
    let mut page = b"OggS".to_vec();
    page.push(0); // version
    page.push(flags);
    page.extend_from_slice(&granule.to_le_bytes());
    page.extend_from_slice(&serial.to_le_bytes());
    page.extend_from_slice(&sequence.to_le_bytes());
    page.extend_from_slice(&[0; 4]); // checksum, filled in below
    page.push(lacing.len() as u8);
    page.extend_from_slice(&lacing);
    for packet in packets {
        page.extend_from_slice(packet);
    }
    let crc = ogg_crc(&page);
    page[22..26].copy_from_slice(&crc.to_le_bytes());
    page
}

/// An OpusHead packet: mono, this pre-skip, 48 kHz input.
pub fn opus_head(pre_skip: u16) -> Vec<u8> {
    let mut head = b"OpusHead".to_vec();
    head.extend_from_slice(&[1, 1]); // version, channels
    head.extend_from_slice(&pre_skip.to_le_bytes());
    head.extend_from_slice(&48_000u32.to_le_bytes());
    head.extend_from_slice(&[0, 0, 0]); // gain, mapping family
    head
}

/// An Ogg/Opus file as Firefox's MediaRecorder writes it: OpusHead, OpusTags, then audio pages
/// whose granule positions grow, the last at `final_granule`.
pub fn ogg_opus(pre_skip: u16, final_granule: u64) -> Vec<u8> {
    const SERIAL: u32 = 0x5EED;
    let frame = vec![0xFCu8; 300]; // spans two lacing values
    let mut file = ogg_page(BOS, 0, SERIAL, 0, &[&opus_head(pre_skip)]);
    file.extend(ogg_page(0, 0, SERIAL, 1, &[b"OpusTags\x05\0\0\0fake!\0\0\0\0"]));
    let half = final_granule / 2;
    file.extend(ogg_page(0, half, SERIAL, 2, &[&frame, &frame]));
    file.extend(ogg_page(EOS, final_granule, SERIAL, 3, &[&frame]));
    file
}
