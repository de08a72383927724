use std::process::Command;

use wayfinder_speech::{AudioError, AudioFormat, AudioLimits, inspect, write_wav};

use crate::containers::{fmt_pcm16, pcm_bytes, riff, tone};

const ESPEAK: &str = "/usr/bin/espeak-ng";
const SENTENCE: &str = "I would ask my mentor for feedback after every project.";

/// A real speech recording from espeak-ng (the test command's requirements include it).
fn espeak(args: &[&str]) -> std::process::Output {
    assert!(std::path::Path::new(ESPEAK).exists(), "{ESPEAK} is missing: apt-get install espeak-ng");
    let output = Command::new(ESPEAK).args(args).output().expect("run espeak-ng");
    assert!(output.status.success(), "espeak-ng failed: {}", String::from_utf8_lossy(&output.stderr));
    output
}

fn le32(bytes: &[u8], at: usize) -> u64 {
    u64::from(u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap()))
}

#[test]
fn a_spoken_recording_lasts_what_its_header_says() {
    let path = std::env::temp_dir().join(format!("wayfinder-speech-{}.wav", std::process::id()));
    espeak(&["-w", path.to_str().unwrap(), SENTENCE]);
    let bytes = std::fs::read(&path).unwrap();
    let _ = std::fs::remove_file(&path);

    // espeak-ng writes the canonical 44-byte header: fmt at 12, data at 36.
    assert_eq!((&bytes[12..16], &bytes[36..40]), (&b"fmt "[..], &b"data"[..]));
    let (byte_rate, data_len) = (le32(&bytes, 28), le32(&bytes, 40));
    assert_eq!(data_len, bytes.len() as u64 - 44);
    let expected_ms = data_len * 1000 / byte_rate;
    assert!(expected_ms > 1000, "a sentence lasts over a second, not {expected_ms} ms");

    let info = inspect(&bytes, &AudioLimits::default()).unwrap();
    assert_eq!(info.format, AudioFormat::Wav);
    assert_eq!(info.duration_ms, expected_ms);
    assert_eq!((info.codec.as_deref(), info.channels), (Some("pcm_s16le"), Some(1)));
    assert_eq!(u64::from(info.sample_rate.unwrap()) * 2, byte_rate);
    let level = info.level.unwrap();
    assert!(level.rms_dbfs > -40.0 && level.peak > 0.1, "speech is well above silence: {level:?}");
}

/// `--stdout` cannot seek back to fill in the sizes, so it writes placeholders: the data runs to the end.
#[test]
fn a_streamed_recording_with_placeholder_sizes_runs_to_the_end() {
    let output = espeak(&["--stdout", SENTENCE]);
    let bytes = output.stdout;
    assert!(le32(&bytes, 40) > bytes.len() as u64, "espeak-ng wrote a placeholder data size");
    let expected_ms = (bytes.len() as u64 - 44) * 1000 / le32(&bytes, 28);
    assert_eq!(inspect(&bytes, &AudioLimits::default()).unwrap().duration_ms, expected_ms);
}

#[test]
fn silent_and_near_silent_recordings_are_refused() {
    let silent = write_wav(&vec![0; 16_000], 16_000);
    let error = inspect(&silent, &AudioLimits::default()).unwrap_err();
    assert!(matches!(error, AudioError::Silent { rms_dbfs } if rms_dbfs == f32::NEG_INFINITY), "{error:?}");
    assert_eq!(error.code(), "audio_silent");

    // Hiss of ±3 (about -80 dBFS): a microphone that is on but hears nothing.
    let hiss: Vec<i16> = (0..16_000).map(|i| [3, -3, 1, -2][i % 4]).collect();
    assert!(matches!(inspect(&write_wav(&hiss, 16_000), &AudioLimits::default()), Err(AudioError::Silent { .. })));

    // A quiet voice (about -33 dBFS) is not silence.
    let quiet = write_wav(&tone(16_000, 1000, 0.03), 16_000);
    assert!(inspect(&quiet, &AudioLimits::default()).is_ok());

    let lenient = AudioLimits { silence_dbfs: None, ..AudioLimits::default() };
    assert_eq!(inspect(&silent, &lenient).unwrap().duration_ms, 1000);
}

#[test]
fn truncated_recordings_are_malformed() {
    let whole = write_wav(&tone(16_000, 1000, 0.5), 16_000);
    for cut in [whole.len() / 2, 44 + 1, 40, 20, 11] {
        let error = inspect(&whole[..cut], &AudioLimits::default()).unwrap_err();
        assert_eq!(error.code(), "audio_malformed", "cut at {cut}: {error:?}");
    }
    let error = inspect(&whole[..whole.len() / 2], &AudioLimits::default()).unwrap_err();
    assert!(error.to_string().contains("truncated"), "{error}");

    let no_fmt = riff(&[(b"data", &pcm_bytes(&tone(16_000, 500, 0.5)))]);
    assert_eq!(inspect(&no_fmt, &AudioLimits::default()), Err(AudioError::Malformed("there is no fmt chunk".into())));
}

#[test]
fn chunks_are_walked_in_any_order_with_their_padding() {
    // An odd-sized LIST chunk first (padded), data before fmt, an odd-sized chunk after, and junk
    // after the RIFF chunk itself. 0.75 s of stereo at 8 kHz.
    let stereo: Vec<i16> = tone(8000, 750, 0.4).into_iter().flat_map(|s| [s, s / 2]).collect();
    let mut wav = riff(&[
        (b"LIST", b"INFOISFT\x03\0\0\0ab\0"),
        (b"data", &pcm_bytes(&stereo)),
        (b"fmt ", &fmt_pcm16(2, 8000)),
        (b"cue ", b"odd"),
    ]);
    assert_eq!(wav.len() % 2, 0);
    wav.extend_from_slice(b"trailing junk");
    let info = inspect(&wav, &AudioLimits::default()).unwrap();
    assert_eq!((info.duration_ms, info.channels, info.sample_rate), (750, Some(2), Some(8000)));

    // Without the pad byte after the odd LIST chunk, the next chunk header is misread.
    let mut unpadded = riff(&[(b"LIST", b"abc"), (b"fmt ", &fmt_pcm16(1, 8000)), (b"data", &[1, 2, 3, 4])]);
    unpadded.remove(12 + 8 + 3);
    assert!(inspect(&unpadded, &AudioLimits::lenient()).is_err());
}

#[test]
fn anything_else_is_unsupported() {
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let noise: Vec<u8> = (0..4096)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect();
    for bytes in [&noise[..], b"ID3\x04\0\0\0\0\0\x21 an mp3", b"fLaC\0\0\0\x22", b"RIFF\x24\0\0\0AVI LIST\0\0\0\0"] {
        let error = inspect(bytes, &AudioLimits::default()).unwrap_err();
        assert_eq!(error, AudioError::Unsupported, "{:?}", &bytes[..8]);
        assert_eq!((error.code(), error.http_status()), ("audio_unsupported", 415));
    }
    assert_eq!(inspect(&[], &AudioLimits::default()).unwrap_err().code(), "audio_empty");
}

#[test]
fn limits_on_size_and_length_are_respected_at_their_edges() {
    let two_seconds = write_wav(&tone(16_000, 2000, 0.5), 16_000);
    let limits = AudioLimits { max_bytes: two_seconds.len(), max_duration_ms: 2000, ..AudioLimits::default() };
    assert_eq!(inspect(&two_seconds, &limits).unwrap().duration_ms, 2000);

    let smaller = AudioLimits { max_bytes: two_seconds.len() - 1, ..limits };
    let error = inspect(&two_seconds, &smaller).unwrap_err();
    assert_eq!(error, AudioError::TooLarge { bytes: two_seconds.len(), max: two_seconds.len() - 1 });
    assert_eq!(error.http_status(), 413);

    let shorter = AudioLimits { max_duration_ms: 1999, ..limits };
    assert_eq!(inspect(&two_seconds, &shorter), Err(AudioError::TooLong { duration_ms: 2000, max_ms: 1999 }));

    let blip = write_wav(&tone(16_000, 200, 0.5), 16_000);
    let error = inspect(&blip, &AudioLimits::default()).unwrap_err();
    assert_eq!(error, AudioError::TooShort { duration_ms: 200, min_ms: 300 });
    assert_eq!(error.code(), "audio_too_short");

    let defaults = AudioLimits::default();
    assert_eq!((defaults.max_bytes, defaults.max_duration_ms, defaults.min_duration_ms), (10 << 20, 120_000, 300));
}
