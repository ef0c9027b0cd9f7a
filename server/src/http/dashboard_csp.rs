//! The dashboard's Content-Security-Policy: scripts only from this server (and WebAssembly
//! compiled from them), the page's own inline import map allowed by its hash and no other inline
//! script, and requests only to the servers the page may be pointed at: the CORS rule's origins.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use sha2::{Digest, Sha256};

use super::Origins;

pub struct Policy {
    /// `connect-src`'s sources after `'self'`.
    connect: String,
}

impl Policy {
    pub fn new(origins: &Origins) -> Arc<Policy> {
        let connect = if origins.0.is_empty() {
            // CSP's host grammar has no IPv6 literal, so `[::1]` on another port cannot be named
            // (the page's own origin is `'self'` whatever its host).
            ["http", "https"].iter().flat_map(|s| ["127.0.0.1", "localhost"].map(|h| format!("{s}://{h}:*"))).collect::<Vec<_>>().join(" ")
        } else {
            let listed = origins.0.iter().map(|o| o.trim_end_matches('/'));
            // an origin is one token; anything else could end the directive
            listed.filter(|o| !o.is_empty() && o.bytes().all(|b| b.is_ascii_graphic() && b != b';' && b != b',')).collect::<Vec<_>>().join(" ")
        };
        Arc::new(Policy { connect })
    }

    /// The policy for a page whose inline import maps are `import_maps` (none for other answers).
    pub fn header(&self, import_maps: &[String]) -> String {
        let hashes: String = import_maps.iter().map(|m| format!(" 'sha256-{}'", base64::engine::general_purpose::STANDARD.encode(Sha256::digest(m.as_bytes())))).collect();
        format!(
            "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'{hashes}; style-src 'self'; img-src 'self' data:; \
             connect-src 'self' {}; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
            self.connect
        )
    }
}

/// The text of each inline `<script type="importmap">` of `html`, as the browser hashes it (its
/// line breaks normalised to LF, as the HTML parser does). A few lines of scanning rather than
/// an HTML parser: only script elements are looked for, and a script's text ends at `</script`.
pub fn inline_import_maps(html: &str) -> Vec<String> {
    let lower = html.to_ascii_lowercase(); // same byte offsets as `html`
    let mut maps = Vec::new();
    let mut at = 0;
    while let Some(found) = lower[at..].find("<script") {
        let start = at + found;
        let Some(tag_len) = lower[start..].find('>') else { break };
        let tag = &lower[start..start + tag_len];
        let text_start = start + tag_len + 1;
        let Some(text_len) = lower[text_start..].find("</script") else { break };
        let is_import_map = tag.split(|c: char| c.is_ascii_whitespace()).any(|attr| matches!(attr, "type=importmap" | "type=\"importmap\"" | "type='importmap'"));
        if is_import_map && !tag.contains("src=") {
            maps.push(html[text_start..text_start + text_len].replace("\r\n", "\n").replace('\r', "\n"));
        }
        at = text_start + text_len;
    }
    maps
}

/// Sets the policy on every answer; an HTML page's allows its own inline import maps. A 304
/// carries none: its headers replace the cached answer's (RFC 9111 §4.3.4), and without the body
/// the page's import-map hash cannot be known, so the cached page keeps the policy it came with.
pub async fn add(State(policy): State<Arc<Policy>>, request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    if response.status() == StatusCode::NOT_MODIFIED {
        return response;
    }
    let is_html = response.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|t| t.starts_with("text/html"));
    let (mut parts, body) = response.into_parts();
    let (body, import_maps) = if is_html && parts.status == StatusCode::OK {
        let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else { return StatusCode::INTERNAL_SERVER_ERROR.into_response() };
        let maps = inline_import_maps(&String::from_utf8_lossy(&bytes));
        (axum::body::Body::from(bytes), maps)
    } else {
        (body, Vec::new())
    };
    if let Ok(value) = HeaderValue::from_str(&policy.header(&import_maps)) {
        parts.headers.insert(header::CONTENT_SECURITY_POLICY, value);
    }
    Response::from_parts(parts, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_only_inline_import_maps() {
        let html = "<head><script type=\"module\" src=\"app.js\"></script>\r\n<SCRIPT TYPE='importmap'>\r\n{\"imports\": {}}\r\n</script>\
                    <script>alert(1)</script><script type=\"importmap\" src=\"x.json\"></script><script type=importmap>{}</script></head>";
        assert_eq!(inline_import_maps(html), vec!["\n{\"imports\": {}}\n".to_string(), "{}".to_string()]);
        assert!(inline_import_maps("<p>no scripts</p><script>unterminated").is_empty());
    }

    #[test]
    fn the_policy() {
        let open = Policy::new(&Origins(vec![]));
        let csp = open.header(&["{}".into()]);
        // sha256("{}") in base64
        assert!(csp.contains("script-src 'self' 'wasm-unsafe-eval' 'sha256-RBNvo1WzZ4oRRq0W9+hknpT7T8If536DEMBg9hyq/4o=';"), "{csp}");
        assert!(csp.contains("connect-src 'self' http://127.0.0.1:* http://localhost:* https://127.0.0.1:* https://localhost:*;"), "{csp}");
        let listed = Policy::new(&Origins(vec!["https://app.example.com/".into(), "http://x; script-src *".into()]));
        assert!(listed.header(&[]).contains("connect-src 'self' https://app.example.com;"), "{}", listed.header(&[]));
    }
}
