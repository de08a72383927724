use std::time::Duration;

use wayfinder_speech::fake::{FAKE_SPEECH_MODEL, FAKE_TRANSCRIPTION_MODEL, FakeSpeech, SPEECH_MS_PER_CHAR};
use wayfinder_speech::{AudioFormat, AudioLimits, SpeechClient, SpeechConfig, SpeechError, inspect, write_wav};

use crate::containers::{mediarecorder_webm, ogg_opus, tone};

fn client(fake: &FakeSpeech, adjust: impl FnOnce(&mut SpeechConfig)) -> SpeechClient {
    let mut config = fake.config();
    adjust(&mut config);
    SpeechClient::new(config).expect("a valid configuration")
}

/// 1.5 s of a tone at 16 kHz.
fn recording() -> Vec<u8> {
    write_wav(&tone(16_000, 1500, 0.3), 16_000)
}

#[tokio::test]
async fn a_recording_is_sent_as_a_well_formed_file_and_its_transcript_returned() {
    let fake = FakeSpeech::start().await;
    fake.push_transcript("  I would ask my mentor sooner.  ");
    let speech = client(&fake, |_| {});

    let transcript = speech.transcribe(&recording(), AudioFormat::Wav, Some("en")).await.unwrap();

    assert_eq!(transcript.text, "I would ask my mentor sooner.");
    let seen = fake.requests();
    assert_eq!(seen.len(), 1);
    let seen = &seen[0];
    assert_eq!((seen.format, seen.duration_ms, seen.bytes), (AudioFormat::Wav, 1500, recording().len()));
    assert_eq!((seen.model.as_str(), seen.language.as_deref()), (FAKE_TRANSCRIPTION_MODEL, Some("en")));
    assert_eq!((seen.file_name.as_deref(), seen.content_type.as_deref()), (Some("audio.wav"), Some("audio/wav")));
    assert_eq!(seen.response_format.as_deref(), Some("json"));
}

#[tokio::test]
async fn browser_recordings_are_sent_under_their_own_format() {
    let fake = FakeSpeech::start().await;
    fake.set_default_transcript("Same answer.");
    let speech = client(&fake, |_| {});

    for (bytes, format, duration_ms) in
        [(mediarecorder_webm(460), AudioFormat::Webm, 1460), (ogg_opus(312, 312 + 96_000), AudioFormat::Ogg, 2000)]
    {
        let transcript = speech.transcribe(&bytes, format, None).await.unwrap();
        assert_eq!(transcript.text, "Same answer.");
        let seen = fake.requests().pop().unwrap();
        assert_eq!((seen.format, seen.duration_ms, seen.language), (format, duration_ms, None));
        assert_eq!(seen.content_type.as_deref(), Some(format.mime_type()));
    }
}

#[tokio::test]
async fn a_busy_service_is_retried() {
    let fake = FakeSpeech::start().await;
    fake.fail_next(503, "The model is warming up.");
    fake.push_transcript("Got it on the second try.");
    let speech = client(&fake, |_| {});

    let transcript = speech.transcribe(&recording(), AudioFormat::Wav, None).await.unwrap();

    assert_eq!(transcript.text, "Got it on the second try.");
    assert_eq!(fake.attempts(), 2);
    assert!(fake.requests().iter().all(|seen| seen.duration_ms == 1500), "both attempts sent the whole recording");
}

#[tokio::test]
async fn a_service_down_on_every_attempt_is_unavailable() {
    let fake = FakeSpeech::start().await;
    for _ in 0..3 {
        fake.fail_next(503, "overloaded");
    }
    fake.push_transcript("a fourth attempt would get this");
    let speech = client(&fake, |_| {});

    let error = speech.transcribe(&recording(), AudioFormat::Wav, None).await.unwrap_err();

    assert_eq!(error, SpeechError::Unavailable { attempts: 3, status: Some(503), message: "overloaded".into() });
    assert_eq!((error.code(), error.http_status()), ("speech_unavailable", 503));
    assert_eq!(fake.attempts(), 3);
}

#[tokio::test]
async fn a_refusal_is_surfaced_with_the_providers_message_and_not_retried() {
    let fake = FakeSpeech::start().await;
    fake.fail_next(400, "Audio file is too short. Minimum audio length is 0.1 seconds.");
    let speech = client(&fake, |_| {});

    let error = speech.transcribe(&recording(), AudioFormat::Wav, None).await.unwrap_err();

    assert_eq!(
        error,
        SpeechError::Refused {
            status: 400,
            message: "Audio file is too short. Minimum audio length is 0.1 seconds.".into()
        }
    );
    assert_eq!(error.code(), "speech_refused");
    assert_eq!(fake.attempts(), 1);
}

#[tokio::test]
async fn audio_sent_under_the_wrong_format_is_refused_by_the_service() {
    let fake = FakeSpeech::start().await;
    let speech = client(&fake, |_| {});

    let error = speech.transcribe(&recording(), AudioFormat::Webm, None).await.unwrap_err();
    assert!(
        matches!(&error, SpeechError::Refused { status: 400, message } if message.contains("named as webm")),
        "{error:?}"
    );

    let error = speech.transcribe(b"definitely not audio", AudioFormat::Wav, None).await.unwrap_err();
    assert!(
        matches!(&error, SpeechError::Refused { status: 400, message } if message.contains("not supported")),
        "{error:?}"
    );
    assert!(fake.requests().is_empty());
    assert_eq!(fake.attempts(), 2);
}

#[tokio::test]
async fn questions_are_read_aloud_as_a_wav_that_passes_inspection() {
    let fake = FakeSpeech::start().await;
    let speech = client(&fake, |c| c.voice = Some("nova".into()));
    let question = "What would you do differently?";

    let spoken = speech.speak(question).await.unwrap();

    assert_eq!(spoken.content_type, "audio/wav");
    let info = inspect(&spoken.bytes, &AudioLimits::default()).unwrap();
    assert_eq!(info.format, AudioFormat::Wav);
    assert_eq!(info.duration_ms, question.chars().count() as u64 * SPEECH_MS_PER_CHAR);
    assert_eq!(fake.spoken(), [question]);
    let seen = &fake.speech_requests()[0];
    assert_eq!((seen.model.as_str(), seen.voice.as_str()), (FAKE_SPEECH_MODEL, "nova"));
}

#[tokio::test]
async fn reading_aloud_without_a_speech_model_is_not_configured() {
    let fake = FakeSpeech::start().await;
    let speech = client(&fake, |c| c.speech_model = None);

    let error = speech.speak("Hello").await.unwrap_err();

    assert_eq!(error, SpeechError::NotConfigured);
    assert_eq!(error.code(), "speech_not_configured");
    assert!(!speech.can_speak());
    assert!(fake.spoken().is_empty());

    let with_model = client(&fake, |_| {});
    assert!(matches!(with_model.speak("   ").await, Err(SpeechError::InvalidInput(_))));
    assert!(matches!(with_model.speak(&"a".repeat(5000)).await, Err(SpeechError::InvalidInput(_))));
    assert!(fake.spoken().is_empty(), "nothing was sent");
}

#[tokio::test]
async fn the_api_key_is_sent_as_a_bearer_token() {
    let fake = FakeSpeech::start().await;
    fake.require_api_key("sk-speech");

    let error = client(&fake, |_| {}).transcribe(&recording(), AudioFormat::Wav, None).await.unwrap_err();
    assert!(matches!(error, SpeechError::Refused { status: 401, .. }), "{error:?}");

    let keyed = client(&fake, |c| c.api_key = Some("sk-speech".into()));
    assert!(keyed.transcribe(&recording(), AudioFormat::Wav, None).await.is_ok());
    assert!(keyed.speak("Hello").await.is_ok());
}

#[tokio::test]
async fn a_service_slower_than_the_timeout_is_unavailable() {
    let fake = FakeSpeech::start().await;
    fake.set_delay(Duration::from_secs(3));
    let speech = client(&fake, |c| {
        c.timeout = Duration::from_millis(200);
        c.max_retries = 1;
    });

    let error = speech.transcribe(&recording(), AudioFormat::Wav, None).await.unwrap_err();

    assert!(
        matches!(&error, SpeechError::Unavailable { attempts: 2, status: None, message } if message.contains("no answer")),
        "{error:?}"
    );
}

#[tokio::test]
async fn an_unreachable_service_is_unavailable() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let config = SpeechConfig {
        max_retries: 1,
        backoff: Duration::from_millis(1),
        ..SpeechConfig::new(format!("http://127.0.0.1:{port}/v1"), "whisper-1")
    };
    let error = SpeechClient::new(config).unwrap().transcribe(&recording(), AudioFormat::Wav, None).await.unwrap_err();
    assert!(matches!(error, SpeechError::Unavailable { attempts: 2, status: None, .. }), "{error:?}");
}
