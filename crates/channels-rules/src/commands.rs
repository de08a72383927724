//! What a person can send instead of a question: stop or resume messages on
//! the channel they write from, or link the account with a code from the web
//! app. A command is the whole message, so "please stop reminding me about X"
//! is a question, not a stop.

use crate::link::LinkCode;

/// A command read from an inbound message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// No more messages on this channel until START.
    Stop,
    /// Messages on this channel again.
    Start,
    /// Link this messaging account to the person who was shown the code.
    Link(LinkCode),
}

/// Words that stop messages, as people and carriers commonly send them.
const STOP_WORDS: [&str; 8] = ["stop", "stopp", "unsubscribe", "cancel", "end", "quit", "arret", "arrêt"];
const START_WORDS: [&str; 3] = ["start", "unstop", "resume"];

/// The command `text` is, if it is one. Case, surrounding space and trailing punctuation do
/// not matter; Telegram's `/start CODE` (the bot's deep link) and `link CODE` link an account,
/// a bare `/start` is the bot's greeting and not a command.
pub fn parse_command(text: &str) -> Option<Command> {
    let text = text.trim().trim_end_matches(['.', '!']).trim();
    let lower = text.to_lowercase();
    let mut words = lower.split_whitespace();
    let first = words.next()?;
    let rest: Vec<&str> = words.collect();
    let first = first.strip_prefix('/').map_or(first, |command| command.split('@').next().unwrap_or(command));
    match (first, rest.as_slice()) {
        ("start" | "link", code) if !code.is_empty() => LinkCode::parse(&code.join("")).map(Command::Link),
        (word, []) if STOP_WORDS.contains(&word) => Some(Command::Stop),
        (word, []) if START_WORDS.contains(&word) && !text.starts_with('/') => Some(Command::Start),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_messages_stop_start_or_link() {
        for stop in ["STOP", " stop. ", "Unsubscribe", "/stop", "Arrêt"] {
            assert_eq!(parse_command(stop), Some(Command::Stop), "{stop}");
        }
        assert_eq!(parse_command("START"), Some(Command::Start));
        assert_eq!(parse_command("please stop reminding me about the quiz"), None);
        assert_eq!(parse_command("How do I stop procrastinating?"), None);
        assert_eq!(parse_command("/start"), None, "the bot's greeting");
        let code = LinkCode::parse("K7MP-Q2XW").unwrap();
        assert_eq!(parse_command("/start K7MPQ2XW"), Some(Command::Link(code.clone())));
        assert_eq!(parse_command("/start@WayfinderBot k7mp-q2xw"), Some(Command::Link(code.clone())));
        assert_eq!(parse_command("link K7MP Q2XW"), Some(Command::Link(code)));
        assert_eq!(parse_command("link NOT-ACODE"), None);
        assert_eq!(parse_command(""), None);
    }
}
