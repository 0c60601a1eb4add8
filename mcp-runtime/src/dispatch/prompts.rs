//! `prompts/list` (precomputed pages) and `prompts/get`: the prompt found,
//! its arguments checked (strings, none unknown, every required one given:
//! `-32602` with what to send), its fn run as a resource read is, its
//! messages written as `GetPromptResult`. A prompt acts for the tenant a
//! read acts for (see `resources.rs`).

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value, json};

use super::era::{Era, RequestMeta};
use super::scopes::check_request;
use super::{Delivery, Dispatcher};
use crate::error::{ErrorKind, McpError};
use crate::input::rounds::until_input;
use crate::jsonrpc::{RpcError, codes, to_bytes, truncate};

impl Dispatcher {
    /// Serve a `prompts/get`.
    pub(super) async fn get_prompt(
        &self,
        id: &RawValue,
        params: Option<&RawValue>,
        meta: RequestMeta<'_>,
        era: Era,
        delivery: Delivery,
    ) -> Result<Vec<u8>, RpcError> {
        #[derive(Deserialize)]
        struct GetParams<'a> {
            name: String,
            #[serde(default)]
            arguments: Option<Value>,
            #[serde(borrow, default, rename = "inputResponses")]
            input_responses: Option<&'a RawValue>,
            #[serde(borrow, default, rename = "requestState")]
            request_state: Option<&'a RawValue>,
        }
        let p: GetParams<'_> =
            super::result::params(params, "prompts/get needs params with a string `name`")?;
        if let (Era::Stateless, Some(h)) = (era, delivery.headers.as_ref()) {
            h.check_prompt(&p.name)?;
        }
        let Some(prompt) = self.registry.prompts().get(&p.name) else {
            return Err(RpcError::invalid_params(format!(
                "unknown prompt: {}",
                truncate(&p.name, 80)
            ))
            .with_data(json!({ "name": p.name })));
        };
        let key = delivery.key.as_deref();
        check_request(("prompt", prompt.name()), prompt.scopes(), key, get_error)?;
        let args = prompt
            .check_arguments(p.arguments.as_ref())
            .map_err(RpcError::invalid_params)?;
        let mut ctx = self
            .served_context(id, prompt.name(), meta, &delivery)
            .await
            .map_err(|e| get_error(&e))?;
        let echo = super::InputEcho {
            responses: p.input_responses,
            state: p.request_state,
        };
        let bound_args = p.arguments.clone().unwrap_or(Value::Null);
        let tenant = ctx.tenant_id.clone();
        let binding = || {
            super::ask::bound(
                format!("prompt:{}", prompt.name()),
                &bound_args,
                tenant.as_deref(),
                &delivery,
            )
        };
        let (input, round) = self.input(era, meta, &delivery, echo, binding)?;
        ctx.input = input;
        let what = || format!("prompt `{}`", prompt.name());
        let got = (prompt.desc.get)(args, ctx);
        let outcome = self
            .run_guarded(what, until_input(got, round.clone()), &delivery)
            .await;
        if let Some(round) = round.as_deref().filter(|r| r.stopped()) {
            return Ok(self.input_required(round));
        }
        let messages = outcome.map_err(|e| get_error(&e))?;
        let mut m = Map::new();
        m.insert(
            "messages".into(),
            Value::Array(messages.messages().iter().map(|m| m.to_json()).collect()),
        );
        if let Some(d) = messages.description() {
            m.insert("description".into(), json!(d));
        }
        if era == Era::Stateless {
            super::result::mark_complete(&mut m, &self.server_meta_json);
        }
        Ok(to_bytes(&m))
    }
}

/// A prompt or a completer that failed: `-32603` for `server_error`, else `-32602`.
pub(super) fn get_error(e: &McpError) -> RpcError {
    let code = match e.kind() {
        ErrorKind::Server => codes::INTERNAL_ERROR,
        _ => codes::INVALID_PARAMS,
    };
    RpcError::new(code, e.message().to_owned()).with_data(json!({ "error": e.to_json() }))
}
