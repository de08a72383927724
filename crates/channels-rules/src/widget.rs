//! Website widgets: who may talk through one, and the origins it may be
//! embedded on (`scheme://host[:port]`, compared exactly).

wayfinder_accounts_rules::closed_set! {
/// Who a widget answers.
pub enum WidgetAudience {
    /// Anyone on the site, without signing in: answered from the coach's public collections
    /// only, within the widget's rate and daily budget.
    Visitors,
    /// Members of the organisation, signed in through a Wayfinder window: their own
    /// conversation, as everywhere.
    Members,
}
}

/// An origin as a browser sends it (`https://example.org`, `http://localhost:8080`), lower
/// case, without a path; `None` when `raw` is not one.
pub fn normalise_origin(raw: &str) -> Option<String> {
    let raw = raw.trim().trim_end_matches('/').to_ascii_lowercase();
    let (scheme, rest) = raw.split_once("://")?;
    if !matches!(scheme, "http" | "https") || rest.is_empty() {
        return None;
    }
    let (host, port) = match rest.rsplit_once(':') {
        Some((host, port)) if !host.ends_with(']') || rest.starts_with('[') => (host, Some(port)),
        _ => (rest, None),
    };
    let host_ok =
        !host.is_empty() && host.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '[' | ']' | ':'));
    let port_ok = port.is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.chars().all(|c| c.is_ascii_digit()));
    (host_ok && port_ok).then_some(raw)
}

/// Whether `origin` (as sent by a browser) is one of `allowed`.
pub fn origin_allowed(allowed: &[String], origin: &str) -> bool {
    normalise_origin(origin).is_some_and(|o| allowed.contains(&o))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_normalised_and_compared_exactly() {
        assert_eq!(normalise_origin("https://Example.org/").as_deref(), Some("https://example.org"));
        assert_eq!(normalise_origin("http://127.0.0.1:8080").as_deref(), Some("http://127.0.0.1:8080"));
        for bad in ["example.org", "ftp://example.org", "https://", "https://a b.org", "https://x.org:99999x", "*"] {
            assert_eq!(normalise_origin(bad), None, "{bad}");
        }
        let allowed = vec!["https://school.example".to_string(), "http://localhost:3000".to_string()];
        assert!(origin_allowed(&allowed, "https://school.example"));
        assert!(origin_allowed(&allowed, "HTTPS://SCHOOL.EXAMPLE"));
        assert!(!origin_allowed(&allowed, "https://evil.school.example"));
        assert!(!origin_allowed(&allowed, "http://school.example"));
        assert!(!origin_allowed(&allowed, "http://localhost:3001"));
        assert!(!origin_allowed(&allowed, "null"));
    }
}
