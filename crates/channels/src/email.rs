//! E-mail: outbound through an SMTP relay (`lettre`: SMTPS, STARTTLS or a
//! local relay, with authentication), and replies that come back through an
//! inbound-mail service's webhook in the common JSON shape (Postmark's field
//! names: `FromFull`, `ToFull`, `Subject`, `TextBody`, `StrippedTextReply`,
//! `MessageID`). A reply finds its person by the address it was sent to —
//! `reply+TOKEN@` the reply domain, a token per person and organisation — and
//! is taken only from that person's own address.

use crate::{ChannelProvider, OutboundMessage, SendOutcome};
use chrono::{DateTime, Utc};
use lettre::message::{Mailbox, header::ContentType};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use serde::Deserialize;
use wayfinder_channels_rules::Channel;

/// Sends mail through the configured relay.
#[derive(Clone)]
pub struct EmailSender {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl EmailSender {
    /// A sender for `smtp_url` (`smtps://user:pass@host`, `smtp://…?tls=required` for STARTTLS,
    /// `smtp://host:port` for a local relay) writing as `from`.
    pub fn new(smtp_url: &str, from: &str) -> Result<EmailSender, String> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(smtp_url)
            .map_err(|e| format!("smtp_url: {e}"))?
            .timeout(Some(std::time::Duration::from_secs(30)))
            .build();
        let from: Mailbox = from.parse().map_err(|e| format!("email_from: {e}"))?;
        Ok(EmailSender { transport, from })
    }

    /// The domain of the sending address (message ids are made in it).
    fn domain(&self) -> &str {
        self.from.email.domain()
    }
}

#[async_trait::async_trait]
impl ChannelProvider for EmailSender {
    fn channel(&self) -> Channel {
        Channel::Email
    }

    /// A relay does not drop a repeated message: an interrupted attempt is not sent again.
    fn honours_idempotency_keys(&self) -> bool {
        false
    }

    async fn send(&self, message: &OutboundMessage) -> SendOutcome {
        let to: Mailbox = match message.destination.parse() {
            Ok(to) => to,
            Err(e) => return SendOutcome::Refused { error: format!("not an address: {e}") },
        };
        let id: String =
            message.idempotency_key.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '.' }).collect();
        let mut builder = lettre::Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(message.subject.clone().unwrap_or_else(|| "A message from your coach".into()))
            .message_id(Some(format!("<{id}@{}>", self.domain())))
            .header(ContentType::TEXT_PLAIN);
        if let Some(reply_to) = message.reply_to.as_deref().and_then(|r| r.parse::<Mailbox>().ok()) {
            builder = builder.reply_to(reply_to);
        }
        let email = match builder.body(message.text.clone()) {
            Ok(email) => email,
            Err(e) => return SendOutcome::Refused { error: format!("the message cannot be built: {e}") },
        };
        match self.transport.send(email).await {
            Ok(response) => SendOutcome::Sent { provider_message_id: response.message().next().map(str::to_string) },
            Err(e) if e.is_permanent() => SendOutcome::Refused { error: format!("the relay refused: {e}") },
            Err(e) => SendOutcome::Retry { error: format!("the relay failed: {e}"), retry_after: None },
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct InboundMail {
    from_full: Option<Address>,
    from: Option<String>,
    #[serde(default)]
    to_full: Vec<Address>,
    to: Option<String>,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    text_body: String,
    #[serde(default)]
    stripped_text_reply: String,
    #[serde(rename = "MessageID")]
    message_id: String,
    date: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Address {
    email: String,
}

/// A reply as the webhook delivered it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InboundEmail {
    pub from: String,
    pub to: Vec<String>,
    pub subject: String,
    /// The new text of the reply, without the quoted message.
    pub text: String,
    pub message_id: String,
    pub sent_at: DateTime<Utc>,
}

/// The address inside `Name <address>`, lower-cased.
fn address_of(text: &str) -> String {
    let inner = match (text.rfind('<'), text.rfind('>')) {
        (Some(start), Some(end)) if start < end => &text[start + 1..end],
        _ => text,
    };
    inner.trim().to_lowercase()
}

/// Reads an inbound-mail webhook body.
pub fn read_inbound(body: &[u8]) -> Result<InboundEmail, String> {
    let mail: InboundMail = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    let from = mail.from_full.map(|a| a.email).or(mail.from).map(|f| address_of(&f)).filter(|f| f.contains('@'));
    let from = from.ok_or("the message has no sender address")?;
    let mut to: Vec<String> = mail.to_full.into_iter().map(|a| address_of(&a.email)).collect();
    if to.is_empty() {
        to = mail.to.unwrap_or_default().split(',').map(address_of).filter(|a| a.contains('@')).collect();
    }
    let text = if mail.stripped_text_reply.trim().is_empty() {
        strip_quoted_reply(&mail.text_body)
    } else {
        mail.stripped_text_reply.trim().to_string()
    };
    if mail.message_id.trim().is_empty() {
        return Err("the message has no MessageID".into());
    }
    let sent_at = mail
        .date
        .as_deref()
        .and_then(|d| DateTime::parse_from_rfc2822(d).or_else(|_| DateTime::parse_from_rfc3339(d)).ok())
        .map_or_else(Utc::now, |d| d.with_timezone(&Utc));
    Ok(InboundEmail { from, to, subject: mail.subject, text, message_id: mail.message_id.trim().to_string(), sent_at })
}

/// The reply's own text: the lines before the quoted message (`On … wrote:` or `>` lines).
pub fn strip_quoted_reply(body: &str) -> String {
    let mut kept = Vec::new();
    for line in body.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('>') || (trimmed.starts_with("On ") && trimmed.ends_with("wrote:")) {
            break;
        }
        kept.push(line);
    }
    kept.join("\n").trim().to_string()
}

/// The token in a `reply+TOKEN@domain` address, when the domain is the reply domain.
pub fn reply_token<'a>(address: &'a str, reply_domain: &str) -> Option<&'a str> {
    let (local, domain) = address.rsplit_once('@')?;
    if !domain.eq_ignore_ascii_case(reply_domain) {
        return None;
    }
    local.strip_prefix("reply+").filter(|t| !t.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_are_read_without_the_quoted_message() {
        let body = br#"{"FromFull": {"Email": "Lena@North.Example", "Name": "Lena"}, "ToFull": [{"Email": "reply+abc123@reply.example.org"}],
            "Subject": "Re: Your coach", "TextBody": "Sunday works.\n\nOn Tue, 1 Dec 2026, Coach wrote:\n> Shall we plan?", "StrippedTextReply": "",
            "MessageID": "m-1", "Date": "Tue, 01 Dec 2026 10:00:00 +0000"}"#;
        let mail = read_inbound(body).unwrap();
        assert_eq!(mail.from, "lena@north.example");
        assert_eq!(mail.to, ["reply+abc123@reply.example.org"]);
        assert_eq!(mail.text, "Sunday works.");
        assert_eq!(mail.sent_at.to_rfc3339(), "2026-12-01T10:00:00+00:00");
        assert_eq!(reply_token(&mail.to[0], "reply.example.org"), Some("abc123"));
        assert_eq!(reply_token(&mail.to[0], "other.example"), None);
        assert!(read_inbound(br#"{"Subject": "x", "MessageID": "m"}"#).is_err());
    }
}
