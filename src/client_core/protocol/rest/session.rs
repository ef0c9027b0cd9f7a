//! REST `login(user, password)`: Basic credentials (a server started with
//! `PREFECT_SERVER_API_AUTH_STRING=user:password`), checked with one request before they are kept.

use super::call;
use crate::client_core::error::Error;
use crate::client_core::http::Method;
use crate::client_core::json::Json;
use crate::client_core::operation::{answer, step_try, CallAuth, Context, Event, Next, Operation};
use crate::client_core::retry::Idempotency;

/// A path the server's auth guards (`/api/health` is open), cheap to answer.
const CHECK_PATH: &str = "/admin/version";

pub fn login<V: Json>(user: String, password: String, slug: Option<String>, id: Option<String>) -> Result<Box<dyn Operation<V>>, Error<V>> {
    if user.is_empty() {
        return Err(Error::invalid("the user name must not be empty"));
    }
    if slug.is_some() || id.is_some() {
        return Err(Error::invalid("options.accountSlug and options.accountId are for Prefect Cloud 1.x (api: \"graphql\")"));
    }
    Ok(Box::new(Login { credentials: base64(format!("{user}:{password}").as_bytes()) }))
}

struct Login {
    credentials: String,
}

impl<V: Json> Operation<V> for Login {
    fn next(&mut self, event: Event<V>, cx: &mut Context<'_, V>) -> Next<V> {
        if let Event::Start = event {
            let auth = CallAuth::Basic(self.credentials.clone());
            return Next::Call(step_try!(call(cx.config, Method::Get, CHECK_PATH, None, Idempotency::Safe, auth)));
        }
        // A wrong pair is 401 (UNAUTHENTICATED) and keeps nothing.
        step_try!(answer(event));
        cx.session.set_basic(std::mem::take(&mut self.credentials));
        Next::Done(Ok(V::undefined()))
    }
}

/// Standard base64 with padding (RFC 4648), as the `Basic` scheme wants; a few lines instead of
/// a crate in the shipped wasm.
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, b)| n | (*b as u32) << (16 - 8 * i));
        for i in 0..4 {
            out.push(if i <= chunk.len() { ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char } else { '=' });
        }
    }
    out
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::base64;

    #[test]
    fn base64_matches_rfc4648() {
        for (input, encoded) in [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="), ("foobar", "Zm9vYmFy"), ("u:p", "dTpw")] {
            assert_eq!(base64(input.as_bytes()), encoded, "{input:?}");
        }
        assert_eq!(base64("é:ü".as_bytes()), "w6k6w7w=");
    }
}
