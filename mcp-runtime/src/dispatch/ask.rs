//! How one request's handler asks its client (`crate::input`): the
//! capabilities the caller declared, and the era's channel, built from the
//! request: the answers a stateless round brings back, or the call's
//! stream in the handshake era.

use std::sync::Arc;
use std::time::SystemTime;

use serde_json::Value;

use super::callers::caller;
use super::era::{Era, RequestMeta};
use super::{Delivery, Dispatcher, InputEcho};
use crate::input::rounds::Round;
use crate::input::seal::Binding;
use crate::input::stream::Stream;
use crate::input::{Channel, Input};
use crate::jsonrpc::{RpcError, meta};

impl Dispatcher {
    /// The [`Input`] of a request to `target` (`tool:name`, `prompt:name`)
    /// with `arguments`, and its round in the stateless era. A malformed
    /// `inputResponses` or a `requestState` that does not open for this
    /// request is `-32602`.
    pub(super) fn input(
        &self,
        era: Era,
        request_meta: RequestMeta<'_>,
        delivery: &Delivery,
        echo: InputEcho<'_>,
        binding: impl FnOnce() -> Binding,
    ) -> Result<(Input, Option<Arc<Round>>), RpcError> {
        let declared = request_meta
            .get(meta::CAPABILITIES)
            .map(|c| Arc::new(c.clone()));
        match era {
            Era::Stateless => {
                let round = Arc::new(Round::new(
                    &self.config.request_state,
                    binding(),
                    echo.responses,
                    echo.state,
                    SystemTime::now(),
                )?);
                let input = Input {
                    channel: Channel::Rounds(round.clone()),
                    capabilities: declared,
                };
                Ok((input, Some(round)))
            }
            Era::Handshake => {
                let caller = caller(delivery);
                let capabilities = declared.or_else(|| self.client_capabilities.get(&caller));
                let channel = match &delivery.notifier {
                    Some(n) => Channel::Stream(Stream {
                        pending: self.pending.clone(),
                        notifier: n.clone(),
                        caller,
                        timeout: self.config.input_timeout,
                    }),
                    None => Channel::None,
                };
                Ok((
                    Input {
                        channel,
                        capabilities,
                    },
                    None,
                ))
            }
        }
    }

    /// The `InputRequiredResult` of a round its handler stopped to ask in.
    pub(super) fn input_required(&self, round: &Round) -> Vec<u8> {
        round.result(
            &self.config.request_state,
            Some(&self.server_meta_json),
            SystemTime::now(),
        )
    }
}

/// The caller's name for a state's binding: the key or token subject.
pub(super) fn caller_name(delivery: &Delivery) -> String {
    delivery
        .key
        .as_ref()
        .map_or_else(String::new, |k| k.name.clone())
}

/// `Value` of the arguments for a binding.
pub(super) fn bound(
    target: String,
    args: &Value,
    tenant: Option<&str>,
    delivery: &Delivery,
) -> Binding {
    Binding::new(target, args, tenant, &caller_name(delivery))
}
