use wayfinder_speech::{AudioError, AudioFormat, AudioLimits, inspect};

use crate::containers::*;

#[test]
fn a_mediarecorder_file_lasts_until_its_last_block() {
    // Unknown-size Segment and Clusters, no Duration: the last block starts at 1000 + 460 ms.
    let webm = mediarecorder_webm(460);
    let info = inspect(&webm, &AudioLimits::default()).unwrap();
    assert_eq!(info.format, AudioFormat::Webm);
    assert_eq!(info.duration_ms, 1460);
    assert_eq!(info.codec.as_deref(), Some("A_OPUS"));
    assert_eq!((info.sample_rate, info.channels), (Some(48_000), Some(1)));
    assert_eq!(info.level, None, "Opus is not decoded, so the level is unknown");
}

#[test]
fn a_stated_duration_is_scaled_by_the_timecode_scale() {
    // TimecodeScale 0.5 ms and Duration 4000 units: 2 s, whatever the blocks say.
    let segment = [info(500_000, Some(4000.0)), opus_tracks(), el(CLUSTER, &cluster_body(0, [0, 20, 40]))].concat();
    let webm = [ebml_header("webm"), el(SEGMENT, &segment)].concat();
    assert_eq!(inspect(&webm, &AudioLimits::default()).unwrap().duration_ms, 2000);
}

#[test]
fn block_timestamps_use_the_timecode_scale_too() {
    // TimecodeScale 0.1 ms: a cluster at 10 000 units (1 s) and a block 5 000 units after it.
    let segment = [
        info(100_000, None),
        opus_tracks(),
        el(CLUSTER, &cluster_body(0, [0, 2000])),
        el(CLUSTER, &cluster_body(10_000, [0, 5000])),
    ]
    .concat();
    let webm = [ebml_header("webm"), el(SEGMENT, &segment)].concat();
    assert_eq!(inspect(&webm, &AudioLimits::default()).unwrap().duration_ms, 1500);
}

#[test]
fn a_block_group_counts_its_block_duration() {
    // Known-size clusters; the last frame is in a BlockGroup starting at 900 ms and lasting 80 ms,
    // its BlockDuration written before its Block.
    let mut block = vec![0x81];
    block.extend_from_slice(&900i16.to_be_bytes());
    block.extend_from_slice(&[0x00, 0xFC, 0x01]);
    let group = el(BLOCK_GROUP, &[uint(BLOCK_DURATION, 80), el1(BLOCK, &block)].concat());
    let cluster = [cluster_body(0, [0, 20, 40]), group].concat();
    let segment = [info(1_000_000, None), opus_tracks(), el(CLUSTER, &cluster)].concat();
    let webm = [ebml_header("webm"), el(SEGMENT, &segment)].concat();
    assert_eq!(inspect(&webm, &AudioLimits::default()).unwrap().duration_ms, 980);
}

#[test]
fn limits_apply_to_the_measured_length() {
    let long = mediarecorder_webm(980);
    let limits = AudioLimits { max_duration_ms: 1500, ..AudioLimits::default() };
    assert_eq!(inspect(&long, &limits), Err(AudioError::TooLong { duration_ms: 1980, max_ms: 1500 }));

    let blip = [ebml_header("webm"), unknown_size(SEGMENT), unknown_size(CLUSTER), cluster_body(0, [0, 20])].concat();
    assert_eq!(inspect(&blip, &AudioLimits::default()), Err(AudioError::TooShort { duration_ms: 20, min_ms: 300 }));
}

#[test]
fn truncated_or_corrupt_files_are_malformed() {
    let whole = mediarecorder_webm(460);
    // Cut inside the last SimpleBlock, inside the Tracks, and inside the EBML header.
    for cut in [whole.len() - 3, ebml_header("webm").len() + 12 + info(1_000_000, None).len() + 10, 20] {
        let error = inspect(&whole[..cut], &AudioLimits::default()).unwrap_err();
        assert_eq!(error.code(), "audio_malformed", "cut at {cut}: {error:?}");
    }
    let error = inspect(&whole[..whole.len() - 3], &AudioLimits::default()).unwrap_err();
    assert!(error.to_string().contains("truncated"), "{error}");

    // An element header byte with no length marker.
    let mut bad_vint = whole.clone();
    let cluster_at = whole.windows(4).rposition(|w| w == [0x1F, 0x43, 0xB6, 0x75]).unwrap();
    bad_vint[cluster_at + 4] = 0x00;
    assert!(matches!(inspect(&bad_vint, &AudioLimits::default()), Err(AudioError::Malformed(m)) if m.contains("0x00")));

    // A known-size Segment longer than the file.
    let segment = [info(1_000_000, None), opus_tracks(), el(CLUSTER, &cluster_body(0, [0, 500]))].concat();
    let mut webm = [ebml_header("webm"), el(SEGMENT, &segment)].concat();
    webm.truncate(webm.len() - 1);
    assert_eq!(inspect(&webm, &AudioLimits::default()).unwrap_err().code(), "audio_malformed");

    // Only the EBML header: no Segment.
    let error = inspect(&ebml_header("webm"), &AudioLimits::default()).unwrap_err();
    assert_eq!(error, AudioError::Malformed("there is no Segment after the EBML header".into()));

    // Unknown size on an element that may not have one.
    let bad = [ebml_header("webm"), unknown_size(SEGMENT), unknown_size(TRACKS)].concat();
    assert_eq!(inspect(&bad, &AudioLimits::default()).unwrap_err().code(), "audio_malformed");
}

#[test]
fn other_ebml_documents_are_unsupported() {
    let mkv =
        [ebml_header("matroska"), unknown_size(SEGMENT), unknown_size(CLUSTER), cluster_body(0, [0, 900])].concat();
    assert_eq!(inspect(&mkv, &AudioLimits::default()), Err(AudioError::Unsupported));
}
