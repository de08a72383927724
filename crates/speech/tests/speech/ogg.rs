use wayfinder_speech::{AudioError, AudioFormat, AudioLimits, inspect};

use crate::containers::*;

#[test]
fn an_opus_file_lasts_its_final_granule_minus_the_pre_skip() {
    // 2.5 s at Opus's 48 kHz granule rate, after 312 samples of pre-skip.
    let ogg = ogg_opus(312, 312 + 120_000);
    let info = inspect(&ogg, &AudioLimits::default()).unwrap();
    assert_eq!(info.format, AudioFormat::Ogg);
    assert_eq!(info.duration_ms, 2500);
    assert_eq!((info.codec.as_deref(), info.channels, info.sample_rate), (Some("opus"), Some(1), Some(48_000)));
    assert_eq!(info.level, None);
}

#[test]
fn a_vorbis_file_counts_granules_at_its_own_sample_rate() {
    let mut ident = b"\x01vorbis".to_vec();
    ident.extend_from_slice(&0u32.to_le_bytes()); // version
    ident.push(2); // channels
    ident.extend_from_slice(&44_100u32.to_le_bytes());
    ident.extend_from_slice(&[0; 12]); // bitrates
    ident.extend_from_slice(&[0xB8, 0x01]); // block sizes, framing
    let mut ogg = ogg_page(BOS, 0, 7, 0, &[&ident]);
    ogg.extend(ogg_page(0, 44_100, 7, 1, &[&[0x55; 600]]));
    ogg.extend(ogg_page(EOS, 3 * 44_100, 7, 2, &[&[0x55; 100]]));
    let info = inspect(&ogg, &AudioLimits::default()).unwrap();
    assert_eq!((info.duration_ms, info.codec.as_deref(), info.channels), (3000, Some("vorbis"), Some(2)));
}

#[test]
fn pages_of_other_streams_and_pages_without_a_granule_do_not_count() {
    let mut ogg = ogg_opus(0, 48_000);
    // A continued page where no packet ends (granule -1), then another stream's late page.
    ogg.extend(ogg_page(0x01, u64::MAX, 0x5EED, 4, &[&[1; 10]]));
    ogg.extend(ogg_page(0, 48_000 * 60, 99, 0, &[&[2; 10]]));
    assert_eq!(inspect(&ogg, &AudioLimits::default()).unwrap().duration_ms, 1000);
}

#[test]
fn limits_apply_to_the_measured_length() {
    let short = ogg_opus(312, 312 + 9600);
    assert_eq!(inspect(&short, &AudioLimits::default()), Err(AudioError::TooShort { duration_ms: 200, min_ms: 300 }));
    let long = ogg_opus(312, 312 + 48_000 * 121);
    assert_eq!(inspect(&long, &AudioLimits::default()).unwrap_err().code(), "audio_too_long");
}

#[test]
fn corrupt_or_truncated_files_are_malformed() {
    let whole = ogg_opus(312, 312 + 120_000);
    let malformed = |bytes: &[u8]| match inspect(bytes, &AudioLimits::default()) {
        Err(AudioError::Malformed(message)) => message,
        other => panic!("expected Malformed, got {other:?}"),
    };

    assert!(malformed(&whole[..whole.len() - 10]).contains("truncated"));
    assert!(malformed(&whole[..whole.len() - 1]).contains("truncated"));
    assert!(malformed(&whole[..20]).contains("cut short"));

    let mut flipped = whole.clone();
    let last = flipped.len() - 5;
    flipped[last] ^= 0x40;
    assert!(malformed(&flipped).contains("checksum"));

    let mut version = whole.clone();
    version[4] = 1;
    assert!(malformed(&version).contains("version"));

    let mut junk = whole.clone();
    let second_page = ogg_page(BOS, 0, 0x5EED, 0, &[&opus_head(312)]).len();
    junk.splice(second_page..second_page, *b"junk");
    assert!(malformed(&junk).contains("does not start with OggS"));

    let not_first = ogg_page(0, 0, 1, 0, &[&opus_head(312)]);
    assert!(malformed(&not_first).contains("start of a stream"));
}

#[test]
fn other_codecs_in_ogg_are_unsupported() {
    let flac = ogg_page(BOS, 0, 1, 0, &[b"\x7fFLAC\x01\x00\x00\x01fLaC\0\0\0\x22"]);
    assert_eq!(inspect(&flac, &AudioLimits::default()), Err(AudioError::Unsupported));
}
