//! `completion/complete`: the reference (a prompt by name, a resource
//! template by its template) and the argument found, the argument's
//! completer run as a prompt is (the caller's tenant by the rule of reads,
//! the gate's admission, timeout, panic, cancellation), its values capped at
//! [`MAX_VALUES`] with `total` and `hasMore`.
//!
//! An unknown prompt or template, or an argument it does not have, is
//! `-32602`; an argument it has without a completer completes to nothing
//! (the spec's "no suggestions"), not an error.

use serde_json::value::RawValue;
use serde_json::{Map, Value, json};

use super::era::{Era, RequestMeta};
use super::prompts::get_error as complete_error;
use super::scopes::check_request;
use super::{Delivery, Dispatcher};
use crate::__private::CompleteFn;
use crate::auth::KeyIdentity;
use crate::completion::{CompletionArguments, MAX_VALUES};
use crate::jsonrpc::{RpcError, to_bytes, truncate};
use crate::registry::Registry;

const USAGE: &str = "completion/complete needs params with `ref` ({\"type\": \"ref/prompt\", \"name\": ...} \
                     or {\"type\": \"ref/resource\", \"uri\": ...}) and `argument` ({\"name\": ..., \"value\": ...})";

/// What the request completes: the prompt's or template's name for the
/// context, its arguments' names, and the argument's completer.
struct Target {
    name: &'static str,
    what: String,
    declared: Vec<&'static str>,
    completer: Option<CompleteFn>,
}

/// One `completion/complete` request, read.
struct Request<'a> {
    reference: &'a Map<String, Value>,
    argument: &'a str,
    value: &'a str,
    context: Option<&'a Map<String, Value>>,
}

fn parse(params: &Value) -> Result<Request<'_>, RpcError> {
    let usage = || RpcError::invalid_params(USAGE);
    let reference = params
        .get("ref")
        .and_then(Value::as_object)
        .ok_or_else(usage)?;
    let argument = params
        .get("argument")
        .and_then(Value::as_object)
        .ok_or_else(usage)?;
    let (Some(Value::String(name)), Some(Value::String(value))) =
        (argument.get("name"), argument.get("value"))
    else {
        return Err(RpcError::invalid_params(
            "`argument` of completion/complete needs a string `name` and a string `value`",
        ));
    };
    let context = match params.get("context").and_then(|c| c.get("arguments")) {
        None | Some(Value::Null) => None,
        Some(Value::Object(m)) => Some(m),
        Some(_) => {
            return Err(RpcError::invalid_params(
                "`context.arguments` of completion/complete must be an object of strings",
            ));
        }
    };
    Ok(Request {
        reference,
        argument: name,
        value,
        context,
    })
}

/// Whether `completion/complete` is served: some argument has a completer.
pub(super) fn any_completer(registry: &Registry) -> bool {
    registry.prompts().prompts().iter().any(|p| p.completes())
        || registry
            .resources()
            .templates()
            .iter()
            .any(|r| r.completes())
}

impl Dispatcher {
    /// Serve a `completion/complete`.
    pub(super) async fn complete(
        &self,
        id: &RawValue,
        params: Option<&RawValue>,
        meta: RequestMeta<'_>,
        era: Era,
        delivery: Delivery,
    ) -> Result<Vec<u8>, RpcError> {
        let params: Value = super::result::params(params, USAGE)?;
        let req = parse(&params)?;
        let target = self.target(&req, delivery.key.as_deref())?;
        let max = self.config.max_string_bytes;
        if req.value.len() > max {
            return Err(RpcError::invalid_params(format!(
                "the value to complete is {} bytes; the limit is {max}",
                req.value.len()
            )));
        }
        let given = filled(&req, &target)?;
        let values = match target.completer {
            None => Vec::new(),
            Some(complete) => {
                let ctx = self
                    .served_context(id, target.name, meta, &delivery)
                    .await
                    .map_err(|e| complete_error(&e))?;
                let what = || format!("the completer of `{}` of {}", req.argument, target.what);
                self.run_guarded(what, complete(req.value.to_owned(), given, ctx), &delivery)
                    .await
                    .map_err(|e| complete_error(&e))?
            }
        };
        let total = values.len();
        let mut values = values;
        values.truncate(MAX_VALUES);
        let mut m = Map::new();
        m.insert(
            "completion".into(),
            json!({ "values": values, "total": total, "hasMore": total > MAX_VALUES }),
        );
        if era == Era::Stateless {
            super::result::mark_complete(&mut m, &self.server_meta_json);
        }
        Ok(to_bytes(&m))
    }

    /// The prompt or template the request names, and the argument's completer.
    /// A caller without the scopes of the prompt or template is refused
    /// before its arguments are looked at (they would tell what it has).
    fn target(&self, req: &Request<'_>, key: Option<&KeyIdentity>) -> Result<Target, RpcError> {
        let field = |k: &str| req.reference.get(k).and_then(Value::as_str);
        match field("type") {
            Some("ref/prompt") => {
                let name = field("name").ok_or_else(|| {
                    RpcError::invalid_params("a `ref/prompt` reference needs a string `name`")
                })?;
                let Some(prompt) = self.registry.prompts().get(name) else {
                    return Err(RpcError::invalid_params(format!(
                        "unknown prompt: {}",
                        truncate(name, 80)
                    ))
                    .with_data(json!({ "name": name })));
                };
                let declared: Vec<&'static str> =
                    prompt.desc.arguments.iter().map(|a| a.name).collect();
                let arg = prompt
                    .desc
                    .arguments
                    .iter()
                    .find(|a| a.name == req.argument);
                let what = format!("prompt `{}`", prompt.name());
                check_request(
                    ("prompt", prompt.name()),
                    prompt.scopes(),
                    key,
                    complete_error,
                )?;
                let Some(arg) = arg else {
                    return Err(no_such_argument(&what, "argument", req.argument, &declared));
                };
                Ok(Target {
                    name: prompt.name(),
                    what,
                    declared,
                    completer: arg.complete,
                })
            }
            Some("ref/resource") => {
                let uri = field("uri").ok_or_else(|| {
                    RpcError::invalid_params("a `ref/resource` reference needs a string `uri`")
                })?;
                let Some(resource) = self.registry.resources().by_declared_uri(uri) else {
                    return Err(RpcError::invalid_params(format!(
                        "unknown resource template: {}",
                        truncate(uri, 200)
                    ))
                    .with_data(json!({ "uri": uri })));
                };
                let declared = resource.variables();
                let what = format!("resource template `{}`", resource.uri());
                let what_ref = ("resource", resource.uri());
                check_request(what_ref, resource.scopes(), key, complete_error)?;
                if !declared.contains(&req.argument) {
                    return Err(no_such_argument(&what, "variable", req.argument, &declared));
                }
                Ok(Target {
                    name: resource.name(),
                    what,
                    declared,
                    completer: resource.completer(req.argument),
                })
            }
            Some(other) => Err(RpcError::invalid_params(format!(
                "unknown reference type `{}`; use `ref/prompt` or `ref/resource`",
                truncate(other, 40)
            ))),
            None => Err(RpcError::invalid_params(
                "`ref` of completion/complete needs a string `type`: `ref/prompt` or `ref/resource`",
            )),
        }
    }
}

/// The other arguments the client gave, those the target declares: a name
/// it does not declare (a forged `tenantId`, say) never reaches a completer.
fn filled(req: &Request<'_>, target: &Target) -> Result<CompletionArguments, RpcError> {
    let mut values = Vec::new();
    let Some(context) = req.context else {
        return Ok(CompletionArguments::new(values));
    };
    for name in &target.declared {
        if *name == req.argument {
            continue;
        }
        match context.get(*name) {
            None => {}
            Some(Value::String(v)) => values.push(((*name).to_owned(), v.clone())),
            Some(_) => {
                return Err(RpcError::invalid_params(format!(
                    "`context.arguments.{name}` must be a string"
                )));
            }
        }
    }
    Ok(CompletionArguments::new(values))
}

fn no_such_argument(what: &str, kind: &str, name: &str, declared: &[&str]) -> RpcError {
    let list: Vec<String> = declared.iter().map(|d| format!("`{d}`")).collect();
    let message = if list.is_empty() {
        format!(
            "{what} has no {kind}s to complete, but `{}` was asked for",
            truncate(name, 80)
        )
    } else {
        format!(
            "{what} has no {kind} `{}`; its {kind}s are: {}",
            truncate(name, 80),
            list.join(", ")
        )
    };
    RpcError::invalid_params(message).with_data(json!({ "argument": name }))
}
