//! Speaking in an interview. A WebSocket per interview carries one recording
//! at a time: binary frames are the browser recorder's chunks, `{"type":"end"}`
//! closes the recording, which is checked (container, length, size, silence)
//! and sent to the speech-to-text endpoint; the transcript comes back for the
//! learner to confirm, and is then sent as a typed answer would be. Audio is
//! held in memory only while it is transcribed, unless the organisation keeps
//! interview audio: then each transcribed recording is stored with its
//! interview and listed under `…/recordings`. The interviewer's question
//! can be read aloud by the text-to-speech endpoint. A dropped socket is
//! simply opened again: the interview lives on the server.

use crate::{
    auth::Principal,
    error::{ApiError, ApiResult, ErrorCode},
    json::PathIds,
    live::same_origin,
    routes::interviews::{own_interview, readable},
    state::AppState,
};
use axum::{
    body::Body,
    extract::{
        State, WebSocketUpgrade,
        ws::{Message as Frame, WebSocket},
    },
    http::{HeaderMap, HeaderValue, header},
    response::{IntoResponse, Response},
};
use serde::Deserialize;
use serde_json::json;
use std::time::Instant;
use wayfinder_accounts_rules::OrgId;
use wayfinder_interviews::{InterviewRecording, SpokenAnswer};
use wayfinder_interviews_rules::{InterviewId, InterviewRecordingId};
use wayfinder_speech::{AudioLimits, SpeechClient, inspect};
use wayfinder_store::InterviewStatus;

/// What a client sends as text.
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
enum VoiceFrame {
    /// The recording sent so far is complete: transcribe it.
    End,
    /// Forget the recording sent so far.
    Cancel,
}

/// `GET /api/v1/orgs/{org_id}/interviews/{interview_id}/voice`: upgrades to the interview's voice
/// socket (the interview's learner only). Like `/api/v1/live`, a WebSocket is described here and in
/// ARCHITECTURE, not in the OpenAPI document.
pub async fn interview_voice(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    PathIds((org_id, id)): PathIds<(OrgId, InterviewId)>,
    upgrade: WebSocketUpgrade,
) -> ApiResult<Response> {
    same_origin(&state, &headers)?;
    own_interview(&state, &principal, org_id, id).await?;
    let limits = AudioLimits::default();
    Ok(upgrade
        .max_message_size(limits.max_bytes)
        .on_upgrade(move |socket| voice(state, org_id, id, limits, socket))
        .into_response())
}

async fn send(socket: &mut WebSocket, value: serde_json::Value) -> bool {
    socket.send(Frame::Text(value.to_string().into())).await.is_ok()
}

fn error_frame(code: &str, message: impl Into<String>) -> serde_json::Value {
    json!({ "type": "error", "code": code, "message": message.into() })
}

/// One socket: recordings in, transcripts (or the reason there is none) out, in order.
async fn voice(state: AppState, org: OrgId, id: InterviewId, limits: AudioLimits, mut socket: WebSocket) {
    let speech = state.speech.clone();
    let ready = json!({
        "type": "ready",
        "transcription": speech.is_some(),
        "speech": speech.as_ref().is_some_and(|s| s.can_speak()),
        "max_seconds": limits.max_duration_ms / 1000,
        "max_bytes": limits.max_bytes,
    });
    if !send(&mut socket, ready).await {
        return;
    }
    let mut recording: Vec<u8> = Vec::new();
    let mut too_large = false;
    while let Some(Ok(frame)) = socket.recv().await {
        let reply = match frame {
            Frame::Binary(chunk) => {
                if recording.len() + chunk.len() > limits.max_bytes {
                    // Said once; the rest of this recording is dropped until its end.
                    let first = !too_large;
                    too_large = true;
                    recording = Vec::new();
                    first.then(|| {
                        let message = format!("a recording is at most {} MB", limits.max_bytes / (1024 * 1024));
                        error_frame("audio_too_large", message)
                    })
                } else {
                    if !too_large {
                        recording.extend_from_slice(&chunk);
                    }
                    None
                }
            }
            Frame::Text(text) => match serde_json::from_str::<VoiceFrame>(&text) {
                Ok(VoiceFrame::Cancel) => {
                    (recording, too_large) = (Vec::new(), false);
                    None
                }
                Ok(VoiceFrame::End) => {
                    let audio = std::mem::take(&mut recording);
                    if std::mem::take(&mut too_large) {
                        None
                    } else {
                        Some(transcribe(&state, speech.as_ref(), org, id, &audio, &limits).await)
                    }
                }
                Err(e) => Some(error_frame("invalid_frame", format!("not a voice frame: {e}"))),
            },
            Frame::Close(_) => break,
            Frame::Ping(_) | Frame::Pong(_) => None,
        };
        if let Some(reply) = reply
            && !send(&mut socket, reply).await
        {
            break;
        }
    }
}

/// A recording's transcript, or why there is none.
async fn transcribe(
    state: &AppState,
    speech: Option<&std::sync::Arc<SpeechClient>>,
    org: OrgId,
    id: InterviewId,
    audio: &[u8],
    limits: &AudioLimits,
) -> serde_json::Value {
    let Some(speech) = speech else {
        return error_frame(
            "speech_not_configured",
            "speaking needs a speech-to-text service; type your answer instead",
        );
    };
    match state.store.interview(org, id).await.map(|r| r.place.status) {
        Ok(InterviewStatus::Active) => {}
        Ok(InterviewStatus::Paused) => return error_frame("conflict", "the interview is paused: resume it first"),
        Ok(InterviewStatus::Completed) => return error_frame("conflict", "the interview has ended"),
        Err(_) => return error_frame("not_found", "the interview is gone"),
    }
    let info = match inspect(audio, limits) {
        Ok(info) => info,
        Err(e) => return error_frame(e.code(), e.user_message()),
    };
    let started = Instant::now();
    match speech.transcribe(audio, info.format, None).await {
        Ok(transcript) if transcript.text.trim().is_empty() => {
            error_frame("nothing_heard", "no words were heard in that recording; try again closer to the microphone")
        }
        Ok(transcript) => {
            metrics::histogram!("wayfinder_transcription_seconds").record(started.elapsed().as_secs_f64());
            let spoken = SpokenAnswer {
                content_type: info.format.mime_type(),
                duration_ms: info.duration_ms,
                transcript: &transcript.text,
                audio,
            };
            let kept = match state.interviews.keep_recording(org, id, spoken).await {
                Ok(kept) => kept,
                Err(e) => {
                    tracing::error!(error = %e, "a recording the organisation keeps was not stored");
                    return error_frame("internal", "the recording could not be kept; try again");
                }
            };
            json!({ "type": "transcript", "text": transcript.text, "duration_ms": info.duration_ms,
                "recording_id": kept.map(|k| k.to_string()) })
        }
        Err(e) => {
            tracing::warn!(error = %e, "transcription failed");
            error_frame(e.code(), e.user_message())
        }
    }
}

/// The interviewer's current question read aloud (`audio/wav`), when the speech endpoint can speak
/// (409 `speech_not_configured` otherwise: the browser's own voice reads it).
#[utoipa::path(get, path = "/orgs/{org_id}/interviews/{interview_id}/question-audio", tag = "interviews",
    params(("org_id" = OrgId, Path), ("interview_id" = String, Path)),
    responses((status = 200, content_type = "audio/wav", description = "The question, spoken"),
        (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
        (status = 409, body = crate::error::ErrorBody), (status = 502, body = crate::error::ErrorBody)))]
pub async fn question_audio(
    State(state): State<AppState>,
    principal: Principal,
    PathIds((org_id, id)): PathIds<(OrgId, InterviewId)>,
) -> ApiResult<Response> {
    own_interview(&state, &principal, org_id, id).await?;
    let speech = state.speech.as_ref().filter(|s| s.can_speak()).ok_or_else(|| {
        ApiError::new(ErrorCode::SpeechNotConfigured, "no speech endpoint reads questions aloud here")
    })?;
    let question =
        state.interviews.interview(org_id, id).await?.question.ok_or_else(|| {
            ApiError::new(ErrorCode::Conflict, "the interview has ended: there is no question to read")
        })?;
    let spoken = speech.speak(&question).await.map_err(|e| {
        tracing::warn!(error = %e, "reading a question aloud failed");
        ApiError::new(ErrorCode::SpeechFailed, e.user_message())
    })?;
    let content_type = HeaderValue::from_str(&spoken.content_type).unwrap_or(HeaderValue::from_static("audio/wav"));
    Ok(([(header::CONTENT_TYPE, content_type)], Body::from(spoken.bytes)).into_response())
}

/// The recordings of an interview's spoken answers, oldest first — kept only while the
/// organisation keeps interview audio (see the retention policy); empty otherwise.
#[utoipa::path(get, path = "/orgs/{org_id}/interviews/{interview_id}/recordings", tag = "interviews",
    params(("org_id" = OrgId, Path), ("interview_id" = String, Path)),
    responses((status = 200, body = Vec<InterviewRecording>), (status = 404, body = crate::error::ErrorBody)))]
pub async fn list_recordings(
    State(state): State<AppState>,
    principal: Principal,
    PathIds((org_id, id)): PathIds<(OrgId, InterviewId)>,
) -> ApiResult<axum::Json<Vec<InterviewRecording>>> {
    readable(&state, &principal, org_id, id).await?;
    Ok(axum::Json(state.interviews.recordings(org_id, id).await?))
}

/// One kept recording's audio, in the format it was recorded in.
#[utoipa::path(get, path = "/orgs/{org_id}/interviews/{interview_id}/recordings/{recording_id}/audio",
    tag = "interviews",
    params(("org_id" = OrgId, Path), ("interview_id" = String, Path), ("recording_id" = String, Path)),
    responses((status = 200, content_type = "audio/webm", description = "The recording, as recorded"),
        (status = 404, body = crate::error::ErrorBody)))]
pub async fn recording_audio(
    State(state): State<AppState>,
    principal: Principal,
    PathIds((org_id, id, recording)): PathIds<(OrgId, InterviewId, InterviewRecordingId)>,
) -> ApiResult<Response> {
    readable(&state, &principal, org_id, id).await?;
    let (content_type, audio) = state.interviews.recording_audio(org_id, id, recording).await.map_err(|e| match e {
        wayfinder_interviews::InterviewsError::NotFound => ApiError::not_found("recording"),
        other => other.into(),
    })?;
    let content_type =
        HeaderValue::from_str(&content_type).unwrap_or(HeaderValue::from_static("application/octet-stream"));
    Ok(([(header::CONTENT_TYPE, content_type)], Body::from(audio)).into_response())
}
