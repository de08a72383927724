/// Why a speech service gave no transcript or no audio.
///
/// `Display` is for logs and may hold the provider's words; `user_message` is for the end user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpeechError {
    /// Reading aloud was asked for, but no text-to-speech model is configured.
    #[error("text-to-speech is not set up: no speech model is configured")]
    NotConfigured,
    /// The client settings cannot work (empty model name, URL that is not http(s), zero timeout…).
    #[error("speech configuration: {0}")]
    InvalidConfig(String),
    /// The request was not sent because it cannot succeed (no audio, no text, text too long).
    #[error("speech request not sent: {0}")]
    InvalidInput(String),
    /// The provider refused the request with a 4xx other than 429 (bad key, unknown model,
    /// unreadable file…); not retried, since the same request would fail the same way.
    #[error("speech API refused the request with HTTP {status}: {message}")]
    Refused {
        /// The HTTP status.
        status: u16,
        /// The provider's error message.
        message: String,
    },
    /// The provider could not be reached, did not answer in time, or answered 429 or 5xx, on
    /// every attempt.
    #[error("speech API unavailable after {attempts} attempt(s){}: {message}", status.map(|s| format!(" (HTTP {s})")).unwrap_or_default())]
    Unavailable {
        /// How many requests were sent.
        attempts: u32,
        /// The last HTTP status, when the provider answered at all.
        status: Option<u16>,
        /// What went wrong last: the transport error or the provider's message.
        message: String,
    },
    /// The provider answered 2xx with something that is not a transcript or audio.
    #[error("speech API sent a malformed response: {0}")]
    BadResponse(String),
}

impl SpeechError {
    /// A stable code for API error bodies, logs and metrics, e.g. `speech_unavailable`.
    pub fn code(&self) -> &'static str {
        match self {
            SpeechError::NotConfigured => "speech_not_configured",
            SpeechError::InvalidConfig(_) => "speech_config",
            SpeechError::InvalidInput(_) => "speech_invalid_input",
            SpeechError::Refused { .. } => "speech_refused",
            SpeechError::Unavailable { .. } => "speech_unavailable",
            SpeechError::BadResponse(_) => "speech_bad_response",
        }
    }

    /// The HTTP status Wayfinder's own API should answer with: a feature not set up (501), the
    /// server's configuration (500), the request itself (422), or the provider (502/503).
    pub fn http_status(&self) -> u16 {
        match self {
            SpeechError::NotConfigured => 501,
            SpeechError::InvalidConfig(_) => 500,
            SpeechError::InvalidInput(_) => 422,
            SpeechError::Refused { .. } | SpeechError::BadResponse(_) => 502,
            SpeechError::Unavailable { .. } => 503,
        }
    }

    /// A friendly sentence for the end user, without internals.
    pub fn user_message(&self) -> String {
        let text = match self {
            SpeechError::NotConfigured => "Reading questions aloud is not available here.",
            SpeechError::InvalidConfig(_) | SpeechError::Refused { status: 401 | 403 | 404, .. } => {
                "The speech service is not set up correctly. Please let your administrator know."
            }
            SpeechError::InvalidInput(_) => "There was nothing to send to the speech service.",
            SpeechError::Refused { .. } => {
                "The speech service could not handle this recording. Please record your answer again, or type it."
            }
            SpeechError::Unavailable { .. } => {
                "The speech service can't be reached right now. Please try again in a few minutes, or type your answer."
            }
            SpeechError::BadResponse(_) => {
                "The speech service sent an answer that could not be read. Please try again."
            }
        };
        text.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_distinct_and_messages_name_the_status() {
        let errors = [
            SpeechError::NotConfigured,
            SpeechError::InvalidConfig("x".into()),
            SpeechError::InvalidInput("x".into()),
            SpeechError::Refused { status: 400, message: "bad file".into() },
            SpeechError::Unavailable { attempts: 3, status: Some(503), message: "busy".into() },
            SpeechError::BadResponse("x".into()),
        ];
        let mut codes: Vec<_> = errors.iter().map(SpeechError::code).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), errors.len());
        assert_eq!(errors[4].to_string(), "speech API unavailable after 3 attempt(s) (HTTP 503): busy");
        let refused = SpeechError::Unavailable { attempts: 1, status: None, message: "connection refused".into() };
        assert_eq!(refused.to_string(), "speech API unavailable after 1 attempt(s): connection refused");
    }
}
