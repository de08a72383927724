//! Web origins as browsers write them: of a URL (a `Referer`, the server's public address),
//! and whether one names the host a request was sent to.

use axum::http::{HeaderMap, header};

/// `scheme://host[:port]` of an absolute URL, as a browser writes an origin (lower case, the
/// scheme's default port left out); `None` for a URL without a host.
pub(crate) fn of_url(url: &str) -> Option<String> {
    let origin = url::Url::parse(url).ok()?.origin();
    origin.is_tuple().then(|| origin.ascii_serialization())
}

/// Whether `origin` names the host the request was addressed to (its `Host` header): the
/// request comes from this server's own pages.
pub(crate) fn names_request_host(origin: &str, headers: &HeaderMap) -> bool {
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    host.is_some_and(|host| origin.split_once("://").is_some_and(|(_, authority)| authority.eq_ignore_ascii_case(host)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_of_urls() {
        assert_eq!(of_url("https://School.example/page?x=1#top").as_deref(), Some("https://school.example"));
        assert_eq!(of_url("http://127.0.0.1:8080").as_deref(), Some("http://127.0.0.1:8080"));
        assert_eq!(of_url("https://school.example:443/").as_deref(), Some("https://school.example"));
        for none in ["null", "school.example", "data:text/plain,hi", ""] {
            assert_eq!(of_url(none), None, "{none}");
        }
    }

    #[test]
    fn an_origin_names_the_request_host_by_authority() {
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, "wayfinder.example:8080".parse().unwrap());
        assert!(names_request_host("https://Wayfinder.example:8080", &headers));
        assert!(!names_request_host("https://wayfinder.example", &headers));
        assert!(!names_request_host("https://evil.example", &headers));
        assert!(!names_request_host("https://evil.example", &HeaderMap::new()));
    }
}
