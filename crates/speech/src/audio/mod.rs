//! Checking a recording before it is sent anywhere: which container it is (read from its first
//! bytes, never from the name or MIME type a client gave), how long it lasts, and whether it is
//! within the limits. Pure: no I/O, no decoding of compressed audio.

mod ogg;
mod wav;
mod webm;

pub use wav::write_wav;

/// Quietest average (RMS) level, in dB relative to full scale, of a WAV recording that is not
/// taken for silence: a muted or unplugged microphone records far below it, speech far above.
pub const SILENCE_DBFS: f32 = -50.0;

wayfinder_accounts_rules::closed_set! {
    /// A kind of audio file Wayfinder accepts.
    pub enum AudioFormat {
        /// RIFF/WAVE with PCM samples, as sent by clients that record raw audio.
        Wav,
        /// WebM (Matroska), as Chromium's MediaRecorder writes it (usually with Opus).
        Webm,
        /// Ogg, as Firefox's MediaRecorder writes it (Opus), or with Vorbis.
        Ogg,
    }
}

impl AudioFormat {
    /// The MIME type to send the file with, e.g. `audio/webm`.
    pub fn mime_type(self) -> &'static str {
        match self {
            AudioFormat::Wav => "audio/wav",
            AudioFormat::Webm => "audio/webm",
            AudioFormat::Ogg => "audio/ogg",
        }
    }

    /// The file extension (without the dot) speech services look at, e.g. `webm`.
    pub fn extension(self) -> &'static str {
        match self {
            AudioFormat::Wav => "wav",
            AudioFormat::Webm => "webm",
            AudioFormat::Ogg => "ogg",
        }
    }

    /// The format whose extension this is (case-insensitive), e.g. from a file name.
    pub fn from_extension(extension: &str) -> Option<Self> {
        [AudioFormat::Wav, AudioFormat::Webm, AudioFormat::Ogg]
            .into_iter()
            .find(|format| format.extension().eq_ignore_ascii_case(extension))
    }
}

/// What a recording may be: its size and length, and how quiet a WAV may be.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AudioLimits {
    /// Largest file accepted, in bytes.
    pub max_bytes: usize,
    /// Longest recording accepted, in milliseconds.
    pub max_duration_ms: u64,
    /// Shortest recording accepted, in milliseconds: anything shorter is a slip of the button.
    pub min_duration_ms: u64,
    /// A WAV whose average level is below this (dBFS) is refused as silent; `None` accepts any.
    pub silence_dbfs: Option<f32>,
}

impl Default for AudioLimits {
    /// 10 MiB, at most 120 s, at least 300 ms, silence below [`SILENCE_DBFS`].
    fn default() -> Self {
        AudioLimits {
            max_bytes: 10 * 1024 * 1024,
            max_duration_ms: 120_000,
            min_duration_ms: 300,
            silence_dbfs: Some(SILENCE_DBFS),
        }
    }
}

impl AudioLimits {
    /// Limits that accept any well-formed recording (up to 1 GiB and 24 hours, silent or not).
    pub fn lenient() -> Self {
        AudioLimits { max_bytes: 1 << 30, max_duration_ms: 24 * 3_600_000, min_duration_ms: 0, silence_dbfs: None }
    }
}

/// How loud a WAV recording is.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AudioLevel {
    /// The loudest sample, from 0.0 (silence) to 1.0 (full scale).
    pub peak: f32,
    /// The average (root mean square) level in dB relative to full scale: 0 at most, `-inf` for
    /// digital silence. Speech is typically between -30 and -10.
    pub rms_dbfs: f32,
}

/// What a recording turned out to be.
#[derive(Clone, Debug, PartialEq)]
pub struct AudioInfo {
    /// The container, as recognised from the bytes.
    pub format: AudioFormat,
    /// How long it plays, in milliseconds.
    pub duration_ms: u64,
    /// The codec as the container names it: `pcm_s16le`, `pcm_f32le`… for WAV, the track's
    /// CodecID (e.g. `A_OPUS`) for WebM, `opus` or `vorbis` for Ogg; `None` when not stated.
    pub codec: Option<String>,
    /// Samples per second, when the container says.
    pub sample_rate: Option<u32>,
    /// Number of channels, when the container says.
    pub channels: Option<u16>,
    /// The level, for WAV only: judging WebM or Ogg would mean decoding Opus or Vorbis.
    pub level: Option<AudioLevel>,
}

/// Why a recording is refused.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum AudioError {
    /// No bytes at all.
    #[error("the recording is empty")]
    Empty,
    /// Not WAV, WebM or Ogg (or one of them with a codec that is not supported).
    #[error("the recording is not in a supported format (WAV, WebM or Ogg)")]
    Unsupported,
    /// Truncated or corrupt; the text says where.
    #[error("the recording is damaged: {0}")]
    Malformed(String),
    /// Over the size limit.
    #[error("the recording is {bytes} bytes, more than the {max} allowed")]
    TooLarge {
        /// The recording's size.
        bytes: usize,
        /// The limit.
        max: usize,
    },
    /// Over the length limit.
    #[error("the recording lasts {duration_ms} ms, longer than the {max_ms} ms allowed")]
    TooLong {
        /// The recording's length.
        duration_ms: u64,
        /// The limit.
        max_ms: u64,
    },
    /// Under the minimum length.
    #[error("the recording lasts {duration_ms} ms, shorter than the {min_ms} ms needed")]
    TooShort {
        /// The recording's length.
        duration_ms: u64,
        /// The limit.
        min_ms: u64,
    },
    /// Nothing audible was recorded (WAV only).
    #[error("the recording is silent (average level {rms_dbfs:.1} dBFS)")]
    Silent {
        /// The measured average level.
        rms_dbfs: f32,
    },
}

impl AudioError {
    /// A stable code for API error bodies and logs, e.g. `audio_too_long`.
    pub fn code(&self) -> &'static str {
        match self {
            AudioError::Empty => "audio_empty",
            AudioError::Unsupported => "audio_unsupported",
            AudioError::Malformed(_) => "audio_malformed",
            AudioError::TooLarge { .. } => "audio_too_large",
            AudioError::TooLong { .. } => "audio_too_long",
            AudioError::TooShort { .. } => "audio_too_short",
            AudioError::Silent { .. } => "audio_silent",
        }
    }

    /// The HTTP status Wayfinder's API should answer with: the fault lies with the upload.
    pub fn http_status(&self) -> u16 {
        match self {
            AudioError::TooLarge { .. } => 413,
            AudioError::Unsupported => 415,
            _ => 422,
        }
    }

    /// A sentence for the person who recorded, saying what to do.
    pub fn user_message(&self) -> String {
        match self {
            AudioError::Empty | AudioError::Malformed(_) => {
                "The recording could not be read. Please record your answer again.".to_owned()
            }
            AudioError::Unsupported => {
                "This kind of audio file is not supported. Please use WAV, WebM or Ogg.".to_owned()
            }
            AudioError::TooLarge { max, .. } => {
                format!("The recording is too large (at most {} MB). Please keep your answer shorter.", max / 1_000_000)
            }
            AudioError::TooLong { max_ms, .. } => {
                format!(
                    "The recording is too long (at most {} seconds). Please keep your answer shorter.",
                    max_ms / 1000
                )
            }
            AudioError::TooShort { .. } => "The recording is too short. Hold the button while you speak.".to_owned(),
            AudioError::Silent { .. } => {
                "Nothing could be heard in the recording. Please check your microphone and try again.".to_owned()
            }
        }
    }
}

/// Recognises a recording from its bytes, measures it and checks it against `limits`.
///
/// WAV is measured exactly (data length over byte rate) and its level is checked, so a silent
/// recording is refused as [`AudioError::Silent`]. WebM and Ogg carry Opus or Vorbis, which is
/// not decoded here: their length comes from the container's timestamps and their silence
/// cannot be judged — an empty transcript is then the caller's sign that nothing was said.
pub fn inspect(bytes: &[u8], limits: &AudioLimits) -> Result<AudioInfo, AudioError> {
    if bytes.is_empty() {
        return Err(AudioError::Empty);
    }
    if bytes.len() > limits.max_bytes {
        return Err(AudioError::TooLarge { bytes: bytes.len(), max: limits.max_bytes });
    }
    let info = match sniff(bytes)? {
        AudioFormat::Wav => wav::inspect(bytes)?,
        AudioFormat::Webm => webm::inspect(bytes)?,
        AudioFormat::Ogg => ogg::inspect(bytes)?,
    };
    if info.duration_ms > limits.max_duration_ms {
        return Err(AudioError::TooLong { duration_ms: info.duration_ms, max_ms: limits.max_duration_ms });
    }
    if info.duration_ms < limits.min_duration_ms {
        return Err(AudioError::TooShort { duration_ms: info.duration_ms, min_ms: limits.min_duration_ms });
    }
    if let (Some(level), Some(threshold)) = (info.level, limits.silence_dbfs)
        && level.rms_dbfs < threshold
    {
        return Err(AudioError::Silent { rms_dbfs: level.rms_dbfs });
    }
    Ok(info)
}

/// The container, from its magic bytes; WebM's DocType is checked when its header is read.
fn sniff(bytes: &[u8]) -> Result<AudioFormat, AudioError> {
    if bytes.starts_with(b"RIFF") {
        return match bytes.get(8..12) {
            Some(b"WAVE") => Ok(AudioFormat::Wav),
            Some(_) => Err(AudioError::Unsupported),
            None => Err(AudioError::Malformed("the RIFF header is cut short".into())),
        };
    }
    if bytes.starts_with(&webm::EBML_MAGIC) {
        return Ok(AudioFormat::Webm);
    }
    if bytes.starts_with(b"OggS") {
        return Ok(AudioFormat::Ogg);
    }
    Err(AudioError::Unsupported)
}

/// Reads little- and big-endian integers at an offset, `None` past the end.
pub(crate) trait ReadAt {
    fn u16_le(&self, at: usize) -> Option<u16>;
    fn u32_le(&self, at: usize) -> Option<u32>;
    fn u64_le(&self, at: usize) -> Option<u64>;
}

impl ReadAt for [u8] {
    fn u16_le(&self, at: usize) -> Option<u16> {
        Some(u16::from_le_bytes(self.get(at..at.checked_add(2)?)?.try_into().ok()?))
    }

    fn u32_le(&self, at: usize) -> Option<u32> {
        Some(u32::from_le_bytes(self.get(at..at.checked_add(4)?)?.try_into().ok()?))
    }

    fn u64_le(&self, at: usize) -> Option<u64> {
        Some(u64::from_le_bytes(self.get(at..at.checked_add(8)?)?.try_into().ok()?))
    }
}

/// `count` ticks of `rate` per second, in whole milliseconds (rounded down).
pub(crate) fn ticks_to_ms(count: u64, rate: u64) -> u64 {
    if rate == 0 { 0 } else { (u128::from(count) * 1000 / u128::from(rate)).try_into().unwrap_or(u64::MAX) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_travel_by_name_and_carry_their_mime_type_and_extension() {
        assert_eq!(AudioFormat::Webm.to_string(), "webm");
        assert_eq!("ogg".parse::<AudioFormat>().unwrap(), AudioFormat::Ogg);
        assert_eq!(AudioFormat::Wav.mime_type(), "audio/wav");
        assert_eq!(AudioFormat::from_extension("WEBM"), Some(AudioFormat::Webm));
        assert_eq!(AudioFormat::from_extension("mp3"), None);
    }

    #[test]
    fn every_error_has_its_own_code() {
        let errors = [
            AudioError::Empty,
            AudioError::Unsupported,
            AudioError::Malformed("x".into()),
            AudioError::TooLarge { bytes: 2, max: 1 },
            AudioError::TooLong { duration_ms: 2, max_ms: 1 },
            AudioError::TooShort { duration_ms: 1, min_ms: 2 },
            AudioError::Silent { rms_dbfs: f32::NEG_INFINITY },
        ];
        let mut codes: Vec<_> = errors.iter().map(AudioError::code).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), errors.len());
        assert!(codes.iter().all(|code| code.starts_with("audio_")));
        assert!(errors.iter().all(|e| !e.user_message().is_empty()));
    }

    #[test]
    fn sizes_are_checked_before_anything_is_parsed() {
        let limits = AudioLimits { max_bytes: 4, ..AudioLimits::default() };
        assert_eq!(inspect(&[0; 5], &limits), Err(AudioError::TooLarge { bytes: 5, max: 4 }));
        assert_eq!(inspect(&[], &limits), Err(AudioError::Empty));
        assert_eq!(inspect(b"RIFF", &AudioLimits::default()).unwrap_err().code(), "audio_malformed");
        assert_eq!(inspect(b"RIFF\0\0\0\0AVI LIST", &AudioLimits::default()), Err(AudioError::Unsupported));
    }

    #[test]
    fn ticks_become_milliseconds_without_overflow() {
        assert_eq!(ticks_to_ms(48_000, 48_000), 1000);
        assert_eq!(ticks_to_ms(u64::MAX, 1), u64::MAX);
        assert_eq!(ticks_to_ms(5, 0), 0);
    }
}
