//! The handshake era's sessions, when on: `initialize` opens one, every
//! later message over HTTP names it (`Mcp-Session-Id`), and
//! `resources/subscribe` / `resources/unsubscribe` are per session. The
//! store and the streams are `crate::session`'s; this is the protocol's
//! side. Sessions never apply to the 2026-07-28 era, to stdio (a
//! connection is its session) or to the in-process client.

use std::sync::Arc;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::era::Era;
use super::{Delivery, Dispatcher};
use crate::jsonrpc::{RpcError, codes};
use crate::session::{Checked, Sessions, owner_of, unavailable};

/// A request without the session header its era requires.
fn missing() -> RpcError {
    RpcError::new(
        codes::INVALID_REQUEST,
        "bad request: this server keeps sessions; send the `Mcp-Session-Id` header \
         `initialize` answered with",
    )
    .with_status(400)
}

impl Dispatcher {
    /// The sessions that apply to a message of `era` so delivered.
    pub(super) fn sessions_for(&self, era: Era, delivery: &Delivery) -> Option<&Arc<Sessions>> {
        match (era, &delivery.headers) {
            (Era::Handshake, Some(_)) => self.sessions.as_ref(),
            _ => None,
        }
    }

    /// Check the session a message names (400 without, 404 for an unknown
    /// one or another caller's) and note it in `delivery`; `initialize`
    /// needs none.
    pub(super) async fn enter_session(
        &self,
        era: Era,
        method: &str,
        delivery: &mut Delivery,
    ) -> Result<(), RpcError> {
        let Some(sessions) = self.sessions_for(era, delivery) else {
            return Ok(());
        };
        let named = delivery.headers.as_ref().and_then(|h| h.session.clone());
        let Some(id) = named else {
            return if method == "initialize" {
                Ok(())
            } else {
                Err(missing())
            };
        };
        if method == "initialize" {
            // A new session, whatever the header says.
            return Ok(());
        }
        let owner = owner_of(delivery.key.as_deref());
        delivery.session_verified = matches!(
            sessions.check(&id, &owner, false).await?,
            Checked::Verified(_)
        );
        let id: Arc<str> = Arc::from(id);
        if let Some(slot) = &delivery.entered {
            let _ = slot.set(id.clone());
        }
        delivery.session = Some(id);
        Ok(())
    }

    /// After a successful `initialize`: the new session's id, if sessions apply.
    pub(super) async fn open_session(
        &self,
        era: Era,
        delivery: &Delivery,
    ) -> Result<Option<String>, RpcError> {
        let Some(sessions) = self.sessions_for(era, delivery) else {
            return Ok(None);
        };
        let tenant = self.read_tenant(delivery);
        sessions
            .open(owner_of(delivery.key.as_deref()), tenant)
            .await
            .map(Some)
    }

    /// `resources/subscribe` (`on`) and `resources/unsubscribe`: for a URI
    /// this server serves (a static resource, or one a template matches).
    pub(super) async fn subscribe(
        &self,
        params: Option<&RawValue>,
        on: bool,
        delivery: &Delivery,
    ) -> Result<(), RpcError> {
        #[derive(Deserialize)]
        struct Params {
            uri: String,
        }
        let method = if on {
            "resources/subscribe"
        } else {
            "resources/unsubscribe"
        };
        let p: Params =
            super::result::params(params, format!("{method} needs params with a string `uri`"))?;
        let (Some(sessions), Some(id)) = (&self.sessions, &delivery.session) else {
            return Err(missing());
        };
        if !delivery.session_verified {
            // Only a verified session may change what it hears of.
            return Err(unavailable());
        }
        if on && self.registry.resources().find(&p.uri).is_none() {
            return Err(super::resources::not_found(&p.uri));
        }
        sessions.subscribe(id, &p.uri, on).await
    }
}
