//! [`TestApp`]: the movie API as the tests use it, one method per route of CONTRACT.md, each
//! returning the answer whatever its status. A test reads as what it checks:
//! `app.put_metadata(&movie)`, `app.movie(&id)`, `app.rate(&id, "alice", 5)`.

use serde_json::Value;

use crate::http::{encode, request, HttpResponse};
use crate::lattice::require_app;

/// The deployed app, reached through the lattice ingress.
#[derive(Debug, Clone, Copy)]
pub struct TestApp(());

impl TestApp {
    /// The app, deployed first if it is not (once per test binary); panics with the reason
    /// when it cannot be.
    pub fn deployed() -> Self {
        require_app();
        Self(())
    }

    /// Any request, for what the typed routes cannot express (a missing parameter, a body
    /// that is not JSON, a method the API does not have).
    pub fn send(&self, method: &str, path_and_query: &str, body: Option<&[u8]>) -> HttpResponse {
        request(method, path_and_query, body)
            .unwrap_or_else(|err| panic!("{method} {path_and_query}: {err:#}"))
    }

    pub fn get(&self, path_and_query: &str) -> HttpResponse {
        self.send("GET", path_and_query, None)
    }

    /// `GET /metadata?id=`.
    pub fn metadata(&self, id: &str) -> HttpResponse {
        self.get(&format!("/metadata?id={}", encode(id)))
    }

    /// `PUT /metadata` with `body` as JSON.
    pub fn put_metadata(&self, body: &Value) -> HttpResponse {
        self.send("PUT", "/metadata", Some(body.to_string().as_bytes()))
    }

    /// `POST /metadata` with `body` as JSON.
    pub fn post_metadata(&self, body: &Value) -> HttpResponse {
        self.send("POST", "/metadata", Some(body.to_string().as_bytes()))
    }

    /// `GET /movie?id=`.
    pub fn movie(&self, id: &str) -> HttpResponse {
        self.get(&format!("/movie?id={}", encode(id)))
    }

    /// `GET /rating?id=&type=movie`.
    pub fn rating(&self, movie: &str) -> HttpResponse {
        self.get(&format!("/rating?id={}&type=movie", encode(movie)))
    }

    /// `PUT /rating?id=&type=movie&userId=&value=`; `value` as the client writes it.
    pub fn rate(&self, movie: &str, user: &str, value: impl std::fmt::Display) -> HttpResponse {
        let path = format!(
            "/rating?id={}&type=movie&userId={}&value={}",
            encode(movie),
            encode(user),
            encode(&value.to_string())
        );
        self.send("PUT", &path, None)
    }

    /// `DELETE /rating?id=&type=movie&userId=`.
    pub fn withdraw_rating(&self, movie: &str, user: &str) -> HttpResponse {
        let path = format!(
            "/rating?id={}&type=movie&userId={}",
            encode(movie),
            encode(user)
        );
        self.send("DELETE", &path, None)
    }

    /// `GET /healthz`.
    pub fn health(&self) -> HttpResponse {
        self.get("/healthz")
    }
}
