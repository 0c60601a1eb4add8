//! `subscriptions/listen` (2026-07-28): a long-lived request whose answer
//! streams the notifications the client opted in to. Over HTTP it is an SSE
//! response; on stdio its notifications are interleaved on the one channel.
//!
//! The stream opens with `notifications/subscriptions/acknowledged`, naming
//! the subset of the filter the server honours: `resourceSubscriptions`
//! for the URIs it serves (a listed resource or one its templates match);
//! never the list-changed kinds, as the lists are fixed at build time
//! (`listChanged: false`). Every notification carries
//! `_meta["io.modelcontextprotocol/subscriptionId"]`, the request's id.
//! The request is answered (`SubscriptionsListenResult`) only when the
//! server tears the stream down at shutdown; when the client goes away the
//! listener is dropped.

use std::collections::BTreeSet;

use serde_json::value::RawValue;
use serde_json::{Value, json};

use super::era::{Era, RequestMeta};
use super::{Delivery, Dispatcher};
use crate::jsonrpc::{RpcError, codes, notification, to_bytes};
use crate::session::listeners::Watch;
use crate::session::owner_of;

/// The `_meta` key naming a notification's listen stream.
pub(crate) const SUBSCRIPTION_ID: &str = "io.modelcontextprotocol/subscriptionId";

/// How often an idle listen stream sends a keep-alive (an SSE comment).
const KEEP_ALIVE_EVERY: std::time::Duration = std::time::Duration::from_secs(15);

/// Task ids one listener may name (more are ignored).
const MAX_WATCHED_TASKS: usize = 100;

/// The filter of a listen request, as far as this server reads it.
#[derive(Debug, Default, PartialEq)]
pub(super) struct Filter {
    resources: Vec<String>,
    /// `taskIds` of the tasks extension (SEP-2663).
    tasks: Vec<String>,
}

/// Read `params.notifications`: required, an object; its known keys of
/// their schema types; unknown keys ignored.
pub(super) fn filter(params: Option<&RawValue>) -> Result<Filter, RpcError> {
    let params: Value = match params {
        Some(p) => serde_json::from_str(p.get())
            .map_err(|e| RpcError::invalid_params(format!("subscriptions/listen params: {e}")))?,
        None => {
            return Err(RpcError::invalid_params(
                "subscriptions/listen needs params",
            ));
        }
    };
    let Some(notifications) = params.get("notifications") else {
        return Err(RpcError::invalid_params(
            "subscriptions/listen needs params.notifications (a SubscriptionFilter)",
        ));
    };
    let Some(n) = notifications.as_object() else {
        return Err(RpcError::invalid_params(
            "params.notifications must be an object",
        ));
    };
    for flag in [
        "toolsListChanged",
        "promptsListChanged",
        "resourcesListChanged",
    ] {
        if n.get(flag).is_some_and(|v| !v.is_boolean()) {
            return Err(RpcError::invalid_params(format!(
                "params.notifications.{flag} must be a boolean"
            )));
        }
    }
    Ok(Filter {
        resources: strings(n, "resourceSubscriptions", "URIs")?,
        tasks: strings(n, "taskIds", "task ids")?,
    })
}

/// The array of strings under `key` of the filter `n` (none when absent).
fn strings(
    n: &serde_json::Map<String, Value>,
    key: &str,
    what: &str,
) -> Result<Vec<String>, RpcError> {
    let wrong = || {
        RpcError::invalid_params(format!(
            "params.notifications.{key} must be an array of {what}"
        ))
    };
    match n.get(key) {
        None => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| i.as_str().map(str::to_owned).ok_or_else(wrong))
            .collect(),
        Some(_) => Err(wrong()),
    }
}

/// `n` tagged with the listen stream `id`.
fn tagged(mut n: Value, id: &Value) -> Value {
    let meta = n
        .as_object_mut()
        .map(|o| o.entry("params").or_insert_with(|| json!({})))
        .and_then(Value::as_object_mut)
        .map(|p| p.entry("_meta").or_insert_with(|| json!({})))
        .and_then(Value::as_object_mut);
    if let Some(m) = meta {
        m.insert(SUBSCRIPTION_ID.to_owned(), id.clone());
    }
    n
}

impl Dispatcher {
    /// The tasks of `ids` a listener hears of: only with the tasks extension
    /// declared, and only the caller's own (another key's task is as unknown
    /// as one that never existed); a task already over is left out too.
    async fn watched_tasks(
        &self,
        ids: Vec<String>,
        meta: RequestMeta<'_>,
        delivery: &Delivery,
    ) -> Result<Watch, RpcError> {
        let task_owner = super::ask::caller_name(delivery);
        let mut task_ids = BTreeSet::new();
        if !ids.is_empty() && super::tasks::declared(Era::Stateless, meta) {
            for id in ids.into_iter().take(MAX_WATCHED_TASKS) {
                let record = self.tasks.store.load(&id).await.map_err(|e| {
                    RpcError::new(
                        codes::INTERNAL_ERROR,
                        format!("the task store did not answer: {e}"),
                    )
                    .with_status(503)
                })?;
                if record.is_some_and(|r| r.owner.key == task_owner && !r.status.is_terminal()) {
                    task_ids.insert(id);
                }
            }
        }
        Ok(Watch {
            task_owner,
            task_ids,
        })
    }

    /// Serve one `subscriptions/listen` until the server tears it down
    /// (its result) or the client goes away.
    pub(super) async fn listen(
        &self,
        id: &RawValue,
        params: Option<&RawValue>,
        meta: RequestMeta<'_>,
        delivery: Delivery,
    ) -> Result<Vec<u8>, RpcError> {
        let filter = filter(params)?;
        let Some(out) = delivery.notifier.as_ref() else {
            return Err(RpcError::new(
                codes::INVALID_REQUEST,
                "subscriptions/listen streams its notifications: accept text/event-stream",
            ));
        };
        if let Some(s) = &self.sessions {
            // With sessions in a shared store, the other replicas' updates reach it.
            s.reach(&self.listeners);
        }
        let served = self.registry.resources();
        let uris: BTreeSet<String> = filter
            .resources
            .into_iter()
            .filter(|u| served.find(u).is_some())
            .collect();
        let watch = self.watched_tasks(filter.tasks, meta, &delivery).await?;
        let mut listening = self.listeners.open(
            delivery.scope,
            owner_of(delivery.key.as_deref()),
            self.read_tenant(&delivery),
            uris.clone(),
            watch.clone(),
        )?;
        let request_id = id;
        let id: Value = serde_json::from_str(id.get()).unwrap_or(Value::Null);
        let mut honoured = json!({});
        if !uris.is_empty() {
            honoured["resourceSubscriptions"] = json!(uris);
        }
        if !watch.task_ids.is_empty() {
            honoured["taskIds"] = json!(watch.task_ids);
        }
        let ack = notification(
            "notifications/subscriptions/acknowledged",
            json!({ "notifications": honoured }),
        );
        // `notifications/cancelled` naming it ends it (stdio's way to stop one).
        let key = super::call::inflight_key(delivery.scope, delivery.key.as_deref(), request_id);
        let _inflight = self.inflight.register(key, &delivery.cancel);
        out.send(tagged(ack, &id)).await;
        let mut alive = tokio::time::interval_at(
            tokio::time::Instant::now() + KEEP_ALIVE_EVERY,
            KEEP_ALIVE_EVERY,
        );
        loop {
            tokio::select! {
                biased;
                () = delivery.cancel.cancelled() => {
                    return Err(RpcError::new(codes::INTERNAL_ERROR, "subscriptions/listen cancelled (or its client went away)"));
                }
                // Only ever set to `true` (teardown); an error: the server is gone.
                _ = listening.closing.changed() => break,
                n = listening.rx.recv() => match n {
                    Some(n) => out.send(tagged(n, &id)).await,
                    // Ended by the transport: its connection closed (stdio).
                    None => break,
                },
                _ = alive.tick() => out.send(crate::notify::keep_alive()).await,
            }
        }
        drop(listening);
        let mut meta = self.info.result_meta();
        meta[SUBSCRIPTION_ID] = id;
        Ok(to_bytes(
            &json!({ "_meta": meta, "resultType": "complete" }),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(s: &str) -> Box<RawValue> {
        RawValue::from_string(s.to_owned()).unwrap()
    }

    #[test]
    fn the_filter_is_required_typed_and_unknown_keys_are_ignored() {
        assert!(filter(None).is_err());
        for bad in [
            r#"{}"#,
            r#"{"notifications":[]}"#,
            r#"{"notifications":{"toolsListChanged":"yes"}}"#,
            r#"{"notifications":{"resourceSubscriptions":"test://a"}}"#,
            r#"{"notifications":{"resourceSubscriptions":[1]}}"#,
        ] {
            let e = filter(Some(&raw(bad))).unwrap_err();
            assert_eq!(e.code, codes::INVALID_PARAMS, "{bad}");
        }
        let f = filter(Some(&raw(
            r#"{"notifications":{"resourceSubscriptions":["test://a"],"futureKind":true}}"#,
        )))
        .unwrap();
        assert_eq!(f.resources, ["test://a"]);
    }

    #[test]
    fn notifications_are_tagged_with_the_stream_id() {
        let n = tagged(
            notification("notifications/resources/updated", json!({"uri":"test://a"})),
            &json!(7),
        );
        assert_eq!(n["params"]["_meta"][SUBSCRIPTION_ID], 7);
        assert_eq!(n["params"]["uri"], "test://a");
    }
}
