//! WAV (RIFF/WAVE): the chunks are walked in whatever order they come, the `fmt ` chunk says how
//! samples are laid out, and the `data` chunk gives both the length and the level.

use super::{AudioError, AudioFormat, AudioInfo, AudioLevel, ReadAt, ticks_to_ms};

/// A `data` size at least this large, running past the end of the file, is the placeholder that
/// streaming writers (`espeak-ng --stdout`, `ffmpeg -f wav pipe:`) put before they know the
/// length: the data then runs to the end of the file. Any other overrun means truncation.
const STREAMING_SIZE: u32 = 0x7FFF_0000;

/// How the samples are stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Encoding {
    /// Integer PCM: unsigned 8-bit, or signed little-endian 16, 24 or 32-bit.
    Int(u16),
    /// IEEE float, 32 or 64-bit.
    Float(u16),
}

impl Encoding {
    fn codec(self) -> &'static str {
        match self {
            Encoding::Int(8) => "pcm_u8",
            Encoding::Int(16) => "pcm_s16le",
            Encoding::Int(24) => "pcm_s24le",
            Encoding::Int(32) => "pcm_s32le",
            Encoding::Float(32) => "pcm_f32le",
            _ => "pcm_f64le",
        }
    }

    fn bytes_per_sample(self) -> usize {
        match self {
            Encoding::Int(bits) | Encoding::Float(bits) => usize::from(bits / 8),
        }
    }

    /// One sample, from -1.0 to 1.0.
    fn sample(self, raw: &[u8]) -> f64 {
        let value = match (self, raw) {
            (Encoding::Int(8), [b]) => (f64::from(*b) - 128.0) / 128.0,
            (Encoding::Int(16), [a, b]) => f64::from(i16::from_le_bytes([*a, *b])) / 32_768.0,
            (Encoding::Int(24), [a, b, c]) => f64::from(i32::from_le_bytes([0, *a, *b, *c]) >> 8) / 8_388_608.0,
            (Encoding::Int(32), [a, b, c, d]) => f64::from(i32::from_le_bytes([*a, *b, *c, *d])) / 2_147_483_648.0,
            (Encoding::Float(32), [a, b, c, d]) => f64::from(f32::from_le_bytes([*a, *b, *c, *d])),
            (Encoding::Float(64), raw) => raw.try_into().map(f64::from_le_bytes).unwrap_or(0.0),
            _ => 0.0,
        };
        if value.is_finite() { value.clamp(-1.0, 1.0) } else { 0.0 }
    }
}

/// The `fmt ` chunk.
#[derive(Clone, Copy, Debug)]
struct Fmt {
    encoding: Encoding,
    channels: u16,
    sample_rate: u32,
    block_align: usize,
}

/// PCM format tags, and WAVE_FORMAT_EXTENSIBLE whose sub-format GUID starts with the real tag.
const TAG_PCM: u16 = 1;
const TAG_FLOAT: u16 = 3;
const TAG_EXTENSIBLE: u16 = 0xFFFE;

fn parse_fmt(body: &[u8]) -> Result<Fmt, AudioError> {
    let field = |at| body.u16_le(at).ok_or_else(|| AudioError::Malformed("the fmt chunk is too short".into()));
    let mut tag = field(0)?;
    let channels = field(2)?;
    let sample_rate = body.u32_le(4).ok_or_else(|| AudioError::Malformed("the fmt chunk is too short".into()))?;
    let block_align = field(12)?;
    let bits = field(14)?;
    if tag == TAG_EXTENSIBLE {
        tag = body.u16_le(24).ok_or_else(|| AudioError::Malformed("the extensible fmt chunk is too short".into()))?;
    }
    let encoding = match (tag, bits) {
        (TAG_PCM, 8 | 16 | 24 | 32) => Encoding::Int(bits),
        (TAG_FLOAT, 32 | 64) => Encoding::Float(bits),
        // Compressed WAV (ADPCM, µ-law…) is not worth supporting for speech.
        _ => return Err(AudioError::Unsupported),
    };
    if channels == 0 || sample_rate == 0 {
        return Err(AudioError::Malformed(format!("the fmt chunk says {channels} channel(s) at {sample_rate} Hz")));
    }
    let frame = usize::from(channels) * encoding.bytes_per_sample();
    if usize::from(block_align) != frame {
        return Err(AudioError::Malformed(format!(
            "the fmt chunk's block align is {block_align}, not {frame} for {channels} channel(s) of {bits} bits"
        )));
    }
    Ok(Fmt { encoding, channels, sample_rate, block_align: frame })
}

/// Measures a RIFF/WAVE file (its first 12 bytes are known to be `RIFF????WAVE`).
pub(super) fn inspect(bytes: &[u8]) -> Result<AudioInfo, AudioError> {
    let riff_size = bytes.u32_le(4).map_or(0, |n| n as usize);
    // Bytes after the RIFF chunk are ignored; a RIFF size past the end is judged by the data chunk.
    let end = match riff_size.checked_add(8) {
        Some(riff_end) if riff_size >= 4 && riff_end <= bytes.len() => riff_end,
        _ => bytes.len(),
    };
    let mut fmt = None;
    let mut data: Option<&[u8]> = None;
    let mut at = 12;
    while at + 8 <= end {
        let id = &bytes[at..at + 4];
        let size = bytes.u32_le(at + 4).unwrap_or_default();
        let body = at + 8;
        let available = end - body;
        let len = match size as usize {
            len if len <= available => len,
            _ if id == b"data" && size >= STREAMING_SIZE => available,
            len => {
                return Err(AudioError::Malformed(format!(
                    "the {:?} chunk declares {len} bytes but only {available} are left: the file is truncated",
                    String::from_utf8_lossy(id)
                )));
            }
        };
        match id {
            b"fmt " if fmt.is_none() => fmt = Some(parse_fmt(&bytes[body..body + len])?),
            b"data" if data.is_none() => data = Some(&bytes[body..body + len]),
            _ => {}
        }
        // Chunks start on even offsets: an odd-sized chunk is followed by a pad byte.
        at = body + len + (len & 1);
    }
    let fmt = fmt.ok_or_else(|| AudioError::Malformed("there is no fmt chunk".into()))?;
    let data = data.ok_or_else(|| AudioError::Malformed("there is no data chunk".into()))?;
    let frames = data.len() / fmt.block_align;
    let samples = &data[..frames * fmt.block_align];
    Ok(AudioInfo {
        format: AudioFormat::Wav,
        duration_ms: ticks_to_ms(frames as u64, u64::from(fmt.sample_rate)),
        codec: Some(fmt.encoding.codec().to_owned()),
        sample_rate: Some(fmt.sample_rate),
        channels: Some(fmt.channels),
        level: Some(level(samples, fmt.encoding)),
    })
}

/// Peak and average level over every sample of every channel.
fn level(samples: &[u8], encoding: Encoding) -> AudioLevel {
    let (mut peak, mut squares, mut count) = (0.0f64, 0.0f64, 0u64);
    for raw in samples.chunks_exact(encoding.bytes_per_sample()) {
        let value = encoding.sample(raw);
        peak = peak.max(value.abs());
        squares += value * value;
        count += 1;
    }
    let mean_square = if count == 0 { 0.0 } else { squares / count as f64 };
    // 20·log10(√ms) = 10·log10(ms); log10(0) is -inf, the level of digital silence.
    AudioLevel { peak: peak as f32, rms_dbfs: (10.0 * mean_square.log10()) as f32 }
}

/// A mono 16-bit PCM WAV file of `samples` at `sample_rate` per second, with the usual 44-byte header.
pub fn write_wav(samples: &[i16], sample_rate: u32) -> Vec<u8> {
    let data_len = u32::try_from(samples.len() * 2).unwrap_or(u32::MAX - 36);
    let mut wav = Vec::with_capacity(44 + samples.len() * 2);
    wav.extend_from_slice(b"RIFF");
    wav.extend_from_slice(&(36 + data_len).to_le_bytes());
    wav.extend_from_slice(b"WAVEfmt ");
    wav.extend_from_slice(&16u32.to_le_bytes());
    wav.extend_from_slice(&TAG_PCM.to_le_bytes());
    wav.extend_from_slice(&1u16.to_le_bytes());
    wav.extend_from_slice(&sample_rate.to_le_bytes());
    wav.extend_from_slice(&(sample_rate * 2).to_le_bytes());
    wav.extend_from_slice(&2u16.to_le_bytes());
    wav.extend_from_slice(&16u16.to_le_bytes());
    wav.extend_from_slice(b"data");
    wav.extend_from_slice(&data_len.to_le_bytes());
    for sample in samples {
        wav.extend_from_slice(&sample.to_le_bytes());
    }
    wav
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A WAV with this `fmt ` body and these samples as its data.
    fn wav_with(fmt: &[u8], data: &[u8]) -> Vec<u8> {
        let mut wav = b"RIFF\0\0\0\0WAVE".to_vec();
        for (id, body) in [(b"fmt ", fmt), (b"data", data)] {
            wav.extend_from_slice(id);
            wav.extend_from_slice(&(body.len() as u32).to_le_bytes());
            wav.extend_from_slice(body);
        }
        let riff = (wav.len() - 8) as u32;
        wav[4..8].copy_from_slice(&riff.to_le_bytes());
        wav
    }

    fn fmt(tag: u16, channels: u16, rate: u32, bits: u16) -> Vec<u8> {
        let align = channels * bits / 8;
        let mut body = Vec::new();
        body.extend_from_slice(&tag.to_le_bytes());
        body.extend_from_slice(&channels.to_le_bytes());
        body.extend_from_slice(&rate.to_le_bytes());
        body.extend_from_slice(&(rate * u32::from(align)).to_le_bytes());
        body.extend_from_slice(&align.to_le_bytes());
        body.extend_from_slice(&bits.to_le_bytes());
        body
    }

    #[test]
    fn eight_bit_and_float_recordings_are_measured_and_levelled() {
        // 8-bit unsigned: 128 is silence, 0 and 255 are full scale. 1000 frames at 8 kHz = 125 ms.
        let data: Vec<u8> = (0..1000).map(|i| if i % 2 == 0 { 0 } else { 255 }).collect();
        let info = inspect(&wav_with(&fmt(TAG_PCM, 1, 8000, 8), &data)).unwrap();
        assert_eq!((info.duration_ms, info.codec.as_deref()), (125, Some("pcm_u8")));
        assert!(info.level.unwrap().peak >= 0.99);

        // Float stereo at half scale: 0.5 → -6 dBFS. 4410 frames at 44.1 kHz = 100 ms.
        let data: Vec<u8> = (0..4410 * 2).flat_map(|_| 0.5f32.to_le_bytes()).collect();
        let info = inspect(&wav_with(&fmt(TAG_FLOAT, 2, 44_100, 32), &data)).unwrap();
        assert_eq!((info.duration_ms, info.channels, info.codec.as_deref()), (100, Some(2), Some("pcm_f32le")));
        let level = info.level.unwrap();
        assert_eq!(level.peak, 0.5);
        assert!((level.rms_dbfs + 6.02).abs() < 0.01, "{level:?}");
    }

    #[test]
    fn extensible_headers_name_their_real_format() {
        let mut body = fmt(TAG_EXTENSIBLE, 1, 16_000, 16);
        body.extend_from_slice(&22u16.to_le_bytes()); // cbSize
        body.extend_from_slice(&16u16.to_le_bytes()); // valid bits
        body.extend_from_slice(&4u32.to_le_bytes()); // channel mask
        body.extend_from_slice(&TAG_PCM.to_le_bytes());
        body.extend_from_slice(&[0; 14]); // rest of the GUID
        let info = inspect(&wav_with(&body, &[0x10; 3200])).unwrap();
        assert_eq!((info.duration_ms, info.codec.as_deref()), (100, Some("pcm_s16le")));
    }

    #[test]
    fn compressed_or_inconsistent_formats_are_refused() {
        assert_eq!(inspect(&wav_with(&fmt(2, 1, 8000, 4), &[0; 100])), Err(AudioError::Unsupported));
        let mut bad_align = fmt(TAG_PCM, 2, 8000, 16);
        bad_align[12] = 3;
        assert!(
            matches!(inspect(&wav_with(&bad_align, &[0; 100])), Err(AudioError::Malformed(m)) if m.contains("align"))
        );
        assert!(matches!(inspect(&wav_with(&fmt(TAG_PCM, 0, 8000, 16), &[])), Err(AudioError::Malformed(_))));
    }

    #[test]
    fn written_files_have_the_canonical_header() {
        let wav = write_wav(&[0, i16::MAX, i16::MIN], 16_000);
        assert_eq!(wav.len(), 44 + 6);
        assert_eq!(&wav[..4], b"RIFF");
        assert_eq!(wav.u32_le(4), Some(42));
        assert_eq!(wav.u32_le(28), Some(32_000));
        assert_eq!(wav.u32_le(40), Some(6));
        let level = inspect(&wav).unwrap().level.unwrap();
        assert_eq!(level.peak, 1.0);
    }
}
